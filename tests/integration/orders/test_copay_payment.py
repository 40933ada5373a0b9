"""The co-pay through the gateway (a real localstripe): paid, declined, 3-D Secure,
gateway down, and the refund of a cancelled order."""
import pytest

from marketplace.core import ledger, outbox
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.orders import fulfilment, services
from marketplace.orders.models import OrderStatus
from marketplace.orders.payment import copay_payments, pay_copay, refresh_copay
from marketplace.payments.models import PaymentStatus
from tests.factories import FirmMemberFactory, make_programme, make_quoted_order, make_voucher
from tests.support.stripe import DECLINED, THREE_D_SECURE_CARD, VISA

pytestmark = pytest.mark.stripe



@pytest.fixture
def contracted(stripe_server):
    member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=200_000_00, firm_member=member)
    order = make_quoted_order(firm_member=member, contract_amount_fen=20_000_00)
    services.sign_contract(order, member, voucher_id=voucher.id)
    db.session.commit()
    return order, member


def test_a_paid_co_pay_is_held_for_the_firm(contracted, stripe_server):
    order, member = contracted
    result = pay_copay(order, member, payment_method=VISA,
                       idempotency_key="k1")
    db.session.commit()
    assert result.status == "succeeded" and result.payment_intent_id.startswith("pi_")
    assert order.status == OrderStatus.PAID
    assert fulfilment.copay_held_fen(order) == 10_000_00
    again = pay_copay(order, member, payment_method=VISA,
                      idempotency_key="k2")
    assert again.payment_intent_id == result.payment_intent_id    # nothing charged twice
    assert len(stripe_server.payment_intents()) == 1
    assert ledger.violations() == []


def test_a_declined_card_leaves_the_order_as_it_was(contracted, stripe_server):
    order, member = contracted
    result = pay_copay(order, member, payment_method=DECLINED,
                       idempotency_key="k1")
    db.session.commit()
    assert result.status == "failed" and result.error.code == "card_declined"
    assert order.status == OrderStatus.CONTRACTED
    assert fulfilment.copay_held_fen(order) == 0
    assert [p.status for p in copay_payments(order)] == [PaymentStatus.FAILED]


def test_three_d_secure_completes_after_the_card_holder_confirms(contracted, stripe_server):
    order, member = contracted
    result = pay_copay(order, member, payment_method=stripe_server.card(THREE_D_SECURE_CARD),
                       idempotency_key="k1")
    db.session.commit()
    assert result.status == "requires_action" and result.client_secret
    assert order.status == OrderStatus.CONTRACTED
    stripe_server.authenticate(result.payment_intent_id, result.client_secret)
    refresh_copay(order, member)
    db.session.commit()
    assert order.status == OrderStatus.PAID


def test_the_gateway_down_leaves_the_attempt_to_be_sent_again_under_its_key(
        contracted, app, stripe_server):
    """As the pages and the API pay (each step committed): the attempt the gateway never
    answered is kept, and the next try sends it again under the same key, so a charge
    that did go through is not made twice."""
    order, member = contracted
    saved = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"    # nothing listens there
    try:
        with pytest.raises(DomainError) as refused:
            pay_copay(order, member, payment_method=VISA, idempotency_key="k1",
                      commit=db.session.commit)
        assert refused.value.code == "gateway_unavailable"
    finally:
        app.config["STRIPE_API_BASE"] = saved
    db.session.rollback()
    [pending] = copay_payments(order)
    assert pending.status == PaymentStatus.PENDING and order.status == OrderStatus.CONTRACTED
    result = pay_copay(order, member, payment_method=VISA, idempotency_key="k2",
                       commit=db.session.commit)
    db.session.commit()
    assert result.status == "succeeded"
    assert [p.id for p in copay_payments(order)] == [pending.id]
    assert len(stripe_server.payment_intents()) == 1
    assert ledger.violations() == []


def test_a_pending_card_check_is_cancelled_before_another_card_pays(contracted,
                                                                   stripe_server):
    """Attack: a 3-D Secure attempt left pending, a second card paid, then the card check
    completed — two charges. The pending attempt is cancelled at the gateway first."""
    order, member = contracted
    checking = pay_copay(order, member, payment_method=stripe_server.card(
        THREE_D_SECURE_CARD), idempotency_key="k1", commit=db.session.commit)
    db.session.commit()
    assert checking.status == "requires_action"
    paid = pay_copay(order, member, payment_method=VISA, idempotency_key="k2",
                     commit=db.session.commit)
    db.session.commit()
    assert paid.status == "succeeded"
    assert stripe_server.payment_intent(checking.payment_intent_id)["status"] == "canceled"
    with pytest.raises(Exception):    # the card holder is too late: nothing to confirm
        stripe_server.authenticate(checking.payment_intent_id, checking.client_secret)
    statuses = sorted(p.status.value for p in copay_payments(order))
    assert statuses == ["failed", "succeeded"]
    assert ledger.violations() == []


