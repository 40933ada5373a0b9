"""A co-pay recorded as the gateway's answer would record it, for tests that are not
about the gateway (no localstripe needed): a Payment row and a succeeded PaymentIntent
result applied through the payments domain, so the order is paid by the same event the
gateway's answer or its webhook would bring."""
import itertools

from marketplace.payments import gateway
from marketplace.payments import services as payments

_intents = itertools.count(1)


def record_paid_copay(order, amount_fen=None, actor=None):
    """Record a succeeded charge of the order's co-pay; returns the Payment."""
    amount = order.contract.copay_fen if amount_fen is None else amount_fen
    number = next(_intents)
    payment, _created = payments.start_attempt(
        "order", order.id, amount, idempotency_key=f"test-copay:{order.id}:{number}",
        actor=actor)
    payments.apply_intent(payments.lock_payment(payment), gateway.IntentResult(
        payment_intent_id=f"pi_test_{order.id}_{number}", status=gateway.SUCCEEDED,
        amount_fen=amount, currency=payment.currency), actor=actor)
    return payment
