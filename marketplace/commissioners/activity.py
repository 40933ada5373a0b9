"""A commissioner's work: pairings with the firms, villages and parks they serve, each
service they log, and the served party's confirmation or dispute. A firm asks to be paired
and the commissioner accepts; the bureau pairs directly. A firm's members answer the
services given to the firm; the bureau answers those given to a village or a park.
Services flush and never commit."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts import uscc
from marketplace.accounts.models import District, Organisation, OrganisationKind
from marketplace.commissioners.models import (Commissioner, CommissionerService, Pairing,
                                              PairingKind, PairingStatus,
                                              ServiceAttachment, ServiceStatus)
from marketplace.core import audit, outbox, storage
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import local_date, now_utc
from marketplace.extensions import db

MAX_ATTACHMENTS = 3
LIVE = (PairingStatus.REQUESTED, PairingStatus.ACTIVE)


class NotRecognised(Conflict):
    code = "not_recognised"
    default_message = _l("Only a recognised commissioner can be paired or log services.")


class AlreadyPaired(Conflict):
    code = "already_paired"
    default_message = _l("This firm is already paired with the commissioner (or has asked).")


def _require_recognised(commissioner):
    if not commissioner.is_recognised:
        raise NotRecognised()


# --- pairings -----------------------------------------------------------------------------

def _lock_commissioner(commissioner):
    db.session.execute(for_update(select(Commissioner.id).where(
        Commissioner.id == commissioner.id), of=Commissioner))


def _live_pairing_with(commissioner, firm_id):
    return db.session.execute(select(Pairing.id).where(
        Pairing.commissioner_id == commissioner.id, Pairing.firm_id == firm_id,
        Pairing.status.in_(LIVE))).first()


def request_pairing(commissioner, actor, note=""):
    """A firm's member asks the commissioner to serve the firm."""
    _require_recognised(commissioner)
    # the commissioner's row first: a request sent twice at once would find no pairing
    # twice, and the second insert break the one-live-pairing key; the second waits
    _lock_commissioner(commissioner)
    if _live_pairing_with(commissioner, actor.organisation_id):
        raise AlreadyPaired()
    pairing = Pairing(commissioner_id=commissioner.id, kind=PairingKind.FIRM,
                      firm_id=actor.organisation_id, status=PairingStatus.REQUESTED,
                      note=(note or "").strip(), requested_by_id=actor.id)
    db.session.add(pairing)
    db.session.flush()
    audit.record(pairing, "request", actor=actor, after=PairingStatus.REQUESTED,
                 data={"commissioner_id": commissioner.id, "firm_id": actor.organisation_id})
    outbox.emit("commissioners.pairing_requested", pairing_id=pairing.id)
    return pairing


def firm_by_code(code):
    code = uscc.normalise(code)
    firm = db.session.execute(select(Organisation).where(
        Organisation.uscc == code, Organisation.kind == OrganisationKind.FIRM)
    ).scalar_one_or_none()
    if firm is None:
        raise ValidationFailed(_l("No firm on the platform has this credit code."),
                               code="firm_unknown", details={"field": "firm_code"})
    return firm


def pair(commissioner, actor, *, kind, firm_code=None, place_name=None, district_id=None,
         note=""):
    """The bureau pairs the commissioner with a firm (by credit code), a village or a park
    (by name and district): active at once."""
    _require_recognised(commissioner)
    kind = PairingKind(kind)
    values = {"kind": kind, "note": (note or "").strip()}
    if kind == PairingKind.FIRM:
        firm = firm_by_code(firm_code)
        _lock_commissioner(commissioner)
        if _live_pairing_with(commissioner, firm.id):
            raise AlreadyPaired(details={"field": "firm_code"})
        values.update(firm_id=firm.id, district_id=firm.district_id)
    else:
        place_name = (place_name or "").strip()
        if not place_name:
            raise ValidationFailed(_l("Name the village or park."),
                                   details={"field": "place_name"})
        district = db.session.get(District, district_id) if district_id else None
        values.update(place_name=place_name, district_id=district.id if district else None)
    pairing = Pairing(commissioner_id=commissioner.id, status=PairingStatus.ACTIVE,
                      requested_by_id=actor.id, decided_dt=now_utc(), **values)
    db.session.add(pairing)
    db.session.flush()
    audit.record(pairing, "pair", actor=actor, after=PairingStatus.ACTIVE,
                 data={"commissioner_id": commissioner.id, "kind": kind.value,
                       "firm_id": pairing.firm_id, "place_name": pairing.place_name})
    outbox.emit("commissioners.pairing_changed", pairing_id=pairing.id, action="pair")
    return pairing


def _locked_pairing(pairing):
    db.session.flush()
    return db.session.execute(for_update(
        select(Pairing).where(Pairing.id == pairing.id)
        .execution_options(populate_existing=True), of=Pairing)).scalar_one()


def answer_pairing(pairing, actor, accept):
    """The commissioner accepts or declines a firm's request."""
    pairing = _locked_pairing(pairing)
    if accept:
        _require_recognised(pairing.commissioner)
    action = "accept" if accept else "decline"
    transition(pairing, action, actor=actor)
    pairing.decided_dt = now_utc()
    outbox.emit("commissioners.pairing_changed", pairing_id=pairing.id, action=action)
    db.session.flush()
    return pairing


