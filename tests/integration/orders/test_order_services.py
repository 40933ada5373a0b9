"""The order flow through its services: quote, contract with the voucher part reserved,
co-pay, delivery, acceptance with its claim, disputes, cancellation, rating."""
from datetime import date, timedelta

import pytest

from marketplace import funds
from marketplace.catalogue.models import AgencyScorecard
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core import ledger, outbox
from marketplace.core.errors import InvalidTransition
from marketplace.extensions import db
from marketplace.orders import fulfilment, services
from marketplace.orders.models import OrderStatus
from marketplace.orders.pricing import split_contract
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.lifecycle import InsufficientVoucherBalance
from tests.support.copay import record_paid_copay
from marketplace import funds
from marketplace.core.outbox import OutboxMessage
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)


def balances(voucher):
    return funds.figures.voucher_balances(voucher)


@pytest.mark.parametrize("amount, share, available, single_max, part, bound", [
    (100_000_00, 5000, 200_000_00, 200_000_00, 50_000_00, "share"),
    (100_000_00, 5000, 30_000_00, 200_000_00, 30_000_00, "balance"),
    (1_000_000_00, 5000, 900_000_00, 200_000_00, 200_000_00, "single_order_max"),
    (333, 5000, 10_000, 10_000, 166, "share"),     # rounded down: never overpay
])
def test_the_voucher_part_is_the_smallest_bound(amount, share, available, single_max, part,
                                                bound):
    split = split_contract(amount, share_bp=share, available_fen=available,
                           single_order_max_fen=single_max)
    assert (split.voucher_part_fen, split.limited_by) == (part, bound)
    assert split.voucher_part_fen + split.copay_fen == amount


@pytest.fixture
def firm_member():
    return FirmMemberFactory()


@pytest.fixture
def voucher(firm_member):
    return make_voucher(make_programme(), amount_fen=200_000_00, firm_member=firm_member)


def test_signing_reserves_the_voucher_part_and_leaves_the_co_pay(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member, contract_amount_fen=100_000_00)
    contract = services.sign_contract(order, firm_member, voucher_id=voucher.id)
    db.session.commit()
    assert (contract.voucher_part_fen, contract.copay_fen) == (50_000_00, 50_000_00)
    assert order.status == OrderStatus.CONTRACTED
    assert balances(voucher)["available_fen"] == 150_000_00
    assert balances(voucher)["reserved_fen"] == 50_000_00
    assert contract.rule_version_id == voucher.programme.current_rules_id
    assert ledger.violations() == []


def test_a_contract_below_the_minimum_order_cannot_use_a_voucher(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member, contract_amount_fen=4_999_00)
    with pytest.raises(services.BelowMinimumOrder):
        services.sign_contract(order, firm_member, voucher_id=voucher.id)


def test_another_firms_voucher_cannot_pay_and_answers_as_a_missing_one(voucher):
    from marketplace.core.errors import NotFound

    stranger = FirmMemberFactory()
    order = make_quoted_order(firm_member=stranger)
    with pytest.raises(NotFound) as foreign:
        services.sign_contract(order, stranger, voucher_id=voucher.id)
    with pytest.raises(NotFound) as missing:
        services.sign_contract(order, stranger, voucher_id=987654)
    assert foreign.value.details == missing.value.details == {"field": "voucher_id"}


def test_a_contract_dated_before_the_voucher_is_refused(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member)
    with pytest.raises(services.VoucherNotUsable) as refused:
        services.sign_contract(order, firm_member, voucher_id=voucher.id,
                               today=date.today() - timedelta(days=1))
    assert refused.value.code == "contract_before_voucher"


def test_an_empty_voucher_refuses_the_contract(firm_member, voucher):
    first = make_quoted_order(firm_member=firm_member, contract_amount_fen=400_000_00)
    services.sign_contract(first, firm_member, voucher_id=voucher.id)
    assert balances(voucher)["available_fen"] == 0
    second = make_quoted_order(firm_member=firm_member)
    with pytest.raises(InsufficientVoucherBalance):
        services.sign_contract(second, firm_member, voucher_id=voucher.id)


