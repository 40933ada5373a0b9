"""POST /payments/webhook: signed events are applied once, in any order; forged ones are
refused and leave nothing behind. Events are signed here as Stripe signs them; what the
app applies is what the gateway (the run's localstripe) confirms when asked, whatever the
event's own copy says."""
import json
import time

import pytest
from sqlalchemy import func, select

from marketplace.core.audit import AuditRecord
from marketplace.core.errors import Conflict
from marketplace.extensions import db
from marketplace.payments import events, services
from marketplace.payments.models import Payment, PaymentStatus, WebhookEvent
from tests.support.live_server import LiveServer
from tests.support.stripe import (THREE_D_SECURE_CARD, VISA, charge_object, event,
                                  intent_object, post_event, signature_header)

S = PaymentStatus
pytestmark = pytest.mark.stripe


def _made_at_the_gateway(stripe_server, amount_fen=20_000, card=VISA, key=None,
                         subject_id=7):
    """A Payment row of the app and its PaymentIntent at the gateway (the app's request
    recorded the row, the webhook brings the news)."""
    payment = Payment(subject_type="test", subject_id=subject_id, amount_fen=amount_fen,
                      idempotency_key=key or f"order-{subject_id}-webhook", status=S.PENDING)
    db.session.add(payment)
    db.session.commit()
    intent = stripe_server.create_intent(amount_fen, card, metadata={
        "subject_type": "test", "subject_id": subject_id,
        "payment_key": payment.idempotency_key})
    payment.payment_intent_id = intent["id"]
    db.session.commit()
    return payment


@pytest.fixture
def payment(stripe_server):
    return _made_at_the_gateway(stripe_server)


@pytest.fixture
def secret(app):
    return app.config["STRIPE_WEBHOOK_SECRET"]


def _send(client, secret, event_type, stripe_object, event_id=None):
    return post_event(client, event(event_type, stripe_object, event_id), secret)


def _stored_events():
    return db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars().all()


def test_a_signed_success_event_marks_the_payment_paid(client, secret, payment,
                                                       payment_events):
    response = _send(client, secret, "payment_intent.succeeded",
                     intent_object(payment.payment_intent_id, "succeeded", 20_000), "evt_paid")
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "duplicate": False}
    db.session.expire_all()
    assert payment.status == S.SUCCEEDED
    [stored] = _stored_events()
    assert (stored.stripe_event_id, stored.type, stored.payment_intent_id) == \
        ("evt_paid", "payment_intent.succeeded", payment.payment_intent_id)
    assert stored.processed_dt is not None and stored.error is None
    assert json.loads(stored.payload)["data"]["object"]["id"] == payment.payment_intent_id
    assert payment_events == [("payment_intent.succeeded", payment.id, "pending",
                               "succeeded", "evt_paid")]


def test_the_same_event_five_times_and_a_late_failure_have_one_effect(client, secret,
                                                                      payment,
                                                                      payment_events):
    succeeded = event("payment_intent.succeeded", intent_object(payment.payment_intent_id, "succeeded", 20_000),
                      "evt_once")
    answers = [post_event(client, succeeded, secret).get_json()["duplicate"]
               for _ in range(5)]
    assert answers == [False, True, True, True, True]
    # an older failure (an earlier attempt on the same intent) arrives last
    late = _send(client, secret, "payment_intent.payment_failed",
                 intent_object(payment.payment_intent_id, "requires_payment_method", 20_000,
                               error_code="card_declined"), "evt_late_failure")
    assert late.status_code == 200
    db.session.expire_all()
    assert payment.status == S.SUCCEEDED and payment.last_error_code is None
    assert [e.stripe_event_id for e in _stored_events()] == ["evt_once", "evt_late_failure"]
    assert [e[0] for e in payment_events] == ["payment_intent.succeeded"]


def test_a_card_check_then_its_success_ends_paid(client, secret, stripe_server,
                                                payment_events):
    payment = _made_at_the_gateway(stripe_server, card=stripe_server.card(
        THREE_D_SECURE_CARD), key="order-8-3ds", subject_id=8)
    intent_id = payment.payment_intent_id
    _send(client, secret, "payment_intent.requires_action",
          intent_object(intent_id, "requires_action", 20_000))
    db.session.expire_all()
    assert payment.status == S.REQUIRES_ACTION
    intent = stripe_server.payment_intent(intent_id)
    stripe_server.authenticate(intent_id, intent["client_secret"])
    _send(client, secret, "payment_intent.succeeded", intent_object(intent_id, "succeeded",
                                                                    20_000))
    db.session.expire_all()
    assert payment.status == S.SUCCEEDED
    assert [e[0] for e in payment_events] == ["payment_intent.requires_action",
                                              "payment_intent.succeeded"]


def test_a_forged_success_of_an_intent_the_gateway_does_not_know_changes_nothing(
        client, secret, payment, payment_events):
    """The webhook secret leaked: a signed event claims a payment that never happened."""
    response = _send(client, secret, "payment_intent.succeeded",
                     intent_object("pi_forged000000", "succeeded", 20_000, metadata={
                         "subject_type": "test", "subject_id": "7",
                         "payment_key": payment.idempotency_key}), "evt_forged")
    assert response.status_code == 200
    db.session.expire_all()
    assert payment.status == S.PENDING and payment_events == []
    [stored] = _stored_events()
    assert stored.error == "not confirmed by the gateway"