def test_a_card_check_completed_meanwhile_is_the_payment_and_nothing_more_is_charged(
        contracted, stripe_server):
    order, member = contracted
    checking = pay_copay(order, member, payment_method=stripe_server.card(
        THREE_D_SECURE_CARD), idempotency_key="k1", commit=db.session.commit)
    db.session.commit()
    # the card holder confirms in another tab just before paying again with another card
    stripe_server.authenticate(checking.payment_intent_id, checking.client_secret)
    again = pay_copay(order, member, payment_method=VISA, idempotency_key="k2",
                      commit=db.session.commit)
    db.session.commit()
    assert again.status == "succeeded"
    assert again.payment_intent_id == checking.payment_intent_id
    succeeded = [pi for pi in stripe_server.payment_intents() if pi["status"] == "succeeded"]
    assert len(succeeded) == 1
    assert order.status == OrderStatus.PAID
    assert ledger.violations() == []


def test_a_charge_completed_after_the_order_was_cancelled_is_refunded(contracted,
                                                                      stripe_server):
    """Attack: the card check completed after the order was cancelled: the money is
    refunded automatically, both movements booked, the bureau told."""
    from marketplace import funds
    from marketplace.notifications.models import Notification
    from tests.factories import staff

    order, member = contracted
    supervisor = staff("supervisor")
    checking = pay_copay(order, member, payment_method=stripe_server.card(
        THREE_D_SECURE_CARD), idempotency_key="k1", commit=db.session.commit)
    fulfilment.request_cancellation(order, member, "项目取消")
    fulfilment.answer_cancellation(order, order.offering.agency.organisation.members[0],
                                   agree=True)
    db.session.commit()
    stripe_server.authenticate(checking.payment_intent_id, checking.client_secret)
    refresh_copay(order, member)          # or its webhook: the same code
    db.session.commit()
    outbox.relay_pending()                # the refund goes out after the commit
    db.session.expire_all()
    [payment] = copay_payments(order)
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_server.payment_intent(checking.payment_intent_id)["latest_charge"][
        "amount_refunded"] == 10_000_00
    assert funds.copay.is_received(payment.id) and not funds.copay.is_allocated(payment.id)
    assert db.session.query(Notification).filter_by(
        user_id=supervisor.id, kind="payment_refunded_unallocated").count() == 1
    assert order.status == OrderStatus.CANCELLED
    assert ledger.violations() == []


def test_a_second_charge_of_a_paid_order_is_refunded(contracted, stripe_server):
    from marketplace.payments import inbound
    from marketplace.payments import services as payments

    order, member = contracted
    pay_copay(order, member, payment_method=VISA, idempotency_key="k1",
              commit=db.session.commit)
    db.session.commit()
    # a charge made outside the app's own attempts (a script re-posting an old key…)
    extra = stripe_server.create_intent(10_000_00, metadata={
        "subject_type": "order", "subject_id": str(order.id), "payment_key": "stray"})
    payments.apply_intent(inbound.payment_for_confirmed(
        payments.gateway.retrieve(extra["id"])), payments.gateway.retrieve(extra["id"]))
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()
    statuses = sorted(p.status.value for p in copay_payments(order))
    assert statuses == ["refunded", "succeeded"]
    assert fulfilment.copay_held_fen(order) == 10_000_00     # the first charge only
    assert ledger.violations() == []


def test_the_gateway_down_changes_nothing(contracted, app):
    order, member = contracted
    saved = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"    # nothing listens there
    try:
        with pytest.raises(DomainError) as refused:
            pay_copay(order, member, payment_method="pm_card_visa", idempotency_key="k1")
        assert refused.value.code == "gateway_unavailable"
    finally:
        app.config["STRIPE_API_BASE"] = saved
    db.session.rollback()
    assert order.status == OrderStatus.CONTRACTED and copay_payments(order) == []


def test_a_cancelled_order_gets_its_co_pay_back(contracted, stripe_server):
    order, member = contracted
    result = pay_copay(order, member, payment_method=VISA,
                       idempotency_key="k1")
    fulfilment.request_cancellation(order, member, "项目取消")
    fulfilment.answer_cancellation(order, order.offering.agency.organisation.members[0],
                                   agree=True)
    db.session.commit()
    outbox.relay_pending()    # the refund goes to the gateway after the commit
    db.session.expire_all()
    assert stripe_server.payment_intent(result.payment_intent_id)["status"] == "succeeded"
    payment = copay_payments(order)[0]
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_fen == 10_000_00
    assert ledger.violations() == []


def test_an_unknown_card_is_the_users_input_not_a_gateway_failure(contracted, stripe_server):
    order, member = contracted
    with pytest.raises(DomainError) as refused:
        pay_copay(order, member, payment_method="pm_nothing", idempotency_key="k1")
    assert (refused.value.code, refused.value.status) == ("payment_method_invalid", 422)
