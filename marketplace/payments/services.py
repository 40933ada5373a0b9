"""Payments kept in step with the gateway. Functions change and flush; the caller commits.

Every status change goes through the Payment's transition table, whoever brings the news
(the gateway's answer, a later retrieve, a webhook), and then tells the subscribers of
``payments.events``. News that would move a payment backwards (a payment_failed event
arriving after succeeded) or sideways (the same news twice) changes nothing. Webhooks and
the reconciliation bring their news through ``inbound``.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select

from marketplace import funds
from marketplace.core import outbox
from marketplace.core.rows import for_update, insert_unless_present
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.payments import events, gateway
from marketplace.payments.errors import PaymentMismatch, PaymentNotRefundable
from marketplace.payments.models import Payment, PaymentStatus

log = logging.getLogger(__name__)
S = PaymentStatus


@dataclass(frozen=True)
class PaymentAttempt:
    """What :func:`pay` did. ``client_secret``/``next_action`` are set while the card
    holder must confirm (3-D Secure) and are for Stripe.js only: they are not stored."""
    payment: Payment
    client_secret: str | None = None
    next_action: dict | None = None
    replayed: bool = False           # the key was known: nothing was charged this time

    def error(self):
        """CardDeclined / AuthenticationRequired for a failed payment, else None."""
        if self.payment.status != S.FAILED:
            return None
        return gateway.failure_error(self.payment.last_error_code)


def payment_for_key(idempotency_key):
    return db.session.execute(
        select(Payment).where(Payment.idempotency_key == idempotency_key)).scalar_one_or_none()


def payment_for_intent(payment_intent_id):
    if not payment_intent_id:
        return None
    return db.session.execute(
        select(Payment).where(Payment.payment_intent_id == payment_intent_id)
    ).scalar_one_or_none()


def payments_of(subject_type, subject_id):
    return db.session.execute(
        select(Payment).where(Payment.subject_type == subject_type,
                              Payment.subject_id == subject_id).order_by(Payment.id)
    ).scalars().all()


def pay(subject_type, subject_id, amount_fen, *, payment_method, idempotency_key,
        actor=None, currency="cny"):
    """Charge ``payment_method`` for ``amount_fen`` on behalf of a subject ("order", 7).

    ``idempotency_key`` names this charge for good: called again with it, ``pay``
    returns the first Payment (``replayed``) and charges nothing; with another subject or
    amount it refuses (``idempotency_key_reused``). A declined card is a failed Payment,
    not an exception (``attempt.error()`` is what to show); the gateway being down or
    refusing raises GatewayUnavailable / GatewayError, and the caller's rollback then
    leaves no trace, as if nothing had been tried.
    """
    payment, created = start_attempt(subject_type, subject_id, amount_fen,
                                     idempotency_key=idempotency_key, actor=actor,
                                     currency=currency)
    if not created:  # asked before (or right now, by a request PostgreSQL made us wait for)
        return _replay(payment, subject_type, subject_id, amount_fen, actor)
    return charge(payment, payment_method=payment_method, actor=actor)


def start_attempt(subject_type, subject_id, amount_fen, *, idempotency_key, actor=None,
                  currency="cny"):
    """Record a charge about to be sent (pending): ``(payment, created)``. The row is the
    attempt's name at the gateway (its key), so a retry re-sends the same charge."""
    created = insert_unless_present(
        Payment.__table__, ["idempotency_key"], subject_type=subject_type,
        subject_id=subject_id, amount_fen=amount_fen, currency=currency,
        idempotency_key=idempotency_key, status=S.PENDING,
        created_by_id=getattr(actor, "id", actor))
    return payment_for_key(idempotency_key), created


def charge(payment, *, payment_method, actor=None):
    """Send the pending attempt to the gateway (the same key as any earlier sending, so
    the gateway charges it once) and record its answer. Call it holding no row lock: the
    gateway may take seconds, and the webhook of this very charge must not wait for us.
    The Payment row is locked only to record the answer."""
    result = gateway.charge(
        payment.amount_fen, currency=payment.currency, payment_method=payment_method,
        idempotency_key=f"charge:{payment.idempotency_key}",
        metadata={"subject_type": payment.subject_type, "subject_id": payment.subject_id,
                  "payment_key": payment.idempotency_key})
    apply_intent(payment, result, actor=actor)
    return PaymentAttempt(payment, client_secret=result.client_secret,
                          next_action=result.next_action)


