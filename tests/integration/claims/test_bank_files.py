"""The bank batch-payment file of a disbursement batch (GB18030 CSV and XLSX, one row per
payee after netting, a control line of count and total) and the bank's result file read
back: paid lines posted, failed and returned ones payable again, the same file twice
changing nothing, a wrong file refused whole."""
import csv
import io

import pytest
from sqlalchemy import select

from marketplace import funds
from marketplace.claims import bank_files, bank_results, disbursement
from marketplace.claims.models import (BankOutcome, BankResult, BatchStatus, Claim,
                                       ClaimStatus, DisbursementBatch, LineKind, LineStatus)
from marketplace.core import ledger
from marketplace.core.audit import AuditRecord
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from tests.integration.funds.test_money_journey import a_recovery_netted_into_the_next_batch
from tests.integration.funds.world import World
from tests.support.identity import change_facts


def bank_csv(content):
    """The rows of a bank CSV as text (it must decode as GB18030)."""
    return list(csv.reader(io.StringIO(content.decode("gb18030"))))


def result_file(rows, encoding="utf-8", control=True):
    out = io.StringIO()
    writer = csv.writer(out)
    if control:
        writer.writerow(["汇总", len(rows)])
    writer.writerow(["参考号", "状态", "金额", "银行流水号", "原因"])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def two_payee_batch():
    """Agency A: a claim and its co-pay; agency B: a claim and its co-pay."""
    first, second = World(), World()
    orders = [first.paid(100_000_00), second.paid(60_000_00)]
    claims = [first.approved(first.accepted(orders[0])),
              second.approved(second.accepted(orders[1]))]
    batch = disbursement.create_batch(first.supervisor, [c.id for c in claims],
                                      [o.id for o in orders])
    db.session.commit()
    return first, second, batch, claims, orders


# --- the bank file ----------------------------------------------------------------------------

def test_the_bank_csv_is_gb18030_with_a_control_line_and_one_row_per_payee(stripe_server):
    first, second, batch, claims, orders = two_payee_batch()
    content, mimetype = bank_files.export(batch, first.supervisor, "csv")
    db.session.commit()
    assert "GB18030" in mimetype
    rows = bank_csv(content)
    assert rows[0] == ["汇总", "2", "160000.00", f"HC-B{batch.id}"]
    assert rows[1] == list(bank_files.COLUMNS)
    payees = {row[6].split()[0]: row for row in rows[2:]}
    row_a = payees[f"B{batch.id}-A{first.agency_id}"]
    agency = first.offering.agency.organisation
    assert row_a[:6] == ["1", agency.current_version.bank_account, agency.name,
                         "中国工商银行南昌分行", "102421000011", "100000.00"]
    assert f"CLAIM-{claims[0].id}" in row_a[6] and f"COPAY-{orders[0].id}" in row_a[6]
    assert payees[f"B{batch.id}-A{second.agency_id}"][5] == "60000.00"
    assert sum(int(row[5].replace(".", "")) for row in rows[2:]) == batch.total_fen
    assert db.session.get(DisbursementBatch, batch.id).export_count == 1


