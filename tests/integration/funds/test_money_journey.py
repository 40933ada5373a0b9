"""One order's money from the budget to the agency, through the real gateway: every loop
closes. After the whole journey (contract, co-pay, delivery, acceptance, claim approved,
batch paid) every account of the order nets to zero except what was paid out and the
programme's spent figure; refunds after payout become recoveries, netted from the next
payout; released money on an expired voucher returns to the pool."""
from datetime import date

import pytest

from marketplace import funds
from marketplace.claims import disbursement
from marketplace.claims.models import ClaimStatus, LineKind
from marketplace.core import ledger, outbox
from marketplace.extensions import db
from marketplace.funds import accounts
from marketplace.funds.models import RecoveryStatus
from marketplace.payments import services as payments
from marketplace.vouchers import budget_use
from tests.integration.funds.world import World

pytestmark = pytest.mark.stripe


def balance(code):
    found = ledger.find_account(code)
    return ledger.balance(found) if found else 0


def refunded_at_the_gateway(stripe_server, payment, amount_fen):
    """The agency rebates the firm through the gateway; its webhook brings the news."""
    stripe_server.http.post(f"{stripe_server.base}/v1/refunds", data={
        "payment_intent": payment.payment_intent_id, "amount": amount_fen},
        timeout=10).raise_for_status()
    payments.refresh(payment)
    db.session.commit()
    outbox.relay_pending()


def a_recovery_netted_into_the_next_batch(stripe_server, reference="国库 1"):
    """A claim paid out with its co-pay, then half the co-pay rebated through the gateway
    (the agency owes the claim's and the co-pay's parts back), and the agency's next order
    put in a batch that deducts both: ``(world, next batch)``."""
    world = World()
    first = world.paid(100_000_00)
    claim = world.approved(world.accepted(first))
    disbursement.mark_paid(world.batch([claim], [first]), world.supervisor, reference)
    db.session.commit()
    refunded_at_the_gateway(stripe_server, world.payment_of(first), 50_000_00)
    second = world.paid(300_000_00)
    return world, world.batch([world.approved(world.accepted(second))], [second])


def test_after_the_whole_journey_only_the_payout_and_the_spent_figure_remain(stripe_server):
    world = World()
    order = world.paid(100_000_00)
    claim = world.approved(world.accepted(order))
    batch = world.batch([claim], [order])
    assert {line.kind for line in disbursement.lines_of(batch)} == {LineKind.VOUCHER_PART,
                                                                   LineKind.COPAY}
    assert batch.total_fen == 100_000_00        # the voucher part and the co-pay
    disbursement.mark_paid(batch, world.supervisor, "国库 2026-1")
    db.session.commit()
    agency = world.agency_id
    assert balance(accounts.copay_held_code(order.id)) == 0
    assert balance(accounts.agency_payable_code(agency)) == 0
    assert balance(accounts.agency_copay_payable_code(agency)) == 0
    assert balance(accounts.agency_recoveries_code(agency)) == 0
    assert balance(accounts.voucher_reserved_code(world.voucher.id)) == 0
    assert balance(accounts.UNALLOCATED_CODE) == 0
    # what remains: the agency was paid the whole contract, the voucher spent its part
    assert balance(accounts.agency_paid_code(agency)) == 100_000_00
    assert balance(accounts.GATEWAY_CODE) == -50_000_00          # the firm's own money
    figures = funds.figures.voucher_balances(world.voucher)
    assert (figures["spent_fen"], figures["available_fen"]) == (50_000_00, 150_000_00)
    assert budget_use.budget_figures(world.programme)["spent_fen"] == 50_000_00
    assert db.session.get(type(claim), claim.id).status == ClaimStatus.DISBURSED
    assert ledger.violations() == []