def test_a_contract_can_be_signed_only_once(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    with pytest.raises(InvalidTransition):
        services.sign_contract(order, firm_member, voucher_id=voucher.id)
    assert balances(voucher)["reserved_fen"] == 50_000_00


def _paid_and_delivered(order, firm_member, invoice="INV-0001"):
    contract = order.contract
    record_paid_copay(order)
    agency_member = order.offering.agency.organisation.members[0]
    fulfilment.deliver(order, agency_member, summary="已交付检测报告", invoice_number=invoice,
                       invoice_amount_fen=contract.contract_amount_fen,
                       invoice_date=date.today())


def test_acceptance_creates_the_claim_and_settles_the_co_pay_to_its_own_payable(
        firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    _paid_and_delivered(order, firm_member)
    claim = fulfilment.accept(order, firm_member)
    db.session.commit()
    assert order.status == OrderStatus.ACCEPTED
    assert (claim.status, claim.amount_fen) == (ClaimStatus.SUBMITTED, 50_000_00)
    # 90 days, or the first working day after them (the calendar's, not Monday to Friday)
    from marketplace.workdays import calendar as workdays
    assert claim.file_by == workdays.first_working_day_from(date.today() + timedelta(days=90))
    money = funds.figures.agency_figures(order.agency_id)
    # the co-pay is owed to the agency apart from any voucher part (none approved yet)
    assert (money["copay_payable_fen"], money["payable_fen"]) == (50_000_00, 0)
    assert fulfilment.copay_held_fen(order) == 0
    assert ledger.violations() == []


def test_a_duplicate_invoice_number_is_refused_anywhere(firm_member, voucher):
    first = make_quoted_order(firm_member=firm_member)
    services.sign_contract(first, firm_member, voucher_id=voucher.id)
    _paid_and_delivered(first, firm_member, invoice="INV 2026-001")
    second = make_quoted_order(firm_member=firm_member)
    services.sign_contract(second, firm_member, voucher_id=voucher.id)
    with pytest.raises(fulfilment.DuplicateInvoice):
        _paid_and_delivered(second, firm_member, invoice="inv2026001")


def test_cancelling_a_contract_needs_the_other_side_and_releases_everything(firm_member,
                                                                           voucher):
    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    record_paid_copay(order)
    fulfilment.request_cancellation(order, firm_member, "需求变更")
    assert order.status == OrderStatus.PAID
    with pytest.raises(services.NotYourTurn):
        fulfilment.answer_cancellation(order, firm_member, agree=True)
    agency_member = order.offering.agency.organisation.members[0]
    fulfilment.answer_cancellation(order, agency_member, agree=True)
    db.session.commit()
    assert order.status == OrderStatus.CANCELLED and order.contract.is_cancelled
    assert balances(voucher)["available_fen"] == 200_000_00
    # the co-pay is held until the gateway confirms its refund (queued after the commit;
    # tests/integration/orders/test_copay_payment.py follows it through localstripe)
    assert fulfilment.copay_held_fen(order) == 50_000_00
    assert [m.topic for m in db.session.query(OutboxMessage)
            if m.topic == "orders.refund_copay"] == ["orders.refund_copay"]
    assert ledger.violations() == []


def test_a_dispute_is_mediated_by_an_auditor(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    _paid_and_delivered(order, firm_member)
    fulfilment.dispute(order, firm_member, "报告缺少关键数据")
    fulfilment.mediate(order, staff("auditor"), "redeliver", "请补充数据后重新交付")
    assert order.status == OrderStatus.PAID and order.delivery is None
    _paid_and_delivered(order, firm_member)   # same invoice again after mediation
    claim = fulfilment.accept(order, firm_member)
    assert claim.amount_fen == 50_000_00


def test_a_rating_counts_once_and_feeds_the_scorecard(firm_member, voucher):
    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    _paid_and_delivered(order, firm_member)
    fulfilment.accept(order, firm_member)
    fulfilment.rate(order, firm_member, 4, "报告专业")
    with pytest.raises(fulfilment.AlreadyRated):
        fulfilment.rate(order, firm_member, 5)
    db.session.commit()
    outbox.relay_pending()   # the outbox refreshes the scorecard after commit
    db.session.expire_all()
    card = db.session.get(AgencyScorecard, order.agency_id)
    assert (card.rating_count, card.rating_avg_x100, card.orders_completed) == (1, 400, 1)
    assert card.acceptance_rate_bp == 10_000


def test_an_order_without_a_voucher_is_all_co_pay(firm_member):
    order = make_quoted_order(firm_member=firm_member, contract_amount_fen=3_000_00)
    contract = services.sign_contract(order, firm_member)
    assert (contract.voucher_part_fen, contract.copay_fen) == (0, 3_000_00)
    _paid_and_delivered(order, firm_member)
    assert fulfilment.accept(order, firm_member) is None   # no claim without a voucher part
    assert db.session.query(Claim).count() == 0


@pytest.mark.postgres
def test_two_ratings_sent_at_once_make_one_and_tell_the_other_it_is_rated(
        app, firm_member, voucher):
    """A double click on "rate" sends two requests: both found no rating, and the second
    one's INSERT hit the unique key, a 500. Now the order is locked first."""
    from marketplace.accounts.models import User
    from marketplace.orders.models import Order, Rating
    from tests.support.races import at_once

    order = make_quoted_order(firm_member=firm_member)
    services.sign_contract(order, firm_member, voucher_id=voucher.id)
    _paid_and_delivered(order, firm_member)
    fulfilment.accept(order, firm_member)
    db.session.commit()
    order_id, member_id = order.id, firm_member.id

    def load():
        return db.session.get(Order, order_id), db.session.get(User, member_id)

    for _round in range(3):
        outcomes = at_once(app, [(load, lambda o, u: fulfilment.rate(o, u, 5))] * 2)
        assert sorted(outcomes) in (["already_rated", "ok"], ["already_rated"] * 2), outcomes
    db.session.expire_all()
    assert db.session.query(Rating).filter_by(order_id=order_id).count() == 1
