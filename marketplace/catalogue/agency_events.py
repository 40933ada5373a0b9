"""What the catalogue does when the agencies domain announces something
(marketplace/agencies/signals.py; connected by ``catalogue.init_app``). Each receiver runs
in the sender's transaction: it flushes, never commits.

- an admitted agency gets its scorecard at once;
- a renamed service category's offerings are indexed again under the new names.
"""
from sqlalchemy import select

from marketplace.catalogue.models import Offering
from marketplace.catalogue.scorecards import ensure_scorecard
from marketplace.catalogue.services import reindex
from marketplace.extensions import db


def scorecard_for_admitted_agency(profile):
    return ensure_scorecard(profile.organisation_id)


def reindex_offerings_of_category(category):
    for offering in db.session.execute(select(Offering).where(
            Offering.category_id == category.id)).scalars():
        reindex(offering)
    db.session.flush()


def connect(signals):
    """Subscribe to ``marketplace.agencies.signals`` (called once per app; blinker keeps a
    receiver once)."""
    signals.agency_admitted.connect(scorecard_for_admitted_agency)
    signals.category_renamed.connect(reindex_offerings_of_category)
