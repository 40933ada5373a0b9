"""The gateway against a real localstripe: charges, declines, 3-D Secure, refunds, the
idempotency keys it sends, and what happens when the gateway is down."""
import time

import pytest

from marketplace.payments import gateway
from marketplace.payments.errors import (AuthenticationRequired, CardDeclined,
                                         EarlierAttemptUnsettled, GatewayError,
                                         GatewayUnavailable)
from tests.support.ports import free_port
from tests.support.stripe import DECLINED, THREE_D_SECURE_CARD, VISA


@pytest.mark.stripe
def test_a_visa_card_is_charged_at_once(stripe_server):
    result = gateway.charge(12_345, payment_method=VISA, idempotency_key="charge-visa",
                            metadata={"subject_type": "order", "subject_id": 7})
    assert result.status == gateway.SUCCEEDED and result.succeeded
    assert result.payment_intent_id.startswith("pi_")
    assert (result.amount_fen, result.currency) == (12_345, "cny")
    assert result.client_secret is None and result.error() is None
    stored = stripe_server.payment_intent(result.payment_intent_id)
    assert stored["status"] == "succeeded"
    assert stored["metadata"] == {"subject_type": "order", "subject_id": "7"}


@pytest.mark.stripe
def test_a_declined_card_is_a_failed_result_not_an_exception(stripe_server):
    result = gateway.charge(5_000, payment_method=DECLINED, idempotency_key="charge-declined")
    assert result.status == gateway.FAILED
    assert result.error_code == "card_declined"
    assert result.error_message == "Your card was declined."
    error = result.error()
    assert isinstance(error, CardDeclined)
    assert (error.code, error.status) == ("card_declined", 402)


@pytest.mark.stripe
def test_a_card_that_needs_3d_secure_hands_back_the_client_secret(stripe_server):
    card = stripe_server.card(THREE_D_SECURE_CARD)
    result = gateway.charge(8_800, payment_method=card, idempotency_key="charge-3ds")
    assert result.status == gateway.REQUIRES_ACTION and result.error() is None
    assert result.client_secret.startswith(result.payment_intent_id + "_secret_")
    assert result.next_action["type"] == "use_stripe_sdk"
    # the card holder confirms in the page (Stripe.js); the server then sees it paid
    stripe_server.authenticate(result.payment_intent_id, result.client_secret)
    assert gateway.retrieve(result.payment_intent_id).status == gateway.SUCCEEDED


@pytest.mark.stripe
def test_a_failed_3d_secure_check_is_authentication_required(stripe_server):
    card = stripe_server.card(THREE_D_SECURE_CARD)
    result = gateway.charge(8_800, payment_method=card, idempotency_key="charge-3ds-fail")
    stripe_server.authenticate(result.payment_intent_id, result.client_secret, success=False)
    after = gateway.retrieve(result.payment_intent_id)
    assert after.status == gateway.FAILED
    assert after.error_code == "payment_intent_authentication_failure"
    error = after.error()
    assert isinstance(error, AuthenticationRequired)
    assert (error.code, error.status) == ("authentication_required", 402)


def test_the_gateway_being_down_is_gateway_unavailable_and_quick(app):
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    started = time.monotonic()
    try:
        with pytest.raises(GatewayUnavailable) as raised:
            gateway.charge(5_000, payment_method=VISA, idempotency_key="charge-down")
    finally:
        app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    assert (raised.value.code, raised.value.status) == ("gateway_unavailable", 503)
    assert time.monotonic() - started < 3  # one retry after ~0.5 s, no long timeouts


@pytest.mark.stripe
def test_a_refund_gives_back_part_and_then_the_rest(stripe_server):
    charged = gateway.charge(10_000, payment_method=VISA, idempotency_key="charge-refund")
    part = gateway.refund(charged.payment_intent_id, 2_500, idempotency_key="refund-1")
    assert (part.status, part.amount_fen) == ("succeeded", 2_500)
    assert gateway.retrieve(charged.payment_intent_id).amount_refunded_fen == 2_500
    rest = gateway.refund(charged.payment_intent_id, 7_500, idempotency_key="refund-2")
    assert rest.amount_fen == 7_500
    assert gateway.retrieve(charged.payment_intent_id).amount_refunded_fen == 10_000


@pytest.mark.stripe
def test_the_same_idempotency_key_gives_the_same_payment_intent(stripe_server):
    first = gateway.charge(3_000, payment_method=VISA, idempotency_key="charge-twice")
    again = gateway.charge(3_000, payment_method=VISA, idempotency_key="charge-twice")
    assert again.payment_intent_id == first.payment_intent_id
    assert len(stripe_server.payment_intents()) == 1
    refund = gateway.refund(first.payment_intent_id, 1_000, idempotency_key="refund-twice")
    assert gateway.refund(first.payment_intent_id, 1_000,
                          idempotency_key="refund-twice").refund_id == refund.refund_id
    assert gateway.retrieve(first.payment_intent_id).amount_refunded_fen == 1_000
    with pytest.raises(EarlierAttemptUnsettled):  # Stripe's idempotency_error: other
        gateway.charge(3_100, payment_method=VISA, idempotency_key="charge-twice")


@pytest.mark.stripe
def test_parameters_localstripe_does_not_know_are_a_gateway_error(stripe_server):
    with pytest.raises(GatewayError) as raised:
        gateway.charge(3_000, payment_method=VISA, idempotency_key="charge-return-url",
                       return_url="http://127.0.0.1:5000/orders/1")
    assert (raised.value.code, raised.value.status) == ("gateway_error", 502)
    assert raised.value.details["gateway_status"] == 400


def test_every_money_moving_call_needs_an_idempotency_key_and_whole_fen(app):
    with pytest.raises(ValueError):
        gateway.charge(3_000, payment_method=VISA, idempotency_key="")
    with pytest.raises(ValueError):
        gateway.charge(30.5, payment_method=VISA, idempotency_key="k")
    with pytest.raises(ValueError):
        gateway.refund("pi_x", 0, idempotency_key="k")
