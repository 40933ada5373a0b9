"""Payments kept in step with the gateway. Functions change and flush; the caller commits.

Every status change goes through the Payment's transition table, whoever brings the news
(the gateway's answer, a later retrieve, a webhook), and then tells the subscribers of
``payments.events``. News that would move a payment backwards (a payment_failed event
arriving after succeeded) or sideways (the same news twice) changes nothing.
"""
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.core.errors import DomainError
from marketplace.core.rows import for_update, insert_unless_present
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.payments import events, gateway
from marketplace.payments.errors import PaymentMismatch, PaymentNotRefundable
from marketplace.payments.models import Payment, PaymentStatus, WebhookEvent

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
    created = insert_unless_present(
        Payment.__table__, ["idempotency_key"], subject_type=subject_type,
        subject_id=subject_id, amount_fen=amount_fen, currency=currency,
        idempotency_key=idempotency_key, status=S.PENDING,
        created_by_id=getattr(actor, "id", actor))
    payment = payment_for_key(idempotency_key)
    if not created:  # asked before (or right now, by a request PostgreSQL made us wait for)
        return _replay(payment, subject_type, subject_id, amount_fen, actor)
    result = gateway.charge(
        amount_fen, currency=currency, payment_method=payment_method,
        idempotency_key=f"charge:{idempotency_key}",
        metadata={"subject_type": subject_type, "subject_id": subject_id,
                  "payment_key": idempotency_key})
    apply_intent(payment, result, actor=actor)
    return PaymentAttempt(payment, client_secret=result.client_secret,
                          next_action=result.next_action)


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
    payment.refunded_fen = total
    action = "refund" if total == payment.amount_fen else "refund_part"
    return _move(payment, action, actor=actor, stripe_event_id=stripe_event_id,
                 data={"refunded_fen": total})


def _move(payment, action, *, actor=None, stripe_event_id=None, data=None):
    if action not in payment.TRANSITIONS.actions_from(payment.status):
        return False  # out of order or repeated: the payment already knows better
    previous = payment.status
    transition(payment, action, actor=actor,
               data={"payment_intent": payment.payment_intent_id,
                     "stripe_event": stripe_event_id, **(data or {})})
    payment.updated_dt = now_utc()
    db.session.flush()
    events.emit(events.PaymentEvent(type=_EVENT_FOR_ACTION[action], payment=payment,
                                    previous_status=previous,
                                    stripe_event_id=stripe_event_id,
                                    actor_id=getattr(actor, "id", actor)))
    return True


def _check_matches(payment, amount_fen, currency):
    if amount_fen and (amount_fen != payment.amount_fen
                       or (currency or payment.currency).lower() != payment.currency):
        raise PaymentMismatch(details={"payment_id": payment.id, "amount_fen": amount_fen,
                                       "currency": currency})


# --- webhooks ---------------------------------------------------------------------------

def receive_event(event):
    """Record a verified webhook event once and apply it, in a transaction of its own (the
    webhook request's). Returns the WebhookEvent, or None for a replay (an event id
    already recorded), which changes nothing.

    An event a handler refuses with a DomainError (an amount that does not match, an
    order that will not take the money) rolls back everything it began, and is then
    recorded alone with its error for a person to look at. A full rollback rather than a
    savepoint: the audit log and the outbox drop their queued entries on any rollback.
    """
    stripe_object = event["data"]["object"]
    row = {"stripe_event_id": event["id"], "type": event["type"][:100],
           "payment_intent_id": _intent_id_of(event["type"], stripe_object),
           "payload": json.dumps(event, ensure_ascii=False, sort_keys=True)}
    if not insert_unless_present(WebhookEvent.__table__, ["stripe_event_id"],
                                 received_dt=now_utc(), **row):
        return None
    handler = _EVENT_HANDLERS.get(event["type"])
    if handler is not None:
        try:
            handler(stripe_object, event["id"])
        except DomainError as error:
            log.warning("webhook event %s (%s) refused: %s %s", event["id"], event["type"],
                        error.code, error.details)
            db.session.rollback()
            insert_unless_present(WebhookEvent.__table__, ["stripe_event_id"],
                                  received_dt=now_utc(), processed_dt=now_utc(),
                                  error=f"{error.code}: {error.message}"[:300], **row)
            return _event_record(event["id"])
    record = _event_record(event["id"])
    if handler is not None:
        record.processed_dt = now_utc()
        db.session.flush()
    return record


def _event_record(stripe_event_id):
    return db.session.execute(select(WebhookEvent).where(
        WebhookEvent.stripe_event_id == stripe_event_id)).scalar_one()


def _intent_id_of(event_type, stripe_object):
    if event_type.startswith("payment_intent."):
        return stripe_object.get("id")
    intent = stripe_object.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def _payment_for_event(stripe_object, intent_id):
    """The Payment an event is about. One recorded without its intent (the request that
    charged failed after the gateway answered, and a retry recorded it) is found by the
    key in the intent's metadata; one never recorded at all (the request failed and
    nobody retried) is recorded now from that metadata, so money the gateway took is
    never left unaccounted for."""
    payment = payment_for_intent(intent_id)
    metadata = stripe_object.get("metadata") or {}
    key = metadata.get("payment_key")
    if payment is None and key:
        payment = payment_for_key(key) or _record_unknown_intent(stripe_object, metadata)
    if payment is None:
        log.warning("webhook about a PaymentIntent %s the app does not know", intent_id)
    return payment


def _record_unknown_intent(intent, metadata):
    """A pending Payment for an intent this app created (the metadata is ours: ``pay``
    writes it, and the event is signed) whose request rolled back. Only for intents:
    a charge's own metadata does not carry the key."""
    if intent.get("object") != "payment_intent" or not intent.get("id"):
        return None
    try:
        subject_id = int(metadata.get("subject_id"))
        amount = int(intent.get("amount"))
    except (TypeError, ValueError):
        return None
    subject_type = str(metadata.get("subject_type") or "")[:32]
    if not subject_type or amount <= 0:
        return None
    insert_unless_present(
        Payment.__table__, ["idempotency_key"], subject_type=subject_type,
        subject_id=subject_id, amount_fen=amount,
        currency=(intent.get("currency") or "cny").lower(),
        idempotency_key=metadata["payment_key"], status=S.PENDING)
    payment = payment_for_key(metadata["payment_key"])
    log.warning("recorded payment %s for PaymentIntent %s, known only from its webhook "
                "(the request that charged it had failed)", payment.id, intent.get("id"))
    return payment


def _on_intent(stripe_object, stripe_event_id):
    payment = _payment_for_event(stripe_object, stripe_object.get("id"))
    if payment is not None:
        apply_intent(payment, gateway.intent_result_from(stripe_object),
                     stripe_event_id=stripe_event_id)


def _on_charge_refunded(stripe_object, stripe_event_id):
    intent_id = _intent_id_of("charge.refunded", stripe_object)
    payment = _payment_for_event(stripe_object, intent_id)
    if payment is not None:
        _check_matches(payment, stripe_object.get("amount"), stripe_object.get("currency"))
        record_refunded_total(payment, stripe_object.get("amount_refunded") or 0,
                              stripe_event_id=stripe_event_id)


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent,
    "payment_intent.payment_failed": _on_intent,
    "payment_intent.requires_action": _on_intent,
    "charge.refunded": _on_charge_refunded,
}
