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