def test_a_refund_after_payout_is_owed_back_and_netted_from_the_next_payout(stripe_server):
    world = World()
    first = world.paid(100_000_00)
    claim = world.approved(world.accepted(first))
    batch = world.batch([claim], [first])
    disbursement.mark_paid(batch, world.supervisor, "国库 2026-1")
    db.session.commit()
    # the agency rebates the whole co-pay after everything was paid out
    refunded_at_the_gateway(stripe_server, world.payment_of(first), 50_000_00)
    db.session.expire_all()
    claim = db.session.get(type(claim), claim.id)
    assert claim.status == ClaimStatus.VOIDED
    owed = funds.recoveries.outstanding([world.agency_id])
    assert sorted(r.amount_fen for r in owed) == [50_000_00, 50_000_00]  # co-pay, voucher
    assert balance(accounts.agency_recoveries_code(world.agency_id)) == 100_000_00
    assert ledger.violations() == []
    # the next payout pays the new claim less what is owed
    second = world.paid(300_000_00)
    next_claim = world.approved(world.accepted(second))
    next_batch = world.batch([next_claim], [second])
    assert next_batch.total_fen == 300_000_00 - 100_000_00
    disbursement.mark_paid(next_batch, world.supervisor, "国库 2026-2")
    db.session.commit()
    assert all(r.status == RecoveryStatus.COLLECTED
               for r in funds.recoveries.of_agency(world.agency_id))
    assert balance(accounts.agency_recoveries_code(world.agency_id)) == 0
    assert balance(accounts.ADVANCES_CODE) == 0
    # the voided claim's voucher part came back to the voucher once collected
    figures = funds.figures.voucher_balances(world.voucher)
    assert figures["spent_fen"] == 150_000_00          # only the second claim's part
    assert ledger.violations() == []


def test_a_refund_on_a_claim_in_an_unpaid_batch_takes_it_out_and_the_rest_stays_payable(
        stripe_server):
    world = World()
    first, second = world.paid(100_000_00), world.paid(100_000_00)
    claims = [world.approved(world.accepted(o)) for o in (first, second)]
    batch = world.batch(claims, [first, second])
    refunded_at_the_gateway(stripe_server, world.payment_of(first), 50_000_00)
    db.session.expire_all()
    batch = db.session.get(type(batch), batch.id)
    assert batch.total_fen == 100_000_00 and batch.line_count == 2
    removed = [line for line in disbursement.lines_of(batch) if line.removed_reason]
    assert {line.kind for line in removed} == {LineKind.VOUCHER_PART, LineKind.COPAY}
    disbursement.mark_paid(batch, world.supervisor, "国库 2026-3")
    db.session.commit()
    assert balance(accounts.agency_paid_code(world.agency_id)) == 100_000_00
    assert funds.recoveries.outstanding([world.agency_id]) == []
    assert ledger.violations() == []


def test_money_released_on_an_expired_voucher_returns_to_the_pool(stripe_server):
    from marketplace.claims import services as claims
    from marketplace.vouchers import lifecycle

    world = World()
    order = world.paid(100_000_00)
    claim = world.accepted(order)
    lifecycle.expire(lifecycle.lock_voucher(world.voucher.id))
    db.session.commit()
    pool_before = budget_use.budget_figures(world.programme)["available_fen"]
    claims.decide(world.checked(claim), world.auditor, "reject", "材料不全，驳回")
    db.session.commit()
    figures = funds.figures.voucher_balances(world.voucher)
    assert figures["available_fen"] == 0 and figures["reserved_fen"] == 0
    after = budget_use.budget_figures(world.programme)["available_fen"]
    assert after - pool_before == 50_000_00
    assert ledger.violations() == []


