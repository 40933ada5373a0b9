"""Outbox consumers of the catalogue."""
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Offering
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.notifications.services import notify


@outbox.handler("catalogue.offering_taken_down")
def tell_about_takedown(offering_id):
    offering = db.session.get(Offering, offering_id)
    members = db.session.execute(select(User).where(
        User.organisation_id == offering.agency_id,
        User.is_active_account.is_(True))).scalars().all()
    for member in members:
        notify(member, "offering_taken_down", title=offering.title,
               reason=offering.takedown_reason or "-",
               link=f"/my/offerings/{offering.id}/edit")
