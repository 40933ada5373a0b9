"""Outbox consumers of the rewards: tell each organisation on the list of its line."""
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.labels import label
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.incentives.models import RewardLine, RewardList
from marketplace.notifications.services import active_members, notify


def _tell(list_id, kind):
    reward_list = db.session.get(RewardList, list_id)
    lines = db.session.execute(select(RewardLine).where(
        RewardLine.list_id == list_id, RewardLine.organisation_id.is_not(None))
        .order_by(RewardLine.id)).scalars().all()
    for line in lines:
        for member in active_members(line.organisation_id):
            with force_locale(member.locale or "zh"):
                role = label(line.role)
            notify(member, kind, link=f"/incentives/lines/{line.id}", year=reward_list.year,
                   amount=format_fen(line.amount_fen), role=role,
                   reference=reward_list.payment_reference or "")


@outbox.handler("incentives.published")
def tell_about_publication(list_id):
    _tell(list_id, "reward_published")


@outbox.handler("incentives.paid")
def tell_about_payment(list_id):
    _tell(list_id, "reward_paid")
