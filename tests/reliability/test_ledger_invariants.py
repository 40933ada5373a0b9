"""The invariants checked after every test (tests/conftest.py, `flask ledger verify`) do
catch what they are for. Each case builds a sound state through the services, checks
that nothing is named, then recreates one defect the way the defective code made it (a
posting or a state change in the test's transaction, rolled back before the after-test
check) and expects violations() to name it."""
import pytest
from sqlalchemy import update

from marketplace import funds
from marketplace.claims import disbursement
from marketplace.claims.models import Claim, ClaimStatus, DisbursementLine, LineStatus
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.funds import accounts, kinds
from marketplace.funds.models import Recovery, RecoveryStatus
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.vouchers.models import Voucher, VoucherStatus
from tests.factories import staff
from tests.integration.claims.builders import approved_claim as approve

pytestmark = pytest.mark.tamper   # the after-test check would name what we break


@pytest.fixture
def bureau():
    return staff("auditor"), staff("supervisor")


@pytest.fixture
def approved(bureau):
    return approve(*bureau)


@pytest.fixture
def paid_batch(approved, bureau):
    """One approved claim and its order's co-pay, paid out in a batch."""
    batch = disbursement.create_batch(bureau[1], [approved.id], [approved.order_id])
    disbursement.mark_paid(batch, bureau[1], "国库 2026-1")
    db.session.flush()
    return batch


def named(fragment):
    found = ledger.violations()
    assert any(fragment in v for v in found), found
    return found


def test_a_sound_state_has_no_violation(paid_batch):
    assert ledger.violations() == []


def test_a_claim_paid_twice_is_named(paid_batch, approved):
    ledger.transfer(kinds.DISBURSEMENT, accounts.gateway(),
                    accounts.agency_paid(approved.agency_id), approved.amount_fen,
                    ref=("claim", approved.id))
    named(f"claim {approved.id} has 2 claim_disbursement transactions")


def test_a_claim_paid_and_clawed_back_at_once_is_named(paid_batch, approved):
    """Found 1: a refund voided a claim while its batch was being paid: it ended voided
    with its payout standing and nothing owed back."""
    db.session.execute(update(Claim).where(Claim.id == approved.id)
                       .values(status=ClaimStatus.VOIDED))
    named(f"voided claim {approved.id} paid out {approved.amount_fen} fen net")


def test_an_approved_claim_without_its_approval_posting_is_named(bureau):
    from tests.integration.claims.builders import claim_at_final_approval

    claim = claim_at_final_approval(bureau[0])
    db.session.execute(update(Claim).where(Claim.id == claim.id)
                       .values(status=ClaimStatus.APPROVED))
    named(f"claim {claim.id} is approved but the books show 0 fen owed")


def test_co_pay_in_the_voucher_payable_is_named(approved):
    """Found 8: the co-pay settled into the same payable as voucher parts, so a voucher
    payout could be funded by firms' co-pays and the co-pay never reached the agency."""
    held_elsewhere = funds.copay.position(approved.order_id).payable
    ledger.transfer(kinds.COPAY_SETTLE, accounts.agency_copay_payable(approved.agency_id),
                    accounts.agency_payable(approved.agency_id), held_elsewhere,
                    ref=("agency", approved.agency_id))
    named(f"agency {approved.agency_id}'s voucher payable is")


def test_a_paid_charge_without_its_receipt_is_named(approved):
    payment = Payment(subject_type="order", subject_id=approved.order_id, amount_fen=100,
                      payment_intent_id="pi_without_receipt", idempotency_key="no-receipt",
                      status=PaymentStatus.SUCCEEDED)
    db.session.add(payment)
    db.session.flush()
    named(f"payment {payment.id} (succeeded, 100 fen) has receipts []")


def test_a_second_charge_kept_for_a_paid_order_is_named(approved):
    """Found 3: a second captured charge of one co-pay, with no refund."""
    payment = Payment(subject_type="order", subject_id=approved.order_id,
                      amount_fen=approved.contract.copay_fen, payment_intent_id="pi_second",
                      idempotency_key="second", status=PaymentStatus.SUCCEEDED)
    db.session.add(payment)
    db.session.flush()
    funds.copay.receive(payment.id, approved.order_id, payment.amount_fen)
    named(f"order {approved.order_id} received")


def test_a_refund_the_gateway_made_but_the_books_did_not_is_named(approved):
    from marketplace.payments import services as payments

    [payment] = payments.payments_of("order", approved.order_id)
    db.session.execute(update(Payment).where(Payment.id == payment.id).values(
        refunded_fen=payment.amount_fen, status=PaymentStatus.REFUNDED))
    named(f"payment {payment.id}: the gateway refunded")


def test_money_left_on_an_expired_voucher_is_named(approved):
    """Found 10: released money went back to an expired voucher, not to the pool."""
    db.session.execute(update(Voucher).where(Voucher.id == approved.voucher_id)
                       .values(status=VoucherStatus.EXPIRED))
    named(f"expired voucher {approved.voucher_id} still holds")


