"""Issue 18, item 10 and found item 12: a payment's status is read and written under its
row lock (``lock_payment``), so news arriving at once (the gateway's answer and a webhook,
two refund events) is applied one piece after the other. Raced ROUNDS times on
PostgreSQL, each thread having loaded the payment before any of them acts."""
import pytest
from sqlalchemy import func, select

from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.payments import gateway, services
from marketplace.payments.models import Payment, PaymentStatus
from tests.support.races import at_once

pytestmark = pytest.mark.postgres
ROUNDS = 10
S = PaymentStatus


def _payment(key, status):
    """A payment of a subject no domain takes; a succeeded one is received as the
    gateway's answer would have it (booked as unallocated, so refunds have their money)."""
    payment = Payment(subject_type="probe", subject_id=1, amount_fen=500, currency="cny",
                      idempotency_key=key, status=S.PENDING, payment_intent_id=f"pi_{key}")
    db.session.add(payment)
    db.session.flush()
    if status == S.SUCCEEDED:
        services.apply_intent(payment, gateway.IntentResult(
            payment_intent_id=payment.payment_intent_id, status=gateway.SUCCEEDED,
            amount_fen=500, currency="cny"))
    db.session.commit()
    return payment.id


def _loader(payment_id):
    return lambda: (db.session.get(Payment, payment_id),)


def _audited(payment_id, action):
    return db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.object_type == "Payment", AuditRecord.object_id == str(payment_id),
        AuditRecord.action == action))


def test_two_refund_totals_at_once_end_at_the_larger(app):
    """Unlocked, the smaller total committed last won: a refunded payment went back to
    partially refunded with 200 of 500."""
    for round_ in range(ROUNDS):
        payment_id = _payment(f"refund-race-{round_}", S.SUCCEEDED)

        def refunded(total):
            return lambda payment: services.record_refunded_total(payment, total)

        outcomes = at_once(app, [(_loader(payment_id), refunded(500)),
                                 (_loader(payment_id), refunded(200))])
        assert outcomes == ["ok", "ok"]
        db.session.expire_all()
        payment = db.session.get(Payment, payment_id)
        assert (payment.refunded_fen, payment.status) == (500, S.REFUNDED), round_
        assert _audited(payment_id, "refund") == 1


def test_the_gateways_answer_and_the_webhook_at_once_succeed_the_payment_once(
        app, payment_events):
    for round_ in range(ROUNDS):
        payment_id = _payment(f"succeed-race-{round_}", S.PENDING)
        news = gateway.IntentResult(payment_intent_id=f"pi_succeed-race-{round_}",
                                    status=gateway.SUCCEEDED, amount_fen=500, currency="cny")

        def apply(payment):
            services.apply_intent(payment, news)

        payment_events.clear()
        outcomes = at_once(app, [(_loader(payment_id), apply)] * 2)
        assert outcomes == ["ok", "ok"]
        db.session.expire_all()
        assert db.session.get(Payment, payment_id).status == S.SUCCEEDED
        assert _audited(payment_id, "succeed") == 1, round_
        assert [e[0] for e in payment_events] == ["payment_intent.succeeded"]