def test_the_xlsx_holds_the_same_table(stripe_server):
    from openpyxl import load_workbook

    first, _second, batch, _claims, _orders = two_payee_batch()
    content, _mimetype = bank_files.export(batch, first.supervisor, "xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][:3] == ["汇总", "2", "160000.00"]
    assert cells[1] == list(bank_files.COLUMNS)
    # the account stays text: a bank reads every digit, never 6.2E+18
    assert all(isinstance(row[1], str) and row[1].isdigit() for row in cells[2:])
    db.session.rollback()


def test_a_recovery_is_netted_into_the_payees_one_row(stripe_server):
    world, batch = a_recovery_netted_into_the_next_batch(stripe_server)
    kinds = sorted(line.kind.value for line in disbursement.lines_of(batch))
    assert kinds == ["copay", "recovery", "recovery", "voucher_part"]
    rows = bank_csv(bank_files.export(batch, world.supervisor, "csv")[0])
    assert len(rows) == 3                                   # control, titles, one payee
    assert rows[2][5] == "200000.00" == rows[0][2]          # 150k + 150k − 100k owed
    assert rows[2][6].count("RECOVERY-") == 2
    db.session.commit()


def test_a_payee_without_bank_name_or_cnaps_code_refuses_the_file_naming_it(
        stripe_server):
    first, second, batch, _claims, _orders = two_payee_batch()
    lacking = second.offering.agency.organisation
    change_facts(lacking, bank_name=None, bank_cnaps_code=None, bank_account=None)
    db.session.commit()
    with pytest.raises(bank_files.PayeeBankDetailsMissing) as refused:
        bank_files.export(batch, first.supervisor, "csv")
    assert refused.value.details["payees"] == [{
        "agency_id": lacking.id, "payee": lacking.name,
        "missing": ["bank_account", "bank_name", "bank_cnaps_code"]}]
    db.session.rollback()
    assert db.session.get(DisbursementBatch, batch.id).export_count == 0


# --- the bank's answer --------------------------------------------------------------------------

def answer(batch, first, second, *, second_status="failed"):
    return result_file([
        [f"B{batch.id}-A{first.agency_id}", "成功", "100000.00", "ICBC-0001", ""],
        [f"B{batch.id}-A{second.agency_id}", second_status, "60000.00", "",
         "账户已销户"]], encoding="gb18030")


def test_a_failed_line_goes_back_to_payable_and_the_paid_one_is_posted(stripe_server):
    first, second, batch, claims, orders = two_payee_batch()
    result, outcomes = bank_results.import_result(batch, first.supervisor,
                                                  answer(batch, first, second), "回单.csv")
    db.session.commit()
    assert [o["outcome"] for o in outcomes] == ["applied", "applied"]
    assert (result.paid_count, result.failed_count) == (1, 1)
    batch = db.session.get(DisbursementBatch, batch.id)
    assert batch.status == BatchStatus.PAID and batch.total_fen == 100_000_00
    paid, failed = claims
    assert db.session.get(Claim, paid.id).status == ClaimStatus.DISBURSED
    failed = db.session.get(Claim, failed.id)
    assert (failed.status, failed.disbursement_batch_id) == (ClaimStatus.APPROVED, None)
    lines = {line.agency_id: line for line in disbursement.lines_of(batch)
             if line.kind == LineKind.VOUCHER_PART}
    assert lines[second.agency_id].status == LineStatus.REMOVED
    assert (lines[second.agency_id].bank_outcome, lines[second.agency_id].bank_reason) == (
        BankOutcome.FAILED, "账户已销户")
    assert lines[first.agency_id].bank_reference == "ICBC-0001"
    # the failed claim and co-pay are payable again: a next batch takes them
    assert failed.id in [c.id for c in db.session.execute(
        disbursement.payable_claims()).scalars()]
    assert orders[1].id in [o.id for o, _fen in disbursement.settleable_copays()]
    figures = funds.figures.agency_figures(second.agency_id)
    assert (figures["payable_fen"], figures["copay_payable_fen"]) == (30_000_00, 30_000_00)
    assert ledger.violations() == []
    # the supervisors are told once, with the payee and the bank's reason
    told = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.topic == "claims.bank_not_paid")).scalars().all()
    assert len(told) == 1
    assert db.session.execute(select(AuditRecord).where(
        AuditRecord.action == "bank_result")).scalar_one().data_dict["rows"] == {f"B{batch.id}-A{first.agency_id}": "paid",
                                    f"B{batch.id}-A{second.agency_id}": "failed"}
    again = disbursement.create_batch(first.supervisor, [failed.id], [orders[1].id])
    db.session.commit()
    assert again.total_fen == 60_000_00


