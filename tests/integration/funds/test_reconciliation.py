"""The nightly reconciliation reads the gateway's PaymentIntents and matches each to a
payment and its posting: what the app missed is recorded from the gateway's answer, and
every difference is kept and told to the bureau (`flask payments reconcile` prints them
and exits 1)."""
import pytest

from marketplace import funds
from marketplace.core import ledger, outbox
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders.models import OrderStatus
from marketplace.orders.payment import pay_copay
from marketplace.payments.reconciliation import reconcile
from tests.integration.funds.world import World
from tests.support.stripe import THREE_D_SECURE_CARD

pytestmark = pytest.mark.stripe


def _kinds(run):
    return sorted(d["kind"] for d in run.difference_list)


def test_a_clean_day_has_no_difference(stripe_server):
    world = World()
    world.paid(100_000_00)
    run = reconcile()
    db.session.commit()
    assert (run.intents_seen, run.payments_seen, run.difference_count) == (1, 1, 0)


def test_a_card_check_whose_news_was_lost_is_recorded_and_told(stripe_server):
    world = World()
    order = world.contracted(100_000_00)
    checking = pay_copay(order, world.firm_member,
                         payment_method=stripe_server.card(THREE_D_SECURE_CARD),
                         idempotency_key="k", commit=db.session.commit)
    db.session.commit()
    stripe_server.authenticate(checking.payment_intent_id, checking.client_secret)
    # neither the page's refresh nor the webhook ever arrived
    run = reconcile()
    db.session.commit()
    outbox.relay_pending()
    assert _kinds(run) == ["status"]
    db.session.expire_all()
    assert order.status == OrderStatus.PAID
    assert funds.copay.held_fen(order.id) == 50_000_00
    assert db.session.query(Notification).filter_by(
        user_id=world.supervisor.id, kind="payment_reconciliation_differences").count() == 1
    assert ledger.violations() == []


def test_a_refund_made_at_the_gateway_is_booked_and_voids_the_claim(stripe_server):
    world = World()
    order = world.paid(100_000_00)
    claim = world.accepted(order)
    stripe_server.refund(world.payment_of(order).payment_intent_id)
    run = reconcile()
    db.session.commit()
    assert _kinds(run) == ["refund", "status"]     # succeeded → refunded, and the amount
    db.session.expire_all()
    assert db.session.get(type(claim), claim.id).status.value == "voided"
    assert funds.figures.agency_figures(world.agency_id)["copay_payable_fen"] == 0
    assert ledger.violations() == []


def test_a_charge_the_app_does_not_know_is_listed(stripe_server):
    stripe_server.create_intent(12_345, metadata={"note": "not ours"})
    run = reconcile()
    db.session.commit()
    assert _kinds(run) == ["unknown_charge"]


def test_the_command_prints_the_differences_and_exits_1(app, stripe_server):
    stripe_server.create_intent(12_345)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--days", "1"])
    assert result.exit_code == 1
    assert "unknown_charge" in result.output and "1 differences" in result.output