def test_a_recovery_repaid_while_an_open_batch_deducts_it_leaves_the_batch_payable(
        stripe_server):
    """The agency repays by bank transfer what a batch waiting for the treasury already
    deducts from its payout: the deduction shrinks to what is still owed (the supervisors
    are told), so the batch can still be paid and nobody collects the recovery twice."""
    from marketplace.claims.models import BatchStatus, LineStatus
    from tests.integration.claims.builders import signed_in

    world, next_batch = a_recovery_netted_into_the_next_batch(stripe_server, "国库 2026-1")
    assert next_batch.total_fen == 300_000_00 - 100_000_00   # both recoveries deducted
    owed = funds.recoveries.outstanding([world.agency_id])
    browser = signed_in(world.supervisor)
    for recovery in owed:
        response = browser.post(f"/disbursements/recoveries/{recovery.id}/repaid", data={
            "amount": "50000.00", "reference": f"回单 {recovery.id}",
            "idempotency_token": f"repaid-{recovery.id}"})
        assert response.status_code == 302
    db.session.expire_all()
    next_batch = db.session.get(type(next_batch), next_batch.id)
    assert next_batch.total_fen == 300_000_00          # nothing left to deduct
    assert all(line.status == LineStatus.REMOVED for line in disbursement.lines_of(next_batch)
               if line.kind == LineKind.RECOVERY)
    disbursement.mark_paid(next_batch, world.supervisor, "国库 2026-2")
    db.session.commit()
    assert db.session.get(type(next_batch), next_batch.id).status == BatchStatus.PAID
    assert all(r.status == RecoveryStatus.COLLECTED
               for r in funds.recoveries.of_agency(world.agency_id))
    assert sum(c.amount_fen for r in funds.recoveries.of_agency(world.agency_id)
               for c in r.collections) == 100_000_00        # collected once
    # the first payout was owed back and repaid: only the second one stays paid
    assert balance(accounts.agency_paid_code(world.agency_id)) == 300_000_00
    assert ledger.violations() == []


def test_a_removed_agencys_open_orders_are_frozen_and_the_firm_gets_its_money_back(
        stripe_server):
    """Removing an agency from the registry freezes its open orders (domain.md, Lifecycles):
    no co-pay is taken for it, nothing is delivered or accepted, so no money of the
    programme or of the firm moves on to it; the order can still be cancelled, which
    releases the reservation and refunds a co-pay already paid."""
    from marketplace.agencies import services as registry
    from marketplace.core.errors import DomainError
    from marketplace.orders import fulfilment
    from marketplace.orders.models import OrderStatus
    from marketplace.orders.payment import pay_copay
    from tests.support.stripe import VISA

    world = World()
    contracted, paid = world.contracted(100_000_00), world.paid(100_000_00)
    delivered = world.paid(100_000_00)
    fulfilment.deliver(delivered, world.agency_member, summary="交付", invoice_number="RM-0",
                       invoice_amount_fen=100_000_00, invoice_date=date.today())
    db.session.commit()
    registry.remove(registry.profile_of(world.offering.agency.organisation),
                    world.auditor, "严重违规，退库")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        pay_copay(contracted, world.firm_member, payment_method=VISA,
                  idempotency_key="after-removal", commit=db.session.commit)
    assert refused.value.code == "order_frozen"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        fulfilment.deliver(paid, world.agency_member, summary="交付", invoice_number="RM-1",
                           invoice_amount_fen=100_000_00, invoice_date=date.today())
    assert refused.value.code == "order_frozen"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        fulfilment.accept(delivered, world.firm_member)
    assert refused.value.code == "order_frozen"
    db.session.rollback()
    for order in (contracted, paid, delivered):
        fulfilment.request_cancellation(order, world.firm_member, "机构已退库")
        fulfilment.answer_cancellation(order, world.agency_member, True)
        db.session.commit()
        outbox.relay_pending()
    db.session.expire_all()
    assert {o.status for o in (contracted, paid, delivered)} == {OrderStatus.CANCELLED}
    assert [world.payment_of(o).refunded_fen for o in (paid, delivered)] == [50_000_00] * 2
    assert funds.figures.voucher_balances(world.voucher)["available_fen"] == 200_000_00
    assert balance(accounts.agency_copay_payable_code(world.agency_id)) == 0
    assert ledger.violations() == []