def test_the_same_file_twice_changes_nothing(stripe_server):
    first, second, batch, _claims, _orders = two_payee_batch()
    content = answer(batch, first, second)
    bank_results.import_result(batch, first.supervisor, content, "回单.csv")
    db.session.commit()
    postings = db.session.execute(select(db.func.count()).select_from(
        ledger.LedgerTransaction)).scalar_one()
    result, outcomes = bank_results.import_result(batch, first.supervisor, content, "回单.csv")
    db.session.commit()
    assert result is None and {o["outcome"] for o in outcomes} == {"unchanged"}
    # the same answer in another file (UTF-8, no control line) is unchanged line by line
    same = result_file([[f"B{batch.id}-A{first.agency_id}", "paid", "", "ICBC-0001", ""]],
                       control=False)
    result, outcomes = bank_results.import_result(batch, first.supervisor, same, "b.csv")
    assert result is None and outcomes[0]["outcome"] == "unchanged"
    assert db.session.execute(select(db.func.count()).select_from(
        ledger.LedgerTransaction)).scalar_one() == postings
    assert db.session.execute(select(db.func.count()).select_from(BankResult)
                              ).scalar_one() == 1
    # a file contradicting what is recorded is refused
    with pytest.raises(bank_results.BankResultRefused) as refused:
        bank_results.import_result(batch, first.supervisor, result_file(
            [[f"B{batch.id}-A{first.agency_id}", "returned", "", "", "退汇"]]), "c.csv")
    assert refused.value.details["errors"][0]["code"] == "recorded"
    db.session.rollback()


def test_unknown_references_and_wrong_amounts_are_refused_line_by_line_and_nothing_applied(
        stripe_server):
    first, second, batch, claims, _orders = two_payee_batch()
    content = result_file([
        [f"B{batch.id}-A{first.agency_id}", "paid", "99999.99", "ICBC-1", ""],
        [f"B{batch.id}-A999999", "paid", "1.00", "ICBC-2", ""],
        [f"B{batch.id}-A{second.agency_id}", "maybe", "60000.00", "", ""],
        [f"B{batch.id}-A{second.agency_id}", "paid", "", "", ""]])
    with pytest.raises(bank_results.BankResultRefused) as refused:
        bank_results.import_result(batch, first.supervisor, content, "bad.csv")
    errors = [(e["row"], e["code"]) for e in refused.value.details["errors"]]
    assert errors == [(3, "amount_differs"), (4, "unknown"), (5, "status"),
                      (6, "duplicate"), (6, "bank_reference")]
    db.session.rollback()
    assert db.session.get(DisbursementBatch, batch.id).status == BatchStatus.OPEN
    assert db.session.get(Claim, claims[0].id).status == ClaimStatus.APPROVED
    assert db.session.execute(select(BankResult)).first() is None


def test_a_file_answering_only_part_of_the_batch_is_refused(stripe_server):
    first, second, batch, _claims, _orders = two_payee_batch()
    partial = result_file([[f"B{batch.id}-A{first.agency_id}", "paid", "", "ICBC-1", ""]])
    with pytest.raises(bank_results.BankResultRefused) as refused:
        bank_results.import_result(batch, first.supervisor, partial, "part.csv")
    assert [e["code"] for e in refused.value.details["errors"]] == ["unanswered"]
    with pytest.raises(bank_results.BankResultRefused) as refused:
        bank_results.import_result(batch, first.supervisor, b"\x00\xff garbage", "x.csv")
    assert refused.value.details["errors"][0]["code"] == "unreadable"
    with pytest.raises(bank_results.BankResultRefused) as refused:
        bank_results.import_result(batch, first.supervisor, "编号,结果\n1,成功\n".encode(
            "gb18030"), "y.csv")
    assert refused.value.details["errors"][0]["code"] == "header"
    db.session.rollback()


def test_every_payee_returned_cancels_the_batch_and_an_xlsx_answer_reads(stripe_server):
    from openpyxl import Workbook

    first, second, batch, claims, _orders = two_payee_batch()
    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "status", "amount", "bank_reference", "reason"])
    for world, amount in ((first, "100000.00"), (second, "60000.00")):
        sheet.append([f"B{batch.id}-A{world.agency_id}", "退汇", amount, "R-1", "户名不符"])
    out = io.BytesIO()
    book.save(out)
    result, _outcomes = bank_results.import_result(batch, first.supervisor, out.getvalue(),
                                                   "answer.xlsx")
    db.session.commit()
    assert result.failed_count == 2
    batch = db.session.get(DisbursementBatch, batch.id)
    assert (batch.status, batch.total_fen, batch.line_count) == (BatchStatus.CANCELLED, 0, 0)
    assert all(db.session.get(Claim, c.id).status == ClaimStatus.APPROVED for c in claims)
    assert ledger.violations() == []
