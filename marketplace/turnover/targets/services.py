"""The yearly turnover targets: one for the city (district NULL) and optional ones per
district. Services flush and never commit."""
from sqlalchemy import select

from marketplace.core import audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.forms import MAX_AMOUNT_FEN
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN, TurnoverTarget


def _row(year, district_id):
    query = select(TurnoverTarget).where(TurnoverTarget.year == year)
    query = query.where(TurnoverTarget.district_id.is_(None) if district_id is None
                        else TurnoverTarget.district_id == district_id)
    return db.session.execute(query).scalar_one_or_none()


def target_for(year, district_id=None):
    """The target in fen: the city's (``DEFAULT_CITY_TARGET_FEN`` when none is set) or a
    district's (None when that district has none)."""
    row = _row(year, district_id)
    if row is not None:
        return row.target_fen
    return DEFAULT_CITY_TARGET_FEN if district_id is None else None


def district_targets(year):
    """{district id: target fen} of the districts that have a target in ``year``."""
    return dict(db.session.execute(
        select(TurnoverTarget.district_id, TurnoverTarget.target_fen)
        .where(TurnoverTarget.year == year, TurnoverTarget.district_id.is_not(None))).all())


def set_target(year, target_fen, *, district_id=None, actor=None):
    """Set (or, with ``target_fen`` None for a district, remove) a target."""
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(details={"field": "year"})
    if target_fen is not None and not 0 < target_fen <= MAX_AMOUNT_FEN:
        raise ValidationFailed(details={"field": "target"})
    if target_fen is None and district_id is None:
        raise ValidationFailed(details={"field": "target"})
    row = _row(year, district_id)
    before = row.target_fen if row is not None else None
    if target_fen is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        row = TurnoverTarget(year=year, district_id=district_id, target_fen=target_fen,
                             updated_by_id=_actor_id(actor))
        db.session.add(row)
    else:
        row.target_fen = target_fen
        row.updated_by_id = _actor_id(actor)
        row.updated_dt = now_utc()
    db.session.flush()
    if before != target_fen:
        audit.record(row, "set_target", actor=actor, object_type="TurnoverTarget",
                     data={"year": year, "district_id": district_id,
                           "before_fen": before, "after_fen": target_fen})
    return row


def _actor_id(actor):
    return actor if isinstance(actor, int) or actor is None else actor.id
