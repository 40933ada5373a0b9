"""Agency scorecards: one row per admitted agency, read by the agency page and used to
sort the catalogue. The figures come from orders, claims and ratings; ``refresh`` is
called when one of those changes and by the nightly job."""
from sqlalchemy import select

from marketplace.catalogue.models import AgencyScorecard
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

# Each source contributes figures to the card: ``fn(agency_id) -> dict`` of column values.
# The orders and claims domains register theirs; with none registered a card shows that
# the agency has no work on the platform yet (all counts zero, no rates).
SOURCES = []


def scorecard_source(func):
    SOURCES.append(func)
    return func


def ensure_scorecard(agency_id):
    card = db.session.get(AgencyScorecard, agency_id)
    if card is None:
        card = AgencyScorecard(agency_id=agency_id)
        db.session.add(card)
        db.session.flush()
    return card


def refresh(agency_id):
    card = ensure_scorecard(agency_id)
    for source in SOURCES:
        for column, value in source(agency_id).items():
            setattr(card, column, value)
    card.computed_dt = now_utc()
    db.session.flush()
    return card


def scorecards_for(agency_ids):
    if not agency_ids:
        return {}
    rows = db.session.execute(select(AgencyScorecard).where(
        AgencyScorecard.agency_id.in_(list(agency_ids)))).scalars().all()
    return {row.agency_id: row for row in rows}


def as_dict(card):
    """The card for the API and templates; rates as percentages with one decimal."""
    def pct(bp):
        return None if bp is None else round(bp / 100, 1)

    if card is None:
        return {"orders_completed": 0, "median_delivery_ratio": None, "acceptance_rate": None,
                "claim_rejection_rate": None, "disputes": 0, "rating_average": None,
                "rating_count": 0}
    return {
        "orders_completed": card.orders_completed,
        "median_delivery_ratio": (None if card.median_delivery_ratio_bp is None
                                  else round(card.median_delivery_ratio_bp / 10000, 2)),
        "acceptance_rate": pct(card.acceptance_rate_bp),
        "claim_rejection_rate": pct(card.claim_rejection_rate_bp),
        "disputes": card.disputes,
        "rating_average": (None if card.rating_avg_x100 is None
                           else round(card.rating_avg_x100 / 100, 2)),
        "rating_count": card.rating_count,
    }
