"""The firm's co-pay through the payment gateway. The order is marked paid by the
payments domain's ``payment_intent.succeeded`` event, whether that news comes with the
gateway's answer or later by webhook (3-D Secure), so both paths run the same code.

One attempt at a time per order: an attempt still waiting for the card holder is
cancelled at the gateway before a new one is made, and an attempt whose outcome the
gateway has not told yet is re-sent under its own key (the gateway charges it once)
rather than replaced. A charge that still comes in for an order that is paid, cancelled
or unknown pays for nothing and is refunded automatically (payments domain).

The gateway is never called while the order's row is locked: paying is three units of
work (decide under the lock; settle earlier attempts at the gateway; charge), and the
caller commits after each (``steps``), so the webhook of this very charge never waits
on us."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.orders import fulfilment, signals
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.services import lock_order, refuse_if_frozen
from marketplace.payments import events
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, PaymentStatus

SUBJECT = "order"


@dataclass(frozen=True)
class CopayResult:
    status: str                        # succeeded | requires_action | failed
    payment_intent_id: str | None
    client_secret: str | None = None   # for Stripe.js to finish 3-D Secure
    error: object = None               # the DomainError to show when failed


@dataclass(frozen=True)
class CopayPlan:
    order_id: int
    payment_id: int                    # the attempt to send (new, or re-sent)
    cancel_ids: tuple = ()             # earlier attempts waiting for the card holder
    stale_ids: tuple = ()              # earlier attempts the gateway never answered


def pay_copay(order, actor, *, payment_method, idempotency_key, commit=None):
    """Charge the co-pay. ``commit`` is the caller's unit of work, called between the
    steps (the request's ``db.session.commit``); without it the steps share the caller's
    transaction (tests that look inside one). A declined card leaves the order as it was
    and returns ``failed`` with the error to show (the attempt is kept for the record);
    the gateway being down raises GatewayUnavailable and the attempt stays pending, to
    be re-sent under its key by the next try. ``idempotency_key`` (the API's header, the
    form's token) is honoured by the request layer; the gateway gets a key per attempt."""
    commit = commit or db.session.flush
    plan = plan_copay(order, actor)
    if isinstance(plan, CopayResult):
        return plan
    commit()
    earlier = settle_earlier_attempts(plan, actor)
    if earlier is not None:
        commit()
        return earlier
    commit()
    return charge_copay(plan, actor, payment_method=payment_method)


def plan_copay(order, actor):
    """Under the order's lock: what the next attempt is. Returns a CopayPlan, or the
    CopayResult of an order already paid."""
    order = lock_order(order)
    if order.status != OrderStatus.CONTRACTED:
        paid = [p for p in copay_payments(order) if p.is_paid]
        if order.status != OrderStatus.CANCELLED and paid:
            return CopayResult("succeeded", paid[-1].payment_intent_id)
        transition(order, "pay", actor=actor)   # refused, naming the order's state
    refuse_if_frozen(order)
    attempts = copay_payments(order)
    waiting = tuple(p.id for p in attempts if p.status == PaymentStatus.REQUIRES_ACTION)
    unanswered = [p for p in attempts if p.status == PaymentStatus.PENDING]
    stale = now_utc() - timedelta(seconds=current_app.config["COPAY_ATTEMPT_STALE_SECONDS"])
    for attempt in unanswered:
        if attempt.created_dt > stale:
            # in flight, or its request died: the same key again is charged at most once
            return CopayPlan(order.id, attempt.id, waiting)
    # Stale attempts are closed in the next step, not here: a payment's row is locked
    # before its order's (the webhook's order), never after.
    payment, _created = payments.start_attempt(
        SUBJECT, order.id, order.contract.copay_fen, idempotency_key=_attempt_key(order),
        actor=actor)
    return CopayPlan(order.id, payment.id, waiting,
                     tuple(p.id for p in unanswered if p.id != payment.id))


def settle_earlier_attempts(plan, actor):
    """Cancel the attempts still waiting for the card holder, at the gateway. If one went
    through meanwhile the order is paid by it: the new attempt is dropped unsent and its
    success is the answer. Attempts the gateway never answered are closed as failed."""
    for payment_id in plan.stale_ids:
        payments.abandon(db.session.get(Payment, payment_id),
                         "the gateway never answered this attempt", actor=actor)
    for payment_id in plan.cancel_ids:
        payments.cancel(db.session.get(Payment, payment_id), actor=actor)
    db.session.flush()
    order = db.session.get(Order, plan.order_id)
    db.session.refresh(order)
    paid = [p for p in copay_payments(order) if p.is_paid]
    if not paid:
        return None
    payments.abandon(db.session.get(Payment, plan.payment_id),
                     "an earlier attempt went through", actor=actor)
    return CopayResult("succeeded", paid[-1].payment_intent_id)


def charge_copay(plan, actor, *, payment_method):
    attempt = payments.charge(db.session.get(Payment, plan.payment_id),
                              payment_method=payment_method, actor=actor)
    payment = attempt.payment
    status = {PaymentStatus.SUCCEEDED: "succeeded",
              PaymentStatus.REQUIRES_ACTION: "requires_action"}.get(payment.status, "failed")
    if payment.is_paid:
        status = "succeeded"
    return CopayResult(status, payment.payment_intent_id, client_secret=attempt.client_secret,
                       error=attempt.error())


def _attempt_key(order):
    """The gateway's key for the next charge of this co-pay: one per recorded attempt.
    Two requests deciding at once compute the same key, so only one attempt is made."""
    attempts = len(payments.payments_of(SUBJECT, order.id))
    return f"copay:{order.id}:{order.contract.id}:{attempts + 1}"


def refresh_copay(order, actor=None):
    """After the card holder confirmed on the Stripe.js page: ask the gateway now
    rather than wait for the webhook (every question first, then the answers recorded:
    no gateway call while a payment's row is locked)."""
    payments.refresh_all([p for p in copay_payments(order)
                          if p.status == PaymentStatus.REQUIRES_ACTION], actor=actor)
    return order


def copay_payments(order):
    return payments.payments_of(SUBJECT, order.id)


@events.on_payment_event(events.SUCCEEDED)
def _take_the_copay(event):
    """A charge for an order pays its co-pay when the order waits for exactly that
    amount; anything else (a second charge, a cancelled order) is left to be refunded."""
    if event.payment.subject_type != SUBJECT:
        return False
    order = db.session.get(Order, event.payment.subject_id)
    if order is None:
        return False
    return fulfilment.record_copay_received(
        order, payment_id=event.payment.id, amount_fen=event.payment.amount_fen,
        payment_ref=event.payment.payment_intent_id, actor=event.actor_id)


def refund_cancelled_copay(order_id, amount_fen):
    """Give the held co-pay of a cancelled order back through the gateway (outbox: after
    the cancellation committed; the refund's key makes a retry harmless). The refund is
    booked when the gateway's answer is recorded (``_book_refund``)."""
    remaining = amount_fen
    for payment in payments.payments_of(SUBJECT, order_id):
        if remaining <= 0:
            break
        if payment.refundable_fen and _is_the_copay(payment):
            part = min(payment.refundable_fen, remaining)
            payments.refund(payment, part, idempotency_key=f"order-cancel:{order_id}:"
                                                           f"{payment.id}")
            remaining -= part
    return amount_fen - remaining


def _is_the_copay(payment):
    from marketplace import funds
    return funds.copay.is_allocated(payment.id)


@events.on_payment_event(events.REFUNDED)
def _book_refund(event):
    """A refund of a charge that paid an order's co-pay, booked from where the money
    stands: before acceptance from what the order holds; after it, from the agency's
    unpaid co-pay (its batch line shrinks) or, once paid out, as a recovery the agency
    owes; and after acceptance the claim is voided (a rebate: domain.md, Rebates)."""
    from marketplace import funds

    payment = event.payment
    if payment.subject_type != SUBJECT or not funds.copay.is_allocated(payment.id):
        return   # not a co-pay: the payments domain booked it
    order = lock_order(db.session.get(Order, payment.subject_id))
    signals.copay_refund_arriving.send(order)   # the order, then what hangs from it
    outcome = funds.copay.refund(payment.id, order.id, order.agency_id,
                                 event.refunded_delta_fen,
                                 refunded_total=payment.refunded_fen, allocated=True,
                                 actor=event.actor_id)
    if order.status == OrderStatus.ACCEPTED:
        signals.copay_refunded.send(order, outcome=outcome, actor=event.actor_id)
    elif order.status != OrderStatus.CANCELLED and outcome.from_held:
        # refunded outside the platform before acceptance: the claim's co-pay check will
        # block; the bureau sees the flag now
        order.is_flagged = True
        order.flag_reason = "copay_refunded"
        order.updated_dt = now_utc()
        from marketplace.core import audit
        audit.record(order, "flag", actor=event.actor_id,
                     data={"reason": order.flag_reason, "refunded_fen": outcome.from_held})