def test_a_batch_paying_a_line_it_no_longer_holds_is_named(approved, bureau):
    """Found 2: a voided claim stayed in its batch."""
    batch = disbursement.create_batch(bureau[1], [approved.id])
    db.session.flush()
    db.session.execute(update(DisbursementLine).where(DisbursementLine.batch_id == batch.id)
                       .values(status="removed", removed_reason="x"))
    named(f"batch {batch.id} says {batch.total_fen} fen in 1 lines but its lines make 0")
    named(f"claim {approved.id} names batch {batch.id} but has no live line")


def test_a_recovery_collected_on_paper_only_is_named(paid_batch, approved):
    claim = db.session.get(Claim, approved.id)
    recovery = funds.recoveries.owe_voucher_part(claim, reason="测试")
    db.session.flush()
    db.session.execute(update(Recovery).where(Recovery.id == recovery.id)
                       .values(collected_fen=recovery.amount_fen,
                               status=RecoveryStatus.COLLECTED))
    named(f"recovery {recovery.id} says {recovery.amount_fen} fen collected")
    named(f"agency {approved.agency_id} owes 0 fen back by its recoveries")


def test_a_balance_that_differs_from_its_postings_is_named(approved):
    payable = accounts.agency_payable(approved.agency_id)
    db.session.execute(update(ledger.LedgerAccount).where(ledger.LedgerAccount.id == payable.id)
                       .values(balance_fen=1))
    named(f"account {payable.code} shows 1 fen")


def test_an_over_issued_programme_is_named(approved):
    voucher = db.session.get(Voucher, approved.voucher_id)
    db.session.execute(update(Voucher).where(Voucher.id == voucher.id)
                       .values(face_value_fen=voucher.face_value_fen + 10**12))
    named(f"programme {voucher.programme_id}: pool")


def test_a_line_the_bank_did_not_pay_left_in_its_batch_is_named(bureau):
    """A failed payee's line kept live would be paid again by the next batch."""
    from marketplace.claims import bank_files, bank_results

    first, second = approve(*bureau), approve(*bureau)
    batch = disbursement.create_batch(bureau[1], [first.id, second.id])
    rows = bank_files.transfers(batch)
    answer = "参考号,状态,银行流水号\n" + "\n".join(
        f"{row.reference},{status},{reference}" for row, status, reference in
        zip(rows, ("paid", "failed"), ("ICBC-1", "")))
    bank_results.import_result(batch, bureau[1], answer.encode(), "a.csv")
    db.session.flush()
    assert ledger.violations() == []
    failed = rows[1].lines[0]
    db.session.execute(update(DisbursementLine).where(DisbursementLine.id == failed.id)
                       .values(status=LineStatus.INCLUDED, removed_reason=None))
    named(f"line {failed.id} is included but the bank answered failed")


def test_a_batch_marked_paid_without_its_postings_is_named(approved, bureau):
    """A paid batch paid every live line: its claims are disbursed, its co-pays paid out;
    a batch recorded as paid while none of its money moved is named, line by line."""
    from marketplace.claims.models import DisbursementBatch, LineKind
    from marketplace.core.timeutil import now_utc

    batch = disbursement.create_batch(bureau[1], [approved.id], [approved.order_id])
    db.session.flush()
    db.session.execute(update(DisbursementBatch).where(DisbursementBatch.id == batch.id)
                       .values(status="paid", paid_dt=now_utc(), paid_by_id=bureau[1].id,
                               treasury_reference="纸上"))
    db.session.execute(update(DisbursementLine).where(DisbursementLine.batch_id == batch.id)
                       .values(status=LineStatus.PAID))
    lines = {line.kind: line for line in disbursement.lines_of(batch)}
    assert lines[LineKind.COPAY].amount_fen > 0
    named(f"line {lines[LineKind.VOUCHER_PART].id} is paid but claim {approved.id} is "
          "approved")
    named(f"order {approved.order_id}'s paid co-pay lines make "
          f"{lines[LineKind.COPAY].amount_fen} fen but 0 fen of its co-pay was paid out")


def test_a_reservation_left_behind_by_a_rejected_claim_is_named(bureau):
    """A voucher's reserved money is what its contracts still wait to be paid for: a
    claim rejected (or an order cancelled) without its release keeps the voucher part
    out of the firm's reach and the programme's."""
    from tests.integration.claims.builders import claim_at_first_review

    claim = claim_at_first_review(bureau[0])
    db.session.flush()
    assert ledger.violations() == []
    db.session.execute(update(Claim).where(Claim.id == claim.id)
                       .values(status=ClaimStatus.REJECTED))
    named(f"contract {claim.contract_id} holds {claim.amount_fen} fen reserved on voucher "
          f"{claim.voucher_id} but waits for 0 fen")
