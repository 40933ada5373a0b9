"""The bank file and the bank's answer through the batch page and the API: a supervisor
downloads the file, uploads the answer with a confirmation, sees each line's state; a
payee without bank details is named; the API answers each line's outcome."""
import io

from marketplace.claims import disbursement
from marketplace.claims.models import BatchStatus, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from tests.integration.claims.builders import (approved_claim, page_text, person, reload,
                                               signed_in)
from tests.integration.claims.test_bank_files import bank_csv, result_file
from tests.integration.claims.test_claims_api import token_for
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.identity import change_facts


def _batch_of_two():
    auditor, supervisor = person("auditor"), person("supervisor")
    db.session.commit()
    claims = [approved_claim(auditor, supervisor), approved_claim(auditor, supervisor)]
    batch = disbursement.create_batch(supervisor, [c.id for c in claims])
    db.session.commit()
    return supervisor, batch, claims


def _reference(batch, claim):
    return f"B{batch.id}-A{claim.agency_id}"


def test_a_supervisor_downloads_the_bank_file_and_applies_the_answer(client):
    supervisor, batch, (paid, failed) = _batch_of_two()
    browser = signed_in(supervisor)
    shown = page_text(browser.get(f"/disbursements/{batch.id}"))
    assert "Bank batch-payment file" in shown and "Read back the bank's answer" in shown
    download = browser.get(f"/disbursements/{batch.id}/bank.csv")
    assert download.status_code == 200 and "bank-batch" in download.headers[
        "Content-Disposition"]
    assert bank_csv(download.data)[0][:3] == ["汇总", "2", "100000.00"]
    assert browser.get(f"/disbursements/{batch.id}/bank.xlsx").data[:2] == b"PK"

    answer = result_file([[_reference(batch, paid), "paid", "50000.00", "ICBC-9", ""],
                          [_reference(batch, failed), "failed", "50000.00", "",
                           "户名与账号不符"]], encoding="gb18030")
    # without the confirmation nothing happens and the form says why
    response = browser.post(f"/disbursements/{batch.id}/bank-result", data={
        "result_file": (io.BytesIO(answer), "回单.csv"), "idempotency_token": "r-1"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Tick the box to confirm this step." in page_text(response)
    assert reload(DisbursementBatch, batch.id).status == BatchStatus.OPEN
    response = browser.post(f"/disbursements/{batch.id}/bank-result", data={
        "result_file": (io.BytesIO(answer), "回单.csv"), "confirm_result": "y",
        "idempotency_token": "r-2"}, content_type="multipart/form-data")
    assert response.status_code == 302
    shown = page_text(browser.get(f"/disbursements/{batch.id}"))
    assert "failed at the bank" in shown and "户名与账号不符" in shown
    assert "bank reference ICBC-9" in shown and "paid by the treasury" in shown
    assert "1 paid, 1 not paid" in shown
    assert reload(type(failed), failed.id).status == ClaimStatus.APPROVED
    # the same file again: told that nothing changed
    response = browser.post(f"/disbursements/{batch.id}/bank-result", data={
        "result_file": (io.BytesIO(answer), "回单.csv"), "confirm_result": "y",
        "idempotency_token": "r-3"}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert ledger.violations() == []


def test_a_wrong_answer_is_listed_line_by_line_and_nothing_applied(client):
    supervisor, batch, (first, second) = _batch_of_two()
    browser = signed_in(supervisor)
    wrong = result_file([[_reference(batch, first), "paid", "1.00", "ICBC-1", ""],
                         ["B1-A999999", "paid", "", "ICBC-2", ""]])
    response = browser.post(f"/disbursements/{batch.id}/bank-result", data={
        "result_file": (io.BytesIO(wrong), "wrong.csv"), "confirm_result": "y",
        "idempotency_token": "w-1"}, content_type="multipart/form-data")
    assert response.status_code == 422
    shown = page_text(response)
    assert "nothing was applied" in shown
    assert "line 3: The amount 1.00 is not the row's 50000.00." in shown
    assert "line 4: B1-A999999 is not a payee row of this batch's bank file." in shown
    assert reload(DisbursementBatch, batch.id).status == BatchStatus.OPEN


def test_the_page_names_the_payee_without_a_cnaps_code(client):
    supervisor, batch, (first, _second) = _batch_of_two()
    change_facts(first.order.agency.organisation, bank_name=None, bank_cnaps_code=None,
                 bank_account=None)
    db.session.commit()
    browser = signed_in(supervisor)
    response = browser.get(f"/disbursements/{batch.id}/bank.csv")
    assert response.status_code == 409
    shown = page_text(response)
    assert "these payees lack bank details" in shown
    assert f"{first.order.agency.organisation.name}: bank account, bank name (开户行), a 12-digit CNAPS " \
           "code (联行号)" in shown
    assert reload(DisbursementBatch, batch.id).export_count == 0


def test_the_api_takes_the_answer_as_a_file_or_as_json_and_lists_each_outcome(client):
    supervisor, batch, (paid, returned) = _batch_of_two()
    url = f"{PREFIX}/disbursements/{batch.id}/bank-result"
    headers = token_for(supervisor)
    # refused whole: a paid line needs the bank's reference
    assert_error(client.post(url, json={"lines": [
        {"reference": _reference(batch, paid), "status": "paid"},
        {"reference": _reference(batch, returned), "status": "returned"}]},
        headers=headers), 422, "bank_result_refused")
    lines = [{"reference": _reference(batch, paid), "status": "paid", "amount_fen": 50_000_00,
              "bank_reference": "ICBC-7"},
             {"reference": _reference(batch, returned), "status": "returned",
              "reason": "退汇"}]
    body = client.post(url, json={"lines": lines}, headers=headers).get_json()
    assert body["applied"] is True
    assert [(o["reference"], o["outcome"]) for o in body["outcomes"]] == [
        (_reference(batch, paid), "applied"), (_reference(batch, returned), "applied")]
    assert body["batch"]["status"] == "paid" and body["batch"]["total_fen"] == 50_000_00
    states = {line["claim_id"]: (line["status"], line["bank_outcome"])
              for line in body["batch"]["lines"]}
    assert states == {paid.id: ("paid", "paid"), returned.id: ("removed", "returned")}
    # the same lines again, now as a file: unchanged
    again = client.post(url, data={"file": (io.BytesIO(result_file(
        [[_reference(batch, paid), "paid", "", "ICBC-7", ""]])), "again.csv")},
        headers=headers, content_type="multipart/form-data").get_json()
    assert again["applied"] is False and again["outcomes"][0]["outcome"] == "unchanged"
    assert_error(client.post(url, data={}, headers=headers,
                             content_type="multipart/form-data"), 422, "validation_error")
    assert_error(client.post(url, json={"lines": lines},
                             headers=token_for(person("auditor"))), 403, "forbidden")
    assert ledger.violations() == []
