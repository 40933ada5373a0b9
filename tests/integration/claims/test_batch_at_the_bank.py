"""Once a batch's payment file is exported, the bank pays what the file says. A co-pay
refunded or a claim voided afterwards must not change the batch under the bank's feet:
the bank's answer for the file's amounts is taken, and what the refund or the void asks
is settled when the bank answers (paid: the agency owes it back; not paid: it never
leaves). Before, the refund took the lines out of the exported batch, the bank paid the
old amounts, its result file was refused (the amounts differed) and nothing recorded
that the agency had been paid what the firm got back."""
import csv
import io
import json

import pytest
from sqlalchemy import select

from marketplace import funds
from marketplace.claims import bank_files, bank_results, batch_lines, disbursement
from marketplace.claims.models import (BatchStatus, Claim, ClaimStatus, DisbursementBatch,
                                       LineStatus)
from marketplace.core import ledger
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.funds import accounts
from marketplace.funds.models import RecoveryKind, RecoveryStatus
from tests.integration.claims.builders import signed_in
from tests.integration.funds.test_money_journey import (a_recovery_netted_into_the_next_batch,
                                                        balance, refunded_at_the_gateway)
from tests.integration.funds.world import World

pytestmark = pytest.mark.stripe


def sent(world, claims, orders):
    """A batch of the claims and co-pays whose bank file went out."""
    batch = world.batch(claims, orders)
    bank_files.export(batch, world.supervisor, "csv")
    db.session.commit()
    return db.session.get(DisbursementBatch, batch.id)


def bank_answer(batch, agency_id, status, amount_yuan):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["参考号", "状态", "金额", "银行流水号", "原因"])
    writer.writerow([f"B{batch.id}-A{agency_id}", status, amount_yuan,
                     "ICBC-9" if status == "成功" else "", "" if status == "成功" else "账户冻结"])
    return out.getvalue().encode("utf-8")


def answered(world, batch, status, amount_yuan):
    result, outcomes = bank_results.import_result(
        batch, world.supervisor, bank_answer(batch, world.agency_id, status, amount_yuan),
        "回单.csv")
    db.session.commit()
    db.session.expire_all()
    return result, outcomes


def one_claim_at_the_bank(stripe_server, refund_fen):
    """A 100,000 yuan contract (voucher part 50,000, co-pay 50,000) accepted, approved and
    sent to the bank in one batch, then ``refund_fen`` of its co-pay rebated."""
    world = World()
    order = world.paid(100_000_00)
    claim = world.approved(world.accepted(order))
    batch = sent(world, [claim], [order])
    assert batch.total_fen == 100_000_00 and batch.sent_total_fen == 100_000_00
    refunded_at_the_gateway(stripe_server, world.payment_of(order), refund_fen)
    db.session.expire_all()
    return world, order, db.session.get(Claim, claim.id), \
        db.session.get(DisbursementBatch, batch.id)


def test_a_refund_after_the_file_went_out_leaves_the_batch_as_the_bank_has_it(stripe_server):
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 50_000_00)
    assert (batch.total_fen, batch.line_count) == (100_000_00, 2)
    assert all(line.status == LineStatus.INCLUDED for line in disbursement.lines_of(batch))
    # the void waits for the bank: the claim is still in the batch, its money unmoved
    assert claim.status == ClaimStatus.APPROVED and claim.void_pending_reason
    assert claim.disbursement_batch_id == batch.id
    assert ledger.violations() == []
    # a second export is the same file
    rows = list(csv.reader(io.StringIO(bank_files.export(batch, world.supervisor, "csv")[0]
                                       .decode("gb18030"))))
    db.session.commit()
    assert rows[0][2] == "100000.00"


