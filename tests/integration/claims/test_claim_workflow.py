"""A claim from acceptance through the automatic checks and the review stages."""
import json
from datetime import date

import pytest

from marketplace import funds
from marketplace.claims import checks, services
from marketplace.claims.models import CheckResult, ClaimStatus
from marketplace.core import ledger, outbox
from marketplace.core.errors import InvalidTransition
from marketplace.extensions import db
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from marketplace.vouchers import services as vouchers
from tests.support.copay import record_paid_copay
from tests.support.identity import change_facts
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)


def accepted_claim(firm_member=None, amount_fen=100_000_00, invoice="FP-1", offering=None):
    firm_member = firm_member or FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=200_000_00, firm_member=firm_member)
    # listed at the contract's price, so the price check has nothing to say
    offering = offering or make_offering(price_fen=amount_fen)
    order = make_quoted_order(offering, firm_member, contract_amount_fen=amount_fen)
    contract = orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    record_paid_copay(order)
    agency_member = order.offering.agency.organisation.members[0]
    fulfilment.deliver(order, agency_member, summary="交付", invoice_number=invoice,
                       invoice_amount_fen=amount_fen, invoice_date=date.today())
    claim = fulfilment.accept(order, firm_member)
    return claim


def settle(claim):
    """Commit and let the outbox run every message (tasks run in-process in tests)."""
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()
    return db.session.get(type(claim), claim.id)


@pytest.fixture
def supervisor():
    return staff("supervisor")


def test_the_checks_run_once_each_and_the_claim_reaches_its_auditor(auditor):
    claim = settle(accepted_claim())
    assert claim.status == ClaimStatus.FIRST_REVIEW
    assert claim.assigned_auditor_id == auditor.id
    results = {c.name: c.result for c in services.checks_of(claim)}
    assert results == {name: CheckResult.PASS for name in (
        "related_party", "split_order", "duplicate_invoice", "price", "integrity_list",
        "agency_status", "voucher_and_reservation", "copay_received")}
    assert not claim.is_blocked and claim.stage_due_on > date.today()


def test_a_shared_bank_account_blocks_with_the_evidence(auditor):
    firm_member = FirmMemberFactory()
    offering = make_offering(price_fen=100_000_00)
    agency = offering.agency.organisation
    change_facts(firm_member.organisation, bank_name="中国工商银行南昌分行",
                 bank_cnaps_code="102421000011", bank_account=agency.bank_account)
    claim = settle(accepted_claim(firm_member, offering=offering))
    check = next(c for c in services.checks_of(claim) if c.name == "related_party")
    assert check.result == CheckResult.BLOCK and claim.is_blocked
    evidence = json.loads(check.evidence)
    assert evidence["shared_fields"] == ["bank_account"]
    [match] = evidence["matches"]
    assert match["firm"]["value"] == match["agency"]["value"] == agency.bank_account
    assert match["found_on"] == ["pinned", "current", "pinned_firm_current_agency",
                                 "current_firm_pinned_agency"]


def test_contracts_split_between_one_pair_are_flagged(auditor):
    firm_member = FirmMemberFactory()
    voucher = make_voucher(make_programme(rules={"single_order_max_fen": 60_000_00}),
                           amount_fen=200_000_00, firm_member=firm_member)
    offering = make_offering()
    for amount in (100_000_00, 100_000_00):   # 50,000 + 50,000 voucher parts > 60,000
        order = make_quoted_order(offering, firm_member, contract_amount_fen=amount)
        orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    record_paid_copay(order)
    fulfilment.deliver(order, offering.agency.organisation.members[0], summary="交付",
                       invoice_number="FP-9", invoice_amount_fen=100_000_00,
                       invoice_date=date.today())
    claim = settle(fulfilment.accept(order, firm_member))
    check = next(c for c in services.checks_of(claim) if c.name == "split_order")
    assert check.result == CheckResult.FLAG and claim.is_flagged and not claim.is_blocked
    assert json.loads(check.evidence)["total_voucher_part_fen"] == 100_000_00


