"""Outbox consumers of the catalogue."""
from marketplace.catalogue.models import Offering
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.notifications.services import active_members, notify


@outbox.handler("catalogue.offering_taken_down")
def tell_about_takedown(offering_id):
    offering = db.session.get(Offering, offering_id)
    for member in active_members(offering.agency_id):
        notify(member, "offering_taken_down", title=offering.title,
               reason=offering.takedown_reason or "-",
               link=f"/my/offerings/{offering.id}/edit")