def test_the_bank_pays_the_files_amounts_and_the_agency_owes_back_what_the_firm_got(
        stripe_server):
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 50_000_00)
    result, outcomes = answered(world, batch, "成功", "100000.00")
    assert [o["outcome"] for o in outcomes] == ["applied"]
    batch = db.session.get(DisbursementBatch, batch.id)
    assert batch.status == BatchStatus.PAID and batch.total_fen == 100_000_00
    claim = db.session.get(Claim, claim.id)
    assert claim.status == ClaimStatus.VOIDED and claim.void_pending_reason is None
    owed = {r.kind: r.amount_fen for r in funds.recoveries.outstanding([world.agency_id])}
    assert owed == {RecoveryKind.VOUCHER_PART: 50_000_00, RecoveryKind.COPAY: 50_000_00}
    assert balance(accounts.agency_paid_code(world.agency_id)) == 0     # all of it owed back
    assert balance(accounts.agency_copay_payable_code(world.agency_id)) == 0
    assert ledger.violations() == []
    # the next payout nets both, and the books close
    second = world.paid(300_000_00)
    next_batch = world.batch([world.approved(world.accepted(second))], [second])
    assert next_batch.total_fen == 300_000_00 - 100_000_00
    disbursement.mark_paid(next_batch, world.supervisor, "国库 2026-9")
    db.session.commit()
    assert all(r.status == RecoveryStatus.COLLECTED
               for r in funds.recoveries.of_agency(world.agency_id))
    assert balance(accounts.ADVANCES_CODE) == 0
    assert balance(accounts.agency_paid_code(world.agency_id)) == 300_000_00
    assert ledger.violations() == []


def test_the_bank_not_paying_settles_the_refund_and_the_void_with_nothing_owed(
        stripe_server):
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 50_000_00)
    reserved_before = funds.figures.voucher_balances(world.voucher)
    answered(world, batch, "失败", "100000.00")
    batch = db.session.get(DisbursementBatch, batch.id)
    assert batch.status == BatchStatus.CANCELLED
    claim = db.session.get(Claim, claim.id)
    assert (claim.status, claim.disbursement_batch_id) == (ClaimStatus.VOIDED, None)
    assert funds.recoveries.outstanding([world.agency_id]) == []
    assert balance(accounts.agency_paid_code(world.agency_id)) == 0
    assert balance(accounts.agency_payable_code(world.agency_id)) == 0
    assert balance(accounts.agency_copay_payable_code(world.agency_id)) == 0
    # the voucher part went back to the voucher, nothing of the co-pay is payable again
    assert funds.figures.voucher_balances(world.voucher)["available_fen"] == \
        reserved_before["available_fen"] + 50_000_00
    assert disbursement.settleable_copays([order.id]) == []
    assert list(db.session.execute(disbursement.payable_claims()).scalars()) == []
    assert ledger.violations() == []


def test_a_part_refund_at_the_bank_is_owed_back_once_the_treasury_confirms(stripe_server):
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 20_000_00)
    disbursement.mark_paid(batch, world.supervisor, "国库 2026-10")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == ClaimStatus.VOIDED
    owed = {r.kind: r.amount_fen for r in funds.recoveries.outstanding([world.agency_id])}
    assert owed == {RecoveryKind.VOUCHER_PART: 50_000_00, RecoveryKind.COPAY: 20_000_00}
    assert balance(accounts.agency_paid_code(world.agency_id)) == 30_000_00
    assert ledger.violations() == []