def test_approval_by_auditor_then_another_supervisor_pays_the_agency(auditor, supervisor):
    claim = settle(accepted_claim())
    services.decide(claim, auditor, "approve", "材料齐全")
    assert claim.status == ClaimStatus.FINAL_APPROVAL
    services.decide(claim, supervisor, "approve")
    claim = settle(claim)
    assert claim.status == ClaimStatus.APPROVED
    money = funds.figures.agency_figures(claim.agency_id)
    # the approved voucher part and the co-pay settled at acceptance, kept apart
    assert (money["payable_fen"], money["copay_payable_fen"]) == (50_000_00, 50_000_00)
    figures = funds.figures.voucher_balances(claim.contract.voucher)
    assert (figures["reserved_fen"], figures["spent_fen"]) == (0, 50_000_00)
    assert ledger.violations() == []


def test_supervisor_cannot_finalise_a_claim_they_reviewed(auditor):
    claim = settle(accepted_claim())
    claim.assigned_auditor_id = None
    both = staff("supervisor")
    with pytest.raises(services.NotTheStageReviewer):
        services.decide(claim, both, "approve")   # a supervisor cannot do first review
    services.decide(claim, auditor, "approve")
    claim.first_reviewer_id = both.id            # as if they had reviewed the first stage
    with pytest.raises(services.FourEyes):
        services.decide(claim, both, "approve")


def test_a_rejected_claim_releases_the_reservation(auditor):
    claim = settle(accepted_claim())
    services.decide(claim, auditor, "reject", "发票与合同不符")
    db.session.commit()
    figures = funds.figures.voucher_balances(claim.contract.voucher)
    assert (figures["available_fen"], figures["reserved_fen"]) == (200_000_00, 0)
    with pytest.raises(InvalidTransition):
        services.resubmit(claim, claim.order.firm.members[0])


def test_a_returned_claim_is_checked_again_when_resubmitted(auditor):
    claim = settle(accepted_claim())
    with pytest.raises(Exception):
        services.decide(claim, auditor, "return", "")   # a reason is required
    services.decide(claim, auditor, "return", "请补充验收报告")
    services.resubmit(claim, claim.order.firm.members[0], "已补充")
    claim = settle(claim)
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.check_round == 2
    assert len(services.checks_of(claim)) == len(checks.CHECKS) == 8


def test_a_returned_claim_not_resubmitted_by_its_deadline_lapses_and_frees_its_money(
        auditor):
    """A firm that never answers a return must not hold the voucher part reserved for
    good: the night after the claim's deadline it is rejected as lapsed and the
    reservation released (to the programme's pool once the voucher has expired)."""
    from datetime import timedelta

    from marketplace.core.tasks import nightly

    claim = settle(accepted_claim())
    services.decide(claim, auditor, "return", "请补充验收报告")
    claim = settle(claim)
    claim.file_by = date.today()            # the last day to answer is today: kept
    db.session.commit()
    nightly()
    claim = settle(claim)
    assert claim.status == ClaimStatus.RETURNED
    claim.file_by = date.today() - timedelta(days=1)
    db.session.commit()
    nightly()
    claim = settle(claim)
    assert claim.status == ClaimStatus.REJECTED
    figures = funds.figures.voucher_balances(claim.contract.voucher)
    assert (figures["available_fen"], figures["reserved_fen"]) == (200_000_00, 0)
    nightly()                               # the next night changes nothing more
    assert settle(claim).status == ClaimStatus.REJECTED
    assert ledger.violations() == []


def test_large_claims_go_to_the_experts(auditor):
    from marketplace.core.audit import AuditRecord

    from marketplace.accounts.models import User

    small = settle(accepted_claim(amount_fen=199_998_00, invoice="S-1"))   # part 99,999
    claim = settle(accepted_claim(amount_fen=200_000_00))   # voucher part 100,000
    for each in (small, claim):
        services.decide(each, db.session.get(User, each.assigned_auditor_id), "approve")
    db.session.commit()
    actions = lambda c: [r.action for r in db.session.query(AuditRecord).filter_by(  # noqa
        object_type="Claim", object_id=str(c.id)).order_by(AuditRecord.id)]
    assert "to_experts" in actions(claim) and "to_experts" not in actions(small)


