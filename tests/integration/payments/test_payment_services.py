"""Payment records kept in step with the gateway (localstripe), and what subscribers hear."""
import pytest
from sqlalchemy import func, select

from marketplace.core.audit import AuditRecord
from marketplace.core.idempotency import IdempotencyKeyReused
from marketplace.extensions import db
from marketplace.payments import services
from marketplace.payments.errors import (CardDeclined, GatewayUnavailable,
                                         PaymentNotRefundable)
from marketplace.payments.models import Payment, PaymentStatus
from tests.factories import FirmMemberFactory
from tests.support.ports import free_port
from tests.support.stripe import DECLINED, THREE_D_SECURE_CARD, VISA

pytestmark = pytest.mark.stripe
S = PaymentStatus


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_paying_with_a_good_card_records_a_succeeded_payment(stripe_server, payment_events):
    firm_member = FirmMemberFactory()
    attempt = services.pay("test", 7, 20_000, payment_method=VISA,
                           idempotency_key="order-7-a", actor=firm_member)
    db.session.commit()
    payment = attempt.payment
    assert payment.status == S.SUCCEEDED and payment.is_paid and not attempt.replayed
    assert payment.payment_intent_id.startswith("pi_")
    assert (payment.subject_type, payment.subject_id, payment.created_by_id) == \
        ("test", 7, firm_member.id)
    assert attempt.error() is None
    assert payment_events == [("payment_intent.succeeded", payment.id, "pending",
                               "succeeded", None)]
    assert stripe_server.payment_intent(payment.payment_intent_id)["metadata"] == {
        "subject_type": "test", "subject_id": "7", "payment_key": "order-7-a"}
    audit = db.session.execute(select(AuditRecord).where(
        AuditRecord.object_type == "Payment")).scalars().all()
    assert [(a.action, a.before_state, a.after_state) for a in audit] == [("succeed", "pending",
                                                               "succeeded")]


def test_paying_again_with_the_same_key_charges_nothing(stripe_server, payment_events):
    first = services.pay("test", 7, 20_000, payment_method=VISA, idempotency_key="order-7-b")
    db.session.commit()
    again = services.pay("test", 7, 20_000, payment_method=VISA, idempotency_key="order-7-b")
    assert again.replayed and again.payment.id == first.payment.id
    assert len(stripe_server.payment_intents()) == 1 and len(payment_events) == 1
    with pytest.raises(IdempotencyKeyReused):
        services.pay("test", 8, 20_000, payment_method=VISA, idempotency_key="order-7-b")


def test_a_declined_card_records_a_failed_payment_with_its_reason(stripe_server,
                                                                   payment_events):
    attempt = services.pay("test", 7, 20_000, payment_method=DECLINED,
                           idempotency_key="order-7-c")
    db.session.commit()
    assert attempt.payment.status == S.FAILED and not attempt.payment.is_paid
    assert attempt.payment.last_error_code == "card_declined"
    assert isinstance(attempt.error(), CardDeclined)
    assert [event[0] for event in payment_events] == ["payment_intent.payment_failed"]


def test_3d_secure_waits_for_the_card_holder_then_refresh_sees_it_paid(stripe_server,
                                                                        payment_events):
    card = stripe_server.card(THREE_D_SECURE_CARD)
    attempt = services.pay("test", 7, 20_000, payment_method=card,
                           idempotency_key="order-7-d")
    db.session.commit()
    payment = attempt.payment
    assert payment.status == S.REQUIRES_ACTION and attempt.client_secret
    # the page reloads: the same key hands out the client secret again, charging nothing
    again = services.pay("test", 7, 20_000, payment_method=card, idempotency_key="order-7-d")
    assert again.replayed and again.client_secret == attempt.client_secret
    stripe_server.authenticate(payment.payment_intent_id, attempt.client_secret)
    services.refresh(payment)
    db.session.commit()
    assert payment.status == S.SUCCEEDED
    assert [event[0] for event in payment_events] == ["payment_intent.requires_action",
                                                      "payment_intent.succeeded"]
    services.refresh(payment)  # nothing new: nobody is told twice
    assert len(payment_events) == 2


def test_with_the_gateway_down_nothing_is_recorded(app, payment_events):
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"
    try:
        with pytest.raises(GatewayUnavailable):
            services.pay("test", 7, 20_000, payment_method=VISA, idempotency_key="order-7-e")
    finally:
        app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    db.session.rollback()  # what the error handler of the request does
    assert _count(Payment) == 0 and payment_events == []


def test_refunds_move_the_payment_to_partly_then_fully_refunded(stripe_server,
                                                                 payment_events):
    payment = services.pay("test", 7, 20_000, payment_method=VISA,
                           idempotency_key="order-7-f").payment
    services.refund(payment, 5_000, idempotency_key="order-7-refund-1")
    assert (payment.status, payment.refunded_fen) == (S.PARTIALLY_REFUNDED, 5_000)
    services.refund(payment, 5_000, idempotency_key="order-7-refund-1")  # an outbox retry
    assert payment.refunded_fen == 5_000
    with pytest.raises(PaymentNotRefundable):
        services.refund(payment, 15_001, idempotency_key="order-7-refund-2")
    services.refund(payment, idempotency_key="order-7-refund-3")  # the rest
    db.session.commit()
    assert (payment.status, payment.refunded_fen, payment.refundable_fen) == \
        (S.REFUNDED, 20_000, 0)
    assert [event[0] for event in payment_events] == [
        "payment_intent.succeeded", "charge.refunded", "charge.refunded"]
    with pytest.raises(PaymentNotRefundable):
        services.refund(payment, idempotency_key="order-7-refund-4")