def test_a_repayment_that_an_exported_batch_already_deducts_is_refused(stripe_server):
    world, next_batch = a_recovery_netted_into_the_next_batch(stripe_server, "国库 2026-1")
    bank_files.export(next_batch, world.supervisor, "xlsx")
    db.session.commit()
    recovery = funds.recoveries.outstanding([world.agency_id])[0]
    browser = signed_in(world.supervisor)
    response = browser.post(f"/disbursements/recoveries/{recovery.id}/repaid", data={
        "amount": "50000.00", "reference": "回单 1", "idempotency_token": "repaid-at-bank"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert f"#{next_batch.id}" in text and "50000.00" in text   # the form keeps the amount
    db.session.expire_all()
    assert funds.recoveries.lock(recovery.id).collected_fen == 0
    assert db.session.get(DisbursementBatch, next_batch.id).total_fen == 200_000_00
    disbursement.mark_paid(next_batch, world.supervisor, "国库 2026-2")
    db.session.commit()
    assert all(r.status == RecoveryStatus.COLLECTED
               for r in funds.recoveries.of_agency(world.agency_id))
    assert ledger.violations() == []


def test_the_books_catch_a_batch_changed_after_its_file_went_out(stripe_server):
    """The invariant for this defect: what the old code did (a line taken out after the
    export) is reported by `flask ledger verify`."""
    world = World()
    orders = [world.paid(100_000_00), world.paid(100_000_00)]
    claims = [world.approved(world.accepted(order)) for order in orders]
    batch = sent(world, claims, orders)
    assert ledger.violations() == []
    batch = batch_lines.lock_batch(batch.id)
    line = next(line for line in batch_lines.live_lines(batch.id) if line.claim_id)
    batch_lines.remove_line(line, "co-pay refunded after acceptance", quiet=True)
    batch_lines.refresh_totals(batch)
    db.session.flush()
    found = ledger.violations()
    db.session.rollback()
    assert any(f"batch {batch.id}" in problem and "bank file" in problem
               for problem in found), found


def test_the_first_export_marks_the_batch_sent_and_is_audited(stripe_server):
    world = World()
    order = world.paid(100_000_00)
    batch = sent(world, [world.approved(world.accepted(order))], [order])
    assert batch.sent_dt is not None and batch.sent_total_fen == batch.total_fen
    first_sent = batch.sent_dt
    disbursement.export(batch, world.supervisor, "csv")
    db.session.commit()
    assert db.session.get(DisbursementBatch, batch.id).sent_dt == first_sent
    exports = db.session.execute(select(AuditRecord.data).where(
        AuditRecord.object_type == "DisbursementBatch",
        AuditRecord.object_id == str(batch.id),
        AuditRecord.action == "export").order_by(AuditRecord.id)).scalars().all()
    assert [json.loads(data).get("sent") for data in exports] == [True, None]


def test_the_batch_page_says_the_file_is_out_and_what_waits_for_the_bank(stripe_server):
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 20_000_00)
    page = signed_in(world.supervisor).get(f"/disbursements/{batch.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="sent-note"' in text and "¥100,000.00" in text
    assert 'data-testid="void-pending"' in text
    assert 'data-testid="refunded-at-bank"' in text and "¥20,000.00" in text
    assert 'data-testid="send-warning"' not in text


def test_a_repayment_renets_the_batches_not_yet_sent_and_leaves_the_one_at_the_bank(
        stripe_server):
    """A recovery deducted partly by a batch at the bank and partly by a later batch not
    yet sent: a repayment of what the bank's batch does not deduct re-nets the later batch
    only. Before, the batch at the bank (the older one) lost its deduction too, as the
    later batch still planned the rest: its payee then had a transfer the bank's file
    never held, and the treasury's payment paid the agency what it owed back."""
    world = World()
    first = world.paid(100_000_00)
    claim = world.approved(world.accepted(first))
    disbursement.mark_paid(world.batch([claim], [first]), world.supervisor, "国库 1")
    db.session.commit()
    refunded_at_the_gateway(stripe_server, world.payment_of(first), 50_000_00)
    owed_before = funds.recoveries.outstanding_total(world.agency_id)
    assert owed_before == 100_000_00
    small = world.paid(40_000_00)
    world.accepted(small)
    at_bank = sent(world, [], [small])           # its co-pay (20,000) nets a recovery
    deducted = {line.recovery_id: line.amount_fen for line in disbursement.lines_of(at_bank)
                if line.recovery_id}
    assert sum(deducted.values()) == 20_000_00 and at_bank.sent_total_fen == 0
    (recovery_id, at_bank_fen), = deducted.items()
    big = world.paid(300_000_00)
    later = world.batch([world.approved(world.accepted(big))], [big])
    assert later.total_fen == 300_000_00 - (owed_before - 20_000_00)
    lines_before = [(line.id, line.status, line.amount_fen)
                    for line in disbursement.lines_of(at_bank)]
    recovery = funds.recoveries.lock(recovery_id)
    batch_lines.record_repayment(recovery_id, recovery.outstanding_fen - at_bank_fen,
                                 actor=world.supervisor, reference="回单 7")
    db.session.commit()
    db.session.expire_all()
    at_bank = db.session.get(DisbursementBatch, at_bank.id)
    assert [(line.id, line.status, line.amount_fen)
            for line in disbursement.lines_of(at_bank)] == lines_before
    assert at_bank.total_fen == at_bank.sent_total_fen == 0
    assert ledger.violations() == []
    # both batches paid: every recovery collected once, nothing owed, nothing left over
    disbursement.mark_paid(at_bank, world.supervisor, "国库 2")
    disbursement.mark_paid(db.session.get(DisbursementBatch, later.id), world.supervisor,
                           "国库 3")
    db.session.commit()
    assert funds.recoveries.outstanding([world.agency_id]) == []
    assert balance(accounts.agency_recoveries_code(world.agency_id)) == 0
    assert ledger.violations() == []


def test_the_batch_page_does_not_call_payable_again_what_the_bank_not_paying_settled(
        stripe_server):
    """The bank did not pay a row whose claim's void and whole co-pay refund waited for
    it: the claim is voided and nothing of the co-pay is left, so neither line is
    "payable again" (before, the page said so of both, and the supervisor looked for them
    among the payable claims and co-pays)."""
    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 50_000_00)
    answered(world, batch, "退汇", "100000.00")
    text = signed_in(world.supervisor).get(f"/disbursements/{batch.id}").get_data(
        as_text=True)
    assert text.count('data-state="returned"') == 2
    assert "payable again" not in text and "已重新变为待付" not in text   # in either language


def test_the_supervisors_are_told_what_changed_while_the_file_was_out(stripe_server):
    from marketplace.notifications.models import Notification

    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 20_000_00)
    told = db.session.execute(select(Notification).where(
        Notification.user_id == world.supervisor.id,
        Notification.kind == "payout_changed_at_bank")).scalars().all()
    changes = sorted(n.params_dict["change"] for n in told)
    assert changes == ["co-pay refunded after acceptance", "¥20,000.00"]
    assert all(n.link == f"/disbursements/{batch.id}" for n in told)