def test_claims_go_to_the_least_loaded_auditor():
    busy, idle = staff("auditor"), staff("auditor")
    first = settle(accepted_claim(invoice="A-1"))
    assert first.assigned_auditor_id == busy.id     # a tie goes to the longest-serving
    second = settle(accepted_claim(invoice="A-2"))
    assert second.assigned_auditor_id == idle.id


def test_a_disbursement_batch_exports_many_times_and_pays_once(auditor, supervisor):
    from marketplace.claims import disbursement

    claim = settle(accepted_claim())
    services.decide(claim, auditor, "approve")
    services.decide(claim, supervisor, "approve")
    batch = disbursement.create_batch(supervisor, [claim.id])
    with pytest.raises(disbursement.ClaimsNotPayable):
        disbursement.create_batch(supervisor, [claim.id])   # already in a batch
    csv_bytes, _ = disbursement.export(batch, supervisor, "csv")
    xlsx_bytes, _ = disbursement.export(batch, supervisor, "xlsx")
    assert f"CLAIM-{claim.id}".encode() in csv_bytes and "50000.00".encode() in csv_bytes
    assert xlsx_bytes[:2] == b"PK" and batch.export_count == 2
    disbursement.mark_paid(batch, supervisor, "国库支付凭证 2026-0001")
    with pytest.raises(disbursement.BatchAlreadyPaid):
        disbursement.mark_paid(batch, supervisor, "again")
    claim = settle(claim)
    assert claim.status == ClaimStatus.DISBURSED
    paid = ledger.find_account(f"agency:{claim.agency_id}:paid")
    assert ledger.balance(paid) == 50_000_00
    assert ledger.violations() == []


def test_the_sla_job_reminds_once_and_escalates_at_the_deadline(auditor):
    from datetime import timedelta

    from marketplace.claims import sla
    from marketplace.notifications.models import Notification

    claim = settle(accepted_claim())
    started = claim.stage_started_dt.date()
    day7 = services.working_days_after(started, 7)
    assert sla.watch_review_deadlines(today=day7)["reminded"] == [claim.id]
    assert sla.watch_review_deadlines(today=day7)["reminded"] == []
    result = sla.watch_review_deadlines(today=claim.stage_due_on)
    assert result["escalated"] == [claim.id]
    assert sla.overdue_claims(today=claim.stage_due_on + timedelta(days=1)) == [claim]
    supervisor = staff("supervisor")
    assert sla.watch_review_deadlines(today=claim.stage_due_on)["escalated"] == []
    db.session.commit()
    outbox.relay_pending()
    kinds = [n.kind for n in db.session.query(Notification).all()]
    assert kinds.count("claim_review_reminder") == 1
    assert supervisor.id  # created after the escalation: it gets nothing retroactively


def _paid_through_gateway(claim):
    """The Payment of the order's co-pay (``accepted_claim`` recorded it)."""
    from marketplace.payments import services as payments

    return payments.payments_of("order", claim.order_id)[0]


@pytest.mark.parametrize("approved_first", [False, True])
def test_a_co_pay_refunded_after_acceptance_voids_the_claim(auditor, supervisor,
                                                            approved_first):
    from marketplace.payments import services as payments

    claim = settle(accepted_claim())
    if approved_first:
        services.decide(claim, db.session.get(type(auditor), claim.assigned_auditor_id),
                        "approve")
        services.decide(claim, supervisor, "approve")
        assert claim.status == ClaimStatus.APPROVED
    payment = _paid_through_gateway(claim)
    payments.record_refunded_total(payments.lock_payment(payment), 20_000_00)   # part,
    payments.record_refunded_total(payments.lock_payment(payment), 50_000_00)   # then all
    db.session.commit()
    assert claim.status == ClaimStatus.VOIDED
    figures = funds.figures.voucher_balances(claim.contract.voucher)
    assert (figures["available_fen"], figures["reserved_fen"], figures["spent_fen"]) == (
        200_000_00, 0, 0)
    money = funds.figures.agency_figures(claim.agency_id)
    # neither the co-pay nor the voucher part is owed
    assert (money["payable_fen"], money["copay_payable_fen"]) == (0, 0)
    assert ledger.violations() == []
