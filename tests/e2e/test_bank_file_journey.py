"""Journey: the demo supervisor downloads a batch's bank batch-payment file (GB18030, one
row per payee, a control line of count and total), and reads the bank's answer back with
one failed line; the batch page shows each line's state, and the failed claim is payable
again for the next batch.

The two approved claims (two agencies) are built through the services; the browser does
what the supervisor does with the bank."""
import csv
import io

import pytest
from playwright.sync_api import expect

from marketplace.accounts.services import find_user_by_email
from marketplace.claims import disbursement
from marketplace.claims.models import BatchStatus, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from tests.e2e.steps import LANGUAGES, sign_in
from tests.integration.claims.builders import approved_claim

pytestmark = pytest.mark.e2e

AUDITOR_EMAIL = "auditor@demo.local"
SUPERVISOR_EMAIL = "supervisor@demo.local"
BANK_REASON = "收款账号已销户"


@pytest.fixture
def open_batch(demo_data):
    auditor, supervisor = (find_user_by_email(AUDITOR_EMAIL),
                           find_user_by_email(SUPERVISOR_EMAIL))
    claims = [approved_claim(auditor, supervisor, amount_fen=amount)
              for amount in (100_000_00, 60_000_00)]
    batch = disbursement.create_batch(supervisor, [c.id for c in claims])
    db.session.commit()
    return batch.id, [c.id for c in claims]


@LANGUAGES
def test_a_supervisor_sends_a_bank_file_and_reads_back_one_failed_line(
        page, live_server, lang, open_batch, csrf_on, confirm_dialogs, page_problems,
        screenshot):
    t = lang
    batch_id, (paid_id, failed_id) = open_batch
    sign_in(page, live_server, SUPERVISOR_EMAIL, lang=t)
    page.goto(live_server + f"/disbursements/{batch_id}")
    expect(page.get_by_test_id("batch-status")).to_have_text(t("awaiting the treasury"))

    with page.expect_download() as download_info:
        page.get_by_test_id("bank-csv").click()
    download = download_info.value
    assert download.suggested_filename == f"bank-batch-{batch_id}.csv"
    with open(download.path(), "rb") as exported:
        rows = list(csv.reader(io.StringIO(exported.read().decode("gb18030"))))
    assert rows[0] == ["汇总", "2", "80000.00", f"HC-B{batch_id}"]
    payees = rows[2:]
    assert [row[5] for row in payees] == ["50000.00", "30000.00"]
    assert all(len(row[4]) == 12 and row[3] for row in payees)   # 联行号, 开户行

    # the bank paid the first payee and not the second
    answer = io.StringIO()
    writer = csv.writer(answer)
    writer.writerow(["参考号", "状态", "金额", "银行流水号", "原因"])
    writer.writerow([payees[0][6].split()[0], "成功", payees[0][5], "ICBC20261207001", ""])
    writer.writerow([payees[1][6].split()[0], "失败", payees[1][5], "", BANK_REASON])
    page.get_by_label(t("The bank's result file")).set_input_files(files=[{
        "name": "回单.csv", "mimeType": "text/csv",
        "buffer": answer.getvalue().encode("gb18030")}])
    page.get_by_label(t("I confirm that this is the bank's answer for this batch: paid lines "
                        "are posted as paid, the others become payable again.")).check()
    screenshot(f"bank-result-{t}")
    page.get_by_role("button", name=t("Apply the bank's answer")).click()

    expect(page.get_by_test_id("batch-status")).to_have_text(t("paid by the treasury"))
    states = page.get_by_test_id("line-state")
    expect(states).to_have_count(2)
    expect(page.locator('[data-testid="line-state"][data-state="paid"]')).to_contain_text(
        t("bank reference %(reference)s", reference="ICBC20261207001"))
    failed = page.locator('[data-testid="line-state"][data-state="failed"]')
    expect(failed).to_contain_text(t("failed at the bank"))
    expect(failed).to_contain_text(BANK_REASON)
    expect(page.get_by_test_id("bank-results")).to_contain_text("回单.csv")
    screenshot(f"bank-result-applied-{t}")

    # the failed claim waits for the next batch
    page.goto(live_server + "/disbursements")
    expect(page.get_by_label(t("Claim #%(id)s", id=failed_id), exact=True)).to_be_visible()

    db.session.expire_all()
    batch = db.session.get(DisbursementBatch, batch_id)
    assert batch.status == BatchStatus.PAID and batch.total_fen == 50_000_00
    claims = {c.id: c.status for c in disbursement.claims_of(batch)}
    assert claims == {paid_id: ClaimStatus.DISBURSED}
    assert ledger.violations() == []
    assert len(confirm_dialogs) == 1
    page_problems.assert_none()
