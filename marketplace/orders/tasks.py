"""Outbox consumers of the order flow: tell each party what happened and what to do
next, refund cancelled co-pays through the gateway, keep scorecards current."""
from sqlalchemy import select
from sqlalchemy.orm import defaultload

from marketplace.accounts.models import Role
from marketplace.agencies.models import AgencyProfile
from marketplace.catalogue.models import Offering
from marketplace.catalogue.scorecards import refresh as refresh_scorecard
from marketplace.core import audit, outbox
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.notifications.services import active_members, active_staff, notify
from marketplace.orders.models import OPEN_STATUSES, Order


def _tell(order, party, kind, **params):
    organisation_id = order.firm_id if party == "firm" else order.agency_id
    params.setdefault("order", order.id)
    params.setdefault("offering", order.offering.title)
    for member in active_members(organisation_id):
        notify(member, kind, link=f"/orders/{order.id}", **params)


# The agencies' categories load with every agency (selectin), twice per order (its agency
# and its offering's); nothing told of an order shows them.
_WITHOUT_CATEGORIES = (
    defaultload(Order.agency).lazyload(AgencyProfile.categories),
    defaultload(Order.offering).defaultload(Offering.agency).lazyload(AgencyProfile.categories))


def _order(order_id):
    return db.session.get(Order, order_id, options=_WITHOUT_CATEGORIES)


@outbox.handler("orders.requested")
def tell_agency_of_request(order_id):
    order = _order(order_id)
    _tell(order, "agency", "order_requested", firm=order.firm.name)


@outbox.handler("orders.quoted")
def tell_firm_of_quote(order_id):
    order = _order(order_id)
    _tell(order, "firm", "order_quoted", agency=order.agency.name,
          amount=format_fen(order.current_quote.contract_amount_fen))


@outbox.handler("orders.contracted")
def tell_both_of_contract(order_id):
    order = _order(order_id)
    contract = order.contract
    params = {"number": contract.number, "voucher_part": format_fen(contract.voucher_part_fen),
              "copay": format_fen(contract.copay_fen)}
    _tell(order, "firm", "order_contracted", **params)
    _tell(order, "agency", "order_contracted", **params)


@outbox.handler("orders.paid")
def tell_agency_of_payment(order_id):
    order = _order(order_id)
    _tell(order, "agency", "order_paid", copay=format_fen(order.contract.copay_fen))


@outbox.handler("orders.delivered")
def tell_firm_of_delivery(order_id):
    _tell(_order(order_id), "firm", "order_delivered")


@outbox.handler("orders.accepted")
def tell_agency_of_acceptance(order_id):
    order = _order(order_id)
    _tell(order, "agency", "order_accepted")
    refresh_scorecard(order.agency_id)


@outbox.handler("orders.disputed")
def tell_of_dispute(order_id):
    order = _order(order_id)
    _tell(order, "agency", "order_disputed", reason=order.dispute_reason or "")
    for auditor in active_staff(Role.AUDITOR):
        notify(auditor, "order_dispute_to_mediate", link=f"/orders/{order.id}",
               order=order.id, offering=order.offering.title)
    refresh_scorecard(order.agency_id)


@outbox.handler("orders.mediated")
def tell_of_mediation(order_id, outcome):
    order = _order(order_id)
    for party in ("firm", "agency"):
        _tell(order, party, f"order_mediated_{outcome}")


@outbox.handler("orders.cancellation_requested")
def tell_other_party_of_cancellation_request(order_id):
    order = _order(order_id)
    other = "agency" if order.cancel_requested_by == "firm" else "firm"
    _tell(order, other, "order_cancellation_requested", reason=order.cancel_reason or "")


@outbox.handler("orders.cancellation_declined")
def tell_of_declined_cancellation(order_id):
    order = _order(order_id)
    for party in ("firm", "agency"):
        _tell(order, party, "order_cancellation_declined")


@outbox.handler("orders.cancelled")
def tell_both_of_cancellation(order_id):
    order = _order(order_id)
    for party in ("firm", "agency"):
        _tell(order, party, "order_cancelled")
    refresh_scorecard(order.agency_id)


@outbox.handler("orders.rated")
def update_scorecard_after_rating(order_id):
    refresh_scorecard(_order(order_id).agency_id)


@outbox.handler("agencies.left_registry")
def flag_open_orders(agency_id, action):
    """A suspended or removed agency's open orders are flagged for both parties and the
    bureau; nothing else about them changes until someone acts."""
    orders = db.session.execute(select(Order).where(
        Order.agency_id == agency_id, Order.status.in_(OPEN_STATUSES),
        Order.is_flagged.is_(False))).scalars().all()
    for order in orders:
        order.is_flagged = True
        order.flag_reason = f"agency_{action}"
        audit.record(order, "flag", data={"reason": order.flag_reason})
        for party in ("firm", "agency"):
            _tell(order, party, "order_flagged")


@outbox.handler("orders.refund_copay")
def refund_copay(order_id, amount_fen):
    from marketplace.orders.payment import refund_cancelled_copay

    refund_cancelled_copay(order_id, amount_fen)