def cancel(payment, *, actor=None):
    """Cancel an attempt still waiting for the card holder (3-D Secure) before another
    one is made. The gateway refuses to cancel a charge that went through meanwhile: then
    that success is recorded instead. Returns the Payment as it now stands."""
    if payment.payment_intent_id is None:
        return payment
    result = gateway.cancel(payment.payment_intent_id)
    apply_intent(payment, result, actor=actor)
    return payment


def abandon(payment, reason, *, actor=None):
    """An attempt whose outcome the gateway never told (the request died, the gateway did
    not answer) and that is too old to be still under way: recorded as failed so another
    may be made. Should it have charged after all, its webhook (or the nightly
    reconciliation) books that charge, and a charge that pays for nothing is refunded."""
    payment = lock_payment(payment)
    if payment.status != S.PENDING:
        return payment
    payment.last_error_code = "unconfirmed"
    payment.last_error_message = reason[:300]
    _move(payment, "fail", actor=actor)
    return payment


def _replay(payment, subject_type, subject_id, amount_fen, actor):
    if (payment.subject_type, payment.subject_id, payment.amount_fen) != \
            (subject_type, subject_id, amount_fen):
        from marketplace.core.idempotency import IdempotencyKeyReused
        raise IdempotencyKeyReused(details={"payment_id": payment.id})
    if payment.status == S.REQUIRES_ACTION:
        # Still waiting for the card holder: hand out the client secret again.
        result = gateway.retrieve(payment.payment_intent_id)
        apply_intent(payment, result, actor=actor)
        return PaymentAttempt(payment, client_secret=result.client_secret,
                              next_action=result.next_action, replayed=True)
    return PaymentAttempt(payment, replayed=True)


def refresh(payment, *, actor=None):
    """Ask the gateway where the payment stands (after the card holder confirmed on the
    Stripe.js page, or to reconcile) and record it. Returns the gateway's IntentResult."""
    if not payment.payment_intent_id:
        return None
    result = gateway.retrieve(payment.payment_intent_id)
    apply_intent(payment, result, actor=actor)
    if result.amount_refunded_fen:
        record_refunded_total(payment, result.amount_refunded_fen, actor=actor)
    return result


def refresh_all(found, *, actor=None):
    """``refresh`` for several payments: the gateway is asked about each before any row
    is locked to record the answers."""
    answers = [(payment, gateway.retrieve(payment.payment_intent_id))
               for payment in found if payment.payment_intent_id]
    for payment, result in answers:
        apply_intent(payment, result, actor=actor)
        if result.amount_refunded_fen:
            record_refunded_total(payment, result.amount_refunded_fen, actor=actor)
    return [result for _payment, result in answers]


def refund(payment, amount_fen=None, *, idempotency_key, actor=None):
    """Give back ``amount_fen`` (all that is left when None) through the gateway.

    The refunded total is then read back from the gateway rather than added up here, so
    running this twice with the same key (an outbox retry) cannot count a refund twice.
    """
    amount = payment.refundable_fen if amount_fen is None else amount_fen
    if not payment.is_paid or amount <= 0 or amount > payment.refundable_fen:
        raise PaymentNotRefundable(details={"refundable_fen": payment.refundable_fen})
    result = gateway.refund(payment.payment_intent_id, amount,
                            idempotency_key=f"refund:{idempotency_key}")
    if result.status in ("succeeded", "pending"):
        current = gateway.retrieve(payment.payment_intent_id)
        total = current.amount_refunded_fen or (payment.refunded_fen + result.amount_fen)
        record_refunded_total(payment, total, actor=actor)
    return result


# --- applying news ----------------------------------------------------------------------

_ACTION_FOR_RESULT = {gateway.SUCCEEDED: "succeed", gateway.FAILED: "fail",
                      gateway.REQUIRES_ACTION: "require_action"}
_EVENT_FOR_ACTION = {"succeed": events.SUCCEEDED, "fail": events.FAILED,
                     "require_action": events.REQUIRES_ACTION, "refund": events.REFUNDED,
                     "refund_part": events.REFUNDED}


