"""The firm's co-pay through the payment gateway. The order is marked paid by the
payments domain's ``payment_intent.succeeded`` event, whether that news comes with the
gateway's answer or later by webhook (3-D Secure), so both paths run the same code."""
from dataclasses import dataclass

from marketplace.core.states import transition
from marketplace.extensions import db
from marketplace.orders import fulfilment
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import lock_order
from marketplace.payments import events
from marketplace.payments import services as payments
from marketplace.payments.models import PaymentStatus

SUBJECT = "order"


@dataclass(frozen=True)
class CopayResult:
    status: str                        # succeeded | requires_action | failed
    payment_intent_id: str | None
    client_secret: str | None = None   # for Stripe.js to finish 3-D Secure
    error: object = None               # the DomainError to show when failed


def pay_copay(order, actor, *, payment_method, idempotency_key):
    """Charge the co-pay. A declined card leaves the order as it was and returns
    ``failed`` with the error to show (the failed attempt is kept for the record); the
    gateway being down raises GatewayUnavailable and nothing is kept. The client's
    ``idempotency_key`` is honoured by the request layer (the API's Idempotency-Key, the
    form's token); the gateway gets a key per attempt (see ``_attempt_key``)."""
    order = lock_order(order)
    if order.status != OrderStatus.CONTRACTED:
        paid = [p for p in payments.payments_of(SUBJECT, order.id) if p.is_paid]
        if order.status != OrderStatus.CANCELLED and paid:
            return CopayResult("succeeded", paid[-1].payment_intent_id)
        transition(order, "pay", actor=actor)   # refused, naming the order's state
    attempt = payments.pay(SUBJECT, order.id, order.contract.copay_fen,
                           payment_method=payment_method, idempotency_key=_attempt_key(order),
                           actor=actor)
    payment = attempt.payment
    status = {PaymentStatus.SUCCEEDED: "succeeded",
              PaymentStatus.REQUIRES_ACTION: "requires_action"}.get(payment.status, "failed")
    if payment.is_paid:
        status = "succeeded"
    return CopayResult(status, payment.payment_intent_id, client_secret=attempt.client_secret,
                       error=attempt.error())


def _attempt_key(order):
    """The gateway's key for the next charge of this co-pay: one per recorded attempt,
    whatever key the client sent. A retry after the gateway timed out (nothing recorded
    here, the card perhaps charged there) sends the same key again and gets the first
    charge back rather than a second one, even from a form shown afresh with a new
    token; after a recorded failure (a declined card) the next attempt gets a new key."""
    attempts = len(payments.payments_of(SUBJECT, order.id))
    return f"copay:{order.id}:{order.contract.id}:{attempts + 1}"


def refresh_copay(order, actor=None):
    """After the card holder confirmed on the Stripe.js page: ask the gateway now
    rather than wait for the webhook."""
    for payment in payments.payments_of(SUBJECT, order.id):
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            payments.refresh(payment, actor=actor)
    return order


def copay_payments(order):
    return payments.payments_of(SUBJECT, order.id)


@events.on_payment_event(events.SUCCEEDED)
def _mark_order_paid(event):
    if event.payment.subject_type != SUBJECT:
        return
    order = db.session.get(Order, event.payment.subject_id)
    fulfilment.record_copay_received(order, amount_fen=event.payment.amount_fen,
                                     payment_ref=event.payment.payment_intent_id,
                                     actor=event.actor_id)


def refund_cancelled_copay(order_id, amount_fen):
    """Give the held co-pay of a cancelled order back through the gateway (outbox: after
    the cancellation committed; the refund's key makes a retry harmless)."""
    remaining = amount_fen
    for payment in payments.payments_of(SUBJECT, order_id):
        if remaining <= 0:
            break
        if payment.refundable_fen:
            part = min(payment.refundable_fen, remaining)
            payments.refund(payment, part, idempotency_key=f"order-cancel:{order_id}:"
                                                           f"{payment.id}")
            remaining -= part
    return amount_fen - remaining


@events.on_payment_event(events.REFUNDED)
def _void_claim_after_outside_refund(event):
    """A refund the platform did not make itself (its cancellations refund cancelled
    orders): after acceptance it means the co-pay was rebated, which voids the claim."""
    if event.payment.subject_type != SUBJECT:
        return
    order = db.session.get(Order, event.payment.subject_id)
    if order is None or order.status != OrderStatus.ACCEPTED:
        return
    from marketplace.claims.voiding import record_refund_after_acceptance

    record_refund_after_acceptance(order, event.payment.refunded_fen, actor=event.actor_id)