def end_pairing(pairing, actor):
    pairing = _locked_pairing(pairing)
    transition(pairing, "end", actor=actor)
    pairing.ended_dt = now_utc()
    outbox.emit("commissioners.pairing_changed", pairing_id=pairing.id, action="end")
    db.session.flush()
    return pairing


def end_pairings_of(commissioner, actor):
    """A withdrawn commissioner's requests are declined and their pairings end."""
    for pairing in db.session.execute(select(Pairing).where(
            Pairing.commissioner_id == commissioner.id,
            Pairing.status.in_(LIVE))).scalars().all():
        if pairing.status == PairingStatus.REQUESTED:
            transition(pairing, "decline", actor=actor)
            pairing.decided_dt = now_utc()
        else:
            transition(pairing, "end", actor=actor)
            pairing.ended_dt = now_utc()
    db.session.flush()


def pairings_of(commissioner, statuses=None):
    query = select(Pairing).where(Pairing.commissioner_id == commissioner.id)
    if statuses:
        query = query.where(Pairing.status.in_(statuses))
    return db.session.execute(query.order_by(Pairing.status, Pairing.id)).scalars().all()


def pairings_of_firm(firm_id):
    return db.session.execute(select(Pairing).where(Pairing.firm_id == firm_id)
                              .order_by(Pairing.id.desc())).scalars().all()


# --- services -----------------------------------------------------------------------------

def _text(value, field, message):
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, details={"field": field})
    return value


def log_service(commissioner, actor, *, pairing_id, service_on, place, participants,
                work_done, outcome, files=()):
    """Record a service given to one of the commissioner's active pairings, with up to
    ``MAX_ATTACHMENTS`` files (``(stream, filename)`` pairs)."""
    _require_recognised(commissioner)
    pairing = db.session.get(Pairing, pairing_id) if pairing_id else None
    if pairing is None or pairing.commissioner_id != commissioner.id \
            or pairing.status != PairingStatus.ACTIVE:
        raise ValidationFailed(_l("Choose one of your active pairings."),
                               code="pairing_not_active", details={"field": "pairing_id"})
    if service_on > date.today():
        raise ValidationFailed(_l("A service is logged once it has taken place."),
                               details={"field": "service_on"})
    if service_on < local_date(pairing.created_dt):
        raise ValidationFailed(_l("The service is earlier than the pairing."),
                               details={"field": "service_on"})
    files = [(stream, name) for stream, name in files if name]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed(_l("At most %(count)s files.", count=MAX_ATTACHMENTS),
                               details={"field": "attachments"})
    required = _l("This field is required.")
    service = CommissionerService(
        commissioner_id=commissioner.id, pairing_id=pairing.id, service_on=service_on,
        place=_text(place, "place", required),
        participants=_text(participants, "participants", required),
        work_done=_text(work_done, "work_done", required),
        outcome=_text(outcome, "outcome", required))
    db.session.add(service)
    db.session.flush()
    for stream, name in files:
        stored = storage.store(stream, name, field="attachments")
        db.session.add(ServiceAttachment(service_id=service.id, **stored))
    db.session.flush()
    audit.record(service, "log", actor=actor, after=ServiceStatus.LOGGED,
                 data={"commissioner_id": commissioner.id, "pairing_id": pairing.id,
                       "service_on": service_on, "attachments": len(files)})
    outbox.emit("commissioners.service_logged", service_id=service.id)
    return service


def answer_service(service, actor, confirm, reason=None):
    """The served party confirms the service, or disputes it with a reason."""
    service = db.session.execute(for_update(
        select(CommissionerService).where(CommissionerService.id == service.id)
        .execution_options(populate_existing=True), of=CommissionerService)).scalar_one()
    if service.status != ServiceStatus.LOGGED:
        raise InvalidTransition(details={"state": service.status.value})
    reason = (reason or "").strip() or None
    if not confirm and reason is None:
        raise ValidationFailed(_l("Say what is wrong with this record."),
                               code="reason_required", details={"field": "reason"})
    transition(service, "confirm" if confirm else "dispute", actor=actor,
               data={"reason": reason})
    service.answered_by_id = actor.id
    service.answered_dt = now_utc()
    service.dispute_reason = None if confirm else reason
    outbox.emit("commissioners.service_answered", service_id=service.id)
    db.session.flush()
    return service


def services_query(commissioner_id=None, firm_id=None, status=None, bureau_answers=False):
    """Services, the latest first: of a commissioner, given to a firm, or (with
    ``bureau_answers``) those the bureau answers (villages and parks)."""
    query = select(CommissionerService).join(Pairing)
    if commissioner_id is not None:
        query = query.where(CommissionerService.commissioner_id == commissioner_id)
    if firm_id is not None:
        query = query.where(Pairing.firm_id == firm_id)
    if bureau_answers:
        query = query.where(Pairing.kind != PairingKind.FIRM)
    if status is not None:
        query = query.where(CommissionerService.status == status)
    return query.order_by(CommissionerService.service_on.desc(),
                          CommissionerService.id.desc())