def lock_payment(payment):
    """Re-read ``payment`` under its row lock (the same object, refreshed). Every
    read-check-write of a payment's status starts here, so two pieces of news at once
    (the gateway's answer and a webhook, two refund events) apply one after the other,
    the second seeing the first. Lock order: the payment, then what its subscribers lock
    (the order); never a gateway call while holding it."""
    return db.session.execute(for_update(select(Payment).where(Payment.id == payment.id))
                              .execution_options(populate_existing=True)).scalar_one()


def apply_intent(payment, result, *, actor=None, stripe_event_id=None):
    """Record a PaymentIntent's state (an IntentResult) on its Payment; True if changed."""
    lock_payment(payment)
    _check_matches(payment, result.amount_fen, result.currency)
    if result.payment_intent_id and not payment.payment_intent_id:
        payment.payment_intent_id = result.payment_intent_id
    action = _ACTION_FOR_RESULT.get(result.status)
    if action is None:
        return False  # processing: a webhook will tell
    if action == "fail":
        if payment.status in (S.PENDING, S.REQUIRES_ACTION):  # else: nothing to un-pay
            payment.last_error_code = (result.error_code or "card_declined")[:64]
            payment.last_error_message = (result.error_message or "")[:300] or None
    return _move(payment, action, actor=actor, stripe_event_id=stripe_event_id)


def record_refunded_total(payment, total_fen, *, actor=None, stripe_event_id=None):
    """The gateway says ``total_fen`` has been refunded so far. Totals only grow, so an
    older event arriving late changes nothing."""
    lock_payment(payment)
    total = min(int(total_fen), payment.amount_fen)
    if total <= payment.refunded_fen:
        return False
    if not payment.is_paid:  # a refund proves the money came in: that news was late
        _move(payment, "succeed", actor=actor, stripe_event_id=stripe_event_id)
    delta = total - payment.refunded_fen
    payment.refunded_fen = total
    action = "refund" if total == payment.amount_fen else "refund_part"
    return _move(payment, action, actor=actor, stripe_event_id=stripe_event_id,
                 data={"refunded_fen": total}, refunded_delta=delta)


def _move(payment, action, *, actor=None, stripe_event_id=None, data=None,
          refunded_delta=0):
    if action not in payment.TRANSITIONS.actions_from(payment.status):
        return False  # out of order or repeated: the payment already knows better
    previous = payment.status
    transition(payment, action, actor=actor,
               data={"payment_intent": payment.payment_intent_id,
                     "stripe_event": stripe_event_id, **(data or {})})
    payment.updated_dt = now_utc()
    db.session.flush()
    event = events.PaymentEvent(type=_EVENT_FOR_ACTION[action], payment=payment,
                                previous_status=previous, stripe_event_id=stripe_event_id,
                                actor_id=getattr(actor, "id", actor),
                                refunded_delta_fen=refunded_delta)
    if action == "succeed":
        if not any(events.emit(event)):
            _book_unallocated(payment, actor)
        return True
    if action in ("refund", "refund_part") and not funds.copay.is_allocated(payment.id):
        # a charge no domain took: its refund leaves the unallocated account
        funds.copay.refund(payment.id, None, None, refunded_delta,
                           refunded_total=payment.refunded_fen, allocated=False, actor=actor)
    events.emit(event)
    return True


def _book_unallocated(payment, actor):
    """Money came in that pays for nothing (a second charge of a paid order, a charge of a
    cancelled or unknown one, a wrong amount): booked as such and refunded at once, and
    the bureau is told."""
    funds.copay.receive_unallocated(payment.id, payment.amount_fen, actor=actor,
                                    memo=payment.payment_intent_id)
    outbox.emit("payments.refund_unallocated", payment_id=payment.id)
    log.warning("payment %s (%s) pays for nothing: refunding it", payment.id,
                payment.payment_intent_id)


def _check_matches(payment, amount_fen, currency):
    if amount_fen and (amount_fen != payment.amount_fen
                       or (currency or payment.currency).lower() != payment.currency):
        raise PaymentMismatch(details={"payment_id": payment.id, "amount_fen": amount_fen,
                                       "currency": currency})