def test_a_forged_success_of_an_intent_awaiting_its_card_check_records_only_the_check(
        client, secret, stripe_server, payment_events):
    payment = _made_at_the_gateway(stripe_server, card=stripe_server.card(
        THREE_D_SECURE_CARD), key="order-9-3ds", subject_id=9)
    _send(client, secret, "payment_intent.succeeded",
          intent_object(payment.payment_intent_id, "succeeded", 20_000), "evt_claims_paid")
    db.session.expire_all()
    assert payment.status == S.REQUIRES_ACTION     # what the gateway says, not the event
    assert [e[0] for e in payment_events] == ["payment_intent.requires_action"]


@pytest.mark.parametrize("how", ["wrong secret", "no header", "other payload", "stale",
                                 "garbage"])
def test_a_forged_signature_is_refused_and_nothing_is_stored(client, secret, payment,
                                                             payment_events, how):
    the_event = event("payment_intent.succeeded", intent_object(payment.payment_intent_id, "succeeded", 20_000))
    payload = json.dumps(the_event).encode()
    signature = {
        "wrong secret": signature_header(payload, "whsec_somebody_else"),
        "no header": "",
        "other payload": signature_header(payload + b" ", secret),
        "stale": signature_header(payload, secret, timestamp=int(time.time()) - 3600),
        "garbage": "t=abc,v1=zzz",
    }[how]
    response = post_event(client, the_event, secret, signature=signature)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "webhook_signature_invalid"
    db.session.expire_all()
    assert payment.status == S.PENDING and _stored_events() == [] and payment_events == []


def test_a_signed_payload_that_is_no_event_is_refused(client, secret):
    payload = b'{"hello": "world"}'
    response = client.post("/payments/webhook", data=payload, content_type="application/json",
                           headers={"Stripe-Signature": signature_header(payload, secret)})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "webhook_payload_invalid"


def test_refund_events_only_ever_raise_the_refunded_total(client, secret, stripe_server,
                                                          payment, payment_events):
    intent_id = payment.payment_intent_id
    stripe_server.refund(intent_id, 6_000)
    _send(client, secret, "charge.refunded", charge_object(intent_id, 20_000, 6_000))
    # an event claiming less (an older one, or a forged one) changes nothing
    _send(client, secret, "charge.refunded", charge_object(intent_id, 20_000, 2_000))
    db.session.expire_all()
    # a refund proves the money came in, though the success event has not arrived yet
    assert (payment.status, payment.refunded_fen) == (S.PARTIALLY_REFUNDED, 6_000)
    _send(client, secret, "payment_intent.succeeded", intent_object(intent_id, "succeeded",
                                                                    20_000))
    # an event claiming all of it refunded before the gateway did: the gateway says 6,000
    _send(client, secret, "charge.refunded", charge_object(intent_id, 20_000, 20_000))
    db.session.expire_all()
    assert payment.refunded_fen == 6_000
    stripe_server.refund(intent_id)
    _send(client, secret, "charge.refunded", charge_object(intent_id, 20_000, 20_000))
    db.session.expire_all()
    assert (payment.status, payment.refunded_fen) == (S.REFUNDED, 20_000)
    assert [e[0] for e in payment_events] == ["payment_intent.succeeded", "charge.refunded",
                                              "charge.refunded"]


def test_an_amount_that_does_not_match_is_kept_as_an_error_and_changes_nothing(
        client, secret, stripe_server, payment_events):
    payment = Payment(subject_type="test", subject_id=11, amount_fen=20_000,
                      idempotency_key="order-11", status=S.PENDING)
    db.session.add(payment)
    db.session.commit()
    intent = stripe_server.create_intent(1, metadata={"payment_key": "order-11"})
    response = _send(client, secret, "payment_intent.succeeded",
                     intent_object(intent["id"], "succeeded", 20_000), "evt_wrong_amount")
    assert response.status_code == 200  # re-sending it would not help: a person must look
    db.session.expire_all()
    assert payment.status == S.PENDING and payment_events == []
    [stored] = _stored_events()
    assert stored.error.startswith("payment_mismatch")


def test_an_event_a_subscriber_refuses_changes_nothing_but_is_kept(client, secret, payment):
    def refuse(event):
        raise Conflict("The order will not take this money.", code="order_refuses")

    events.on_payment_event(events.SUCCEEDED)(refuse)
    try:
        response = _send(client, secret, "payment_intent.succeeded",
                         intent_object(payment.payment_intent_id, "succeeded", 20_000),
                         "evt_refused")
    finally:
        events._subscribers[events.SUCCEEDED].remove(refuse)
    assert response.status_code == 200
    db.session.expire_all()
    assert payment.status == S.PENDING
    [stored] = _stored_events()
    assert stored.error.startswith("order_refuses") and stored.processed_dt is not None
    assert db.session.execute(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.object_type == "Payment")).scalar_one() == 0


