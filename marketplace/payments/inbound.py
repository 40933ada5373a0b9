"""News from the gateway: a webhook's event confirmed by asking the gateway, and a
PaymentIntent found (or recorded) as the app's Payment. The event is a signal only; what
is applied is what the gateway answers when asked (``confirm_event``)."""
import json
import logging

from sqlalchemy import select

from marketplace.core.errors import DomainError
from marketplace.core.rows import insert_unless_present
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.payments import gateway
from marketplace.payments.errors import GatewayError
from marketplace.payments.models import Payment, PaymentStatus, WebhookEvent
from marketplace.payments.services import (apply_intent, payment_for_intent, payment_for_key,
                                           record_refunded_total)

log = logging.getLogger(__name__)
S = PaymentStatus


_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed",
                  "payment_intent.requires_action", "charge.refunded")


def confirm_event(event):
    """Ask the gateway where the event's PaymentIntent stands: the app acts on what the
    gateway confirms when asked, never on the event's own copy (a signed event proves who
    sent it, not that its figures are true: a leaked secret must not mark a co-pay paid).
    Returns the IntentResult, or None when the gateway knows no such intent (or the event
    names none). Raises GatewayUnavailable when the gateway cannot be asked (the webhook
    then answers 503 and Stripe sends the event again). Holds no lock: it runs before the
    event's transaction."""
    if event["type"] not in _INTENT_EVENTS:
        return None
    intent_id = _intent_id_of(event["type"], event["data"]["object"])
    if not isinstance(intent_id, str) or not intent_id:
        return None
    try:
        return gateway.retrieve(intent_id)
    except GatewayError as error:
        if (error.details or {}).get("gateway_status") == 404:
            return None
        raise


def receive_event(event, confirmed=None):
    """Record a verified webhook event once and apply what the gateway ``confirmed``
    (``confirm_event``), in a transaction of its own (the webhook request's). Returns the
    WebhookEvent, or None for a replay (an event id already recorded), which changes
    nothing. An event the gateway does not confirm is recorded with that error and
    changes nothing.

    An event a handler refuses with a DomainError (an amount that does not match) rolls
    back everything it began, and is then recorded alone with its error for a person to
    look at. A full rollback rather than a savepoint: the audit log and the outbox drop
    their queued entries on any rollback.
    """
    stripe_object = event["data"]["object"]
    row = {"stripe_event_id": event["id"], "type": event["type"][:100],
           "payment_intent_id": _intent_id_of(event["type"], stripe_object),
           "payload": json.dumps(event, ensure_ascii=False, sort_keys=True)}
    handler = _EVENT_HANDLERS.get(event["type"])
    if handler is not None and confirmed is None:
        log.warning("webhook event %s (%s) names a PaymentIntent the gateway does not know",
                    event["id"], event["type"])
        if not insert_unless_present(WebhookEvent.__table__, ["stripe_event_id"],
                                     received_dt=now_utc(), processed_dt=now_utc(),
                                     error="not confirmed by the gateway", **row):
            return None
        return _event_record(event["id"])
    if not insert_unless_present(WebhookEvent.__table__, ["stripe_event_id"],
                                 received_dt=now_utc(), **row):
        return None
    if handler is not None:
        try:
            handler(confirmed, event["id"])
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


def payment_for_confirmed(result):
    """The Payment of a PaymentIntent the gateway confirmed. One recorded without its
    intent (the request that charged failed after the gateway answered, and a retry
    recorded it) is found by the key in the intent's metadata; one never recorded at all
    (the request failed and nobody retried) is recorded now from that metadata, so money
    the gateway took is never left unaccounted for. None for an intent that is not ours."""
    payment = payment_for_intent(result.payment_intent_id)
    key = (result.metadata or {}).get("payment_key")
    if payment is None and key:
        payment = payment_for_key(key) or _record_unknown_intent(result)
    if payment is None:
        log.warning("a PaymentIntent %s the app does not know", result.payment_intent_id)
    return payment


def _record_unknown_intent(result):
    """A pending Payment for an intent this app created (its metadata is ours: ``charge``
    writes it, and the gateway confirmed it) whose request rolled back."""
    metadata = result.metadata or {}
    try:
        subject_id = int(metadata.get("subject_id"))
    except (TypeError, ValueError):
        return None
    subject_type = str(metadata.get("subject_type") or "")[:32]
    if not subject_type or result.amount_fen <= 0:
        return None
    insert_unless_present(
        Payment.__table__, ["idempotency_key"], subject_type=subject_type,
        subject_id=subject_id, amount_fen=result.amount_fen,
        currency=(result.currency or "cny").lower(),
        idempotency_key=metadata["payment_key"], status=S.PENDING)
    payment = payment_for_key(metadata["payment_key"])
    log.warning("recorded payment %s for PaymentIntent %s, known only from the gateway "
                "(the request that charged it had failed)", payment.id,
                result.payment_intent_id)
    return payment


def _on_intent(confirmed, stripe_event_id):
    payment = payment_for_confirmed(confirmed)
    if payment is not None:
        apply_intent(payment, confirmed, stripe_event_id=stripe_event_id)


def _on_charge_refunded(confirmed, stripe_event_id):
    payment = payment_for_confirmed(confirmed)
    if payment is not None:
        apply_intent(payment, confirmed, stripe_event_id=stripe_event_id)
        record_refunded_total(payment, confirmed.amount_refunded_fen,
                              stripe_event_id=stripe_event_id)


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent,
    "payment_intent.payment_failed": _on_intent,
    "payment_intent.requires_action": _on_intent,
    "charge.refunded": _on_charge_refunded,
}