def test_the_claim_page_and_its_api_answer_show_the_void_waiting_for_the_bank(stripe_server):
    from marketplace.accounts.services import issue_api_token

    world, order, claim, batch = one_claim_at_the_bank(stripe_server, 50_000_00)
    page = signed_in(world.supervisor).get(f"/claims/{claim.id}")
    assert page.status_code == 200 and 'data-testid="void-pending"' in page.get_data(
        as_text=True)
    _token, plaintext = issue_api_token(world.supervisor, "test")
    db.session.commit()
    answer = signed_in(world.supervisor).get(
        f"/api/v1/claims/{claim.id}", headers={"Authorization": f"Bearer {plaintext}"})
    assert answer.status_code == 200
    assert answer.get_json()["void_pending_reason"] == "co-pay refunded after acceptance"


def test_the_books_catch_money_moved_between_payees_of_a_sent_batch(stripe_server):
    """The total alone would not see a line that changed payee after the file went out:
    the first export's audit record keeps what the file gave each payee."""
    first, second = World(), World()
    orders = [first.paid(100_000_00), second.paid(100_000_00)]
    claims = [first.approved(first.accepted(orders[0])),
              second.approved(second.accepted(orders[1]))]
    batch = sent(first, claims, orders)
    assert ledger.violations() == []
    line = next(line for line in batch_lines.live_lines(batch.id)
                if line.agency_id == first.agency_id and line.claim_id)
    line.agency_id = second.agency_id          # as a tampered row would
    db.session.flush()
    found = ledger.violations()
    db.session.rollback()
    assert any(f"batch {batch.id}'s bank file gave its payees" in problem
               for problem in found), found
    assert not any("bank file said" in problem for problem in found)   # the total held