def test_an_intent_the_app_lost_is_found_again_by_its_payment_key(client, secret,
                                                                  stripe_server,
                                                                  payment_events):
    # the request that charged rolled back after the gateway answered, and the retry
    # recorded the payment without an intent id
    payment = Payment(subject_type="test", subject_id=9, amount_fen=5_000,
                      idempotency_key="order-9-key", status=S.PENDING)
    db.session.add(payment)
    db.session.commit()
    intent = stripe_server.create_intent(5_000, metadata={"payment_key": "order-9-key"})
    _send(client, secret, "payment_intent.succeeded",
          intent_object(intent["id"], "succeeded", 5_000,
                        metadata={"payment_key": "order-9-key"}))
    db.session.expire_all()
    assert (payment.status, payment.payment_intent_id) == (S.SUCCEEDED, intent["id"])


def test_events_of_other_types_are_kept_unprocessed(client, secret):
    response = _send(client, secret, "customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200
    [stored] = _stored_events()
    assert stored.type == "customer.created" and stored.processed_dt is None


def test_the_webhook_needs_no_session_and_no_csrf_token(csrf_app, secret, payment):
    response = _send(csrf_app.test_client(), secret, "payment_intent.succeeded",
                     intent_object(payment.payment_intent_id, "succeeded", 20_000))
    assert response.status_code == 200


def test_localstripe_delivers_events_the_webhook_accepts(app, stripe_server, payment_events):
    with LiveServer(app) as live:
        stripe_server.register_webhook(f"{live.url}/payments/webhook",
                                       events=["payment_intent.succeeded"])
        attempt = services.pay("test", 7, 20_000, payment_method=VISA,
                               idempotency_key="order-7-live")
        db.session.commit()
        intent_id = attempt.payment.payment_intent_id
        deadline = time.monotonic() + 10  # localstripe waits a second before sending
        while time.monotonic() < deadline:
            db.session.rollback()
            found = db.session.execute(select(func.count()).select_from(WebhookEvent).where(
                WebhookEvent.payment_intent_id == intent_id)).scalar_one()
            if found:
                break
            time.sleep(0.2)
    # only this payment's events: localstripe sends each event a second after it happens,
    # to the endpoints registered by then, so a payment made by the test just before
    # (reset or not) can also arrive here
    [stored] = [e for e in _stored_events() if e.payment_intent_id == intent_id]
    assert (stored.type, stored.payment_intent_id) == ("payment_intent.succeeded",
                                                       attempt.payment.payment_intent_id)
    assert stored.processed_dt is not None and stored.error is None
    # already known from the gateway's answer (a stray event of the test before is
    # recorded as a payment of its own, and is not this payment's)
    assert [e[0] for e in payment_events if e[1] == attempt.payment.id] == \
        ["payment_intent.succeeded"]


def test_a_charge_whose_request_failed_and_was_never_retried_is_recorded_from_its_webhook(
        client, secret, stripe_server):
    """The co-pay request timed out after the gateway had charged, rolled back (no
    Payment row) and the firm never came back: the intent's webhook alone records the
    payment and marks the order paid, rather than leaving the money unaccounted for."""
    from marketplace.orders import services as orders
    from marketplace.orders.models import Order, OrderStatus
    from marketplace.orders.payment import _attempt_key
    from tests.factories import make_programme, make_quoted_order, make_voucher

    order = make_quoted_order(contract_amount_fen=100_000_00)
    member = order.firm.members[0]
    voucher = make_voucher(make_programme(), amount_fen=50_000_00, firm_member=member)
    orders.sign_contract(order, member, voucher_id=voucher.id)
    db.session.commit()
    copay = order.contract.copay_fen
    key = _attempt_key(order)
    metadata = {"subject_type": "order", "subject_id": str(order.id), "payment_key": key}
    intent_id = stripe_server.create_intent(copay, metadata=metadata)["id"]
    _send(client, secret, "payment_intent.succeeded",
          intent_object(intent_id, "succeeded", copay, metadata=metadata), "evt_orphan")
    db.session.expire_all()
    [payment] = services.payments_of("order", order.id)
    assert (payment.status, payment.payment_intent_id, payment.amount_fen,
            payment.idempotency_key) == (S.SUCCEEDED, intent_id, copay, key)
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
    [stored] = _stored_events()
    assert stored.error is None and stored.processed_dt is not None
    # the same news again changes nothing
    _send(client, secret, "payment_intent.succeeded",
          intent_object(intent_id, "succeeded", copay, metadata=metadata), "evt_orphan_again")
    db.session.expire_all()
    assert len(services.payments_of("order", order.id)) == 1


def test_an_unknown_intent_without_our_metadata_is_kept_but_records_nothing(client, secret,
                                                                           stripe_server):
    intent_id = stripe_server.create_intent(5_000, metadata={"payment_key": "x"})["id"]
    _send(client, secret, "payment_intent.succeeded",
          intent_object(intent_id, "succeeded", 5_000, metadata={"payment_key": "x"}))
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
    [stored] = _stored_events()
    assert stored.error is None
