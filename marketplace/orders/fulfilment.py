"""After the contract: the co-pay, delivery with its invoice, acceptance (which settles
the held co-pay to the agency's co-pay payable and is announced: the claims domain creates
the redemption claim), disputes, cancellation and the firm's rating."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import funds
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.signals import answers
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.integrity import invoices
from marketplace.orders import signals
from marketplace.orders.models import (CANCELLABLE_STATUSES, Delivery, OrderStatus,
                                       Rating)
from marketplace.orders.services import (NotYourTurn, is_frozen, lock_order,
                                         refuse_if_frozen)
from marketplace.vouchers import lifecycle as voucher_lifecycle


class DuplicateInvoice(Conflict):
    code = "duplicate_invoice"
    default_message = _l("This invoice number has been used before.")


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    default_message = _l("Please give a reason.")


class AlreadyRated(Conflict):
    code = "already_rated"
    default_message = _l("This order has been rated already.")


def invoice_key(number):
    """Invoice numbers compare by the investigator's key: Unicode-normalised, decorations
    and separators stripped (core.normalise.invoice_key)."""
    return invoices.invoice_key(number) or ""


def _required(text, field="reason"):
    text = (text or "").strip()
    if not text:
        raise ReasonRequired(details={"field": field})
    return text


# --- the co-pay -------------------------------------------------------------------------

def record_copay_received(order, *, payment_id, amount_fen, payment_ref, actor=None):
    """The gateway confirmed the charge ``payment_id``: when it pays this order's co-pay
    (the order waits for it and the amount is the co-pay) it is held for the firm until
    acceptance and the order is paid; returns True. Otherwise (the order is paid already,
    cancelled, or the amount differs) returns False and changes nothing: the charge pays
    for nothing and the payments domain refunds it."""
    order = lock_order(order)
    if order.status != OrderStatus.CONTRACTED or order.contract is None \
            or amount_fen != order.contract.copay_fen or is_frozen(order):
        return False
    funds.copay.receive(payment_id, order.id, amount_fen, actor=actor, memo=payment_ref)
    transition(order, "pay", actor=actor, data={"copay_fen": amount_fen,
                                                "payment": payment_ref})
    order.updated_dt = now_utc()
    outbox.emit("orders.paid", order_id=order.id)
    return True


def copay_held_fen(order):
    return funds.copay.held_fen(order.id)


# --- delivery and acceptance ----------------------------------------------------------

def deliver(order, actor, *, summary, invoice_number, invoice_amount_fen, invoice_date):
    order = lock_order(order)
    if order.status != OrderStatus.PAID:
        transition(order, "deliver", actor=actor)   # refused with the state named
    refuse_if_frozen(order)
    summary = _required(summary, "summary")
    key = invoice_key(invoice_number)
    if not key:
        raise ValidationFailed(_l("Give the invoice number."),
                               details={"field": "invoice_number"})
    if not invoice_amount_fen or invoice_amount_fen <= 0 or \
            invoice_amount_fen > order.contract.contract_amount_fen:
        raise ValidationFailed(_l("The invoice amount must be positive and at most the "
                                  "contract amount."), details={"field": "invoice_amount"})
    if invoice_date is None or invoice_date > date.today() or \
            invoice_date < order.contract.signed_on:
        raise ValidationFailed(_l("The invoice date must lie between the signing of the "
                                  "contract and today."), details={"field": "invoice_date"})
    if invoices.seen(key):      # by any delivery or imported registration
        raise DuplicateInvoice(details={"field": "invoice_number"})
    transition(order, "deliver", actor=actor, data={"invoice_number": invoice_number.strip(),
                                                    "invoice_amount_fen": invoice_amount_fen})
    delivery = Delivery(order_id=order.id, summary=summary,
                        invoice_number=invoice_number.strip(), invoice_number_key=key,
                        invoice_amount_fen=invoice_amount_fen, invoice_date=invoice_date,
                        delivered_by_id=actor.id)
    db.session.add(delivery)
    order.updated_dt = now_utc()
    db.session.flush()
    outbox.emit("orders.delivered", order_id=order.id)
    return delivery


def accept(order, actor, *, today=None):
    """验收: the firm accepts delivery. The held co-pay goes to the agency's payable, and
    the acceptance is announced in this transaction: when a voucher paid part, the claims
    domain creates the redemption claim for it, which is returned (else None)."""
    today = today or date.today()
    order = lock_order(order)
    refuse_if_frozen(order)
    transition(order, "accept", actor=actor)
    order.accepted_dt = order.updated_dt = now_utc()
    funds.copay.settle(order.id, order.agency_id, actor=actor)
    made = answers(signals.order_accepted, order, actor=actor, today=today)
    outbox.emit("orders.accepted", order_id=order.id)
    return made[0] if made else None


def dispute(order, actor, reason):
    order = lock_order(order)
    reason = _required(reason)
    transition(order, "dispute", actor=actor, data={"reason": reason})
    order.dispute_reason = reason
    order.updated_dt = now_utc()
    outbox.emit("orders.disputed", order_id=order.id)
    return order


def mediate(order, auditor, outcome, note):
    """The auditor settles a dispute: the agency delivers again, the delivery stands
    (accepted), or the order is cancelled."""
    note = _required(note, "note")
    order = lock_order(order)
    if order.status != OrderStatus.DISPUTED:
        transition(order, outcome, actor=auditor)   # refused with the state named
    if outcome == "redeliver":
        transition(order, "redeliver", actor=auditor, data={"note": note})
        db.session.delete(order.delivery)   # the invoice may be reissued with the new delivery
        db.session.flush()
        db.session.expire(order, ["delivery"])
        order.updated_dt = now_utc()
        outbox.emit("orders.mediated", order_id=order.id, outcome=outcome)
        return None
    if outcome == "accept":
        audit.record(order, "mediate", actor=auditor, data={"outcome": outcome, "note": note})
        claim = accept(order, auditor)
        outbox.emit("orders.mediated", order_id=order.id, outcome=outcome)
        return claim
    if outcome == "cancel":
        audit.record(order, "mediate", actor=auditor, data={"outcome": outcome, "note": note})
        _cancel(order, auditor, note)
        outbox.emit("orders.mediated", order_id=order.id, outcome=outcome)
        return None
    raise ValidationFailed(details={"field": "outcome"})


# --- cancellation ---------------------------------------------------------------------

def party_of(user, order):
    if user.organisation_id == order.firm_id:
        return "firm"
    if user.organisation_id == order.agency_id:
        return "agency"
    return None


def request_cancellation(order, actor, reason):
    """Before a contract either side cancels at once; after it, the other side agrees."""
    reason = _required(reason)
    order = lock_order(order)
    if order.status not in CANCELLABLE_STATUSES:
        transition(order, "cancel", actor=actor)   # refused with the state named
    if order.contract is None:
        _cancel(order, actor, reason)
        return order
    order.cancel_requested_by = party_of(actor, order)
    order.cancel_reason = reason
    order.cancel_requested_dt = order.updated_dt = now_utc()
    audit.record(order, "request_cancellation", actor=actor,
                 data={"by": order.cancel_requested_by, "reason": reason})
    outbox.emit("orders.cancellation_requested", order_id=order.id)
    return order


def answer_cancellation(order, actor, agree):
    order = lock_order(order)
    if order.cancel_requested_by is None:
        raise Conflict(_l("Nobody asked to cancel this order."), code="no_cancellation")
    if party_of(actor, order) == order.cancel_requested_by:
        raise NotYourTurn()
    if agree:
        _cancel(order, actor, order.cancel_reason)
    else:
        audit.record(order, "decline_cancellation", actor=actor,
                     data={"requested_by": order.cancel_requested_by})
        order.cancel_requested_by = order.cancel_reason = order.cancel_requested_dt = None
        order.updated_dt = now_utc()
        outbox.emit("orders.cancellation_declined", order_id=order.id)
    return order


def _cancel(order, actor, reason):
    """Release the reservation and hand back the held co-pay: the gateway refunds it after
    commit (through the outbox), and the refund is booked when the gateway confirms it."""
    contract = order.contract
    transition(order, "cancel", actor=actor, data={"reason": reason})
    order.updated_dt = now_utc()
    if contract is not None:
        contract.is_cancelled = True
        signals.contract_cancelled.send(contract, actor=actor)
        if contract.voucher_part_fen:
            voucher_lifecycle.release(contract.voucher, contract.voucher_part_fen,
                                      ref=("contract", contract.id), actor=actor,
                                      idempotency_key=f"contract-release:{order.id}")
        held = copay_held_fen(order)
        if held:
            outbox.emit("orders.refund_copay", order_id=order.id, amount_fen=held)
    outbox.emit("orders.cancelled", order_id=order.id)


# --- rating -----------------------------------------------------------------------------

def rate(order, actor, stars, comment=""):
    # locked: two ratings sent at once (a double click) must not both find none
    order = lock_order(order)
    if order.status != OrderStatus.ACCEPTED:
        raise Conflict(_l("An order can be rated after acceptance."), code="not_accepted")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed(_l("Give one to five stars."), details={"field": "stars"})
    if db.session.execute(select(Rating.id).where(Rating.order_id == order.id)).first():
        raise AlreadyRated()
    rating = Rating(order_id=order.id, agency_id=order.agency_id, stars=stars,
                    comment=(comment or "").strip()[:2000], rated_by_id=actor.id)
    db.session.add(rating)
    db.session.flush()
    audit.record(rating, "rate", actor=actor, data={"order_id": order.id, "stars": stars})
    outbox.emit("orders.rated", order_id=order.id)
    return rating
