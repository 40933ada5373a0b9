"""Recording a disbursement batch as paid from its page runs as a background job: the
batch page shows the bar while it runs and refuses a second confirmation, the postings
are one transaction (posted once, all or nothing), and a failed attempt says why."""
import pytest
from sqlalchemy import func, select

from marketplace import funds
from marketplace.claims import disbursement
from marketplace.claims.models import BatchStatus, Claim, ClaimStatus, DisbursementBatch
from marketplace.core import jobs, ledger, outbox
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.core.ledger import LedgerTransaction
from marketplace.extensions import db
from tests.integration.claims.builders import (approved_claim, page_text, person, reload,
                                               signed_in)
from tests.integration.claims.test_claims_api import token_for
from tests.integration.test_api_base import PREFIX, assert_error


@pytest.fixture
def batch():
    auditor = person("auditor", name="Auditor Li")
    supervisor = person("supervisor", name="Supervisor Zhao")
    db.session.commit()
    claims = [approved_claim(auditor, supervisor) for _ in range(3)]
    found = disbursement.create_batch(supervisor, [c.id for c in claims])
    db.session.commit()
    outbox._committed_ids.set(None)
    return found


def supervisor_of(batch):
    from marketplace.accounts.models import User
    return db.session.get(User, batch.created_by_id)


def disbursements_posted():
    return db.session.execute(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == funds.kinds.DISBURSEMENT)).scalar_one()


def paid_form(reference, token):
    return {"treasury_reference": reference, "confirm": "y", "idempotency_token": token}


def test_the_payment_job_posts_once_and_refuses_a_second_confirmation(batch):
    supervisor = supervisor_of(batch)
    browser = signed_in(supervisor)
    job = disbursement.queue_mark_paid(batch, supervisor, "国库 2026-07")
    db.session.commit()
    outbox._committed_ids.set(None)     # the worker has not taken it yet

    page = page_text(browser.get(f"/disbursements/{batch.id}"))
    assert "payment being recorded" in page and "Record as paid" not in page
    assert 'role="progressbar"' in page and "Waiting for a worker" in page
    assert f'data-job-status-url="/jobs/{job.id}.json"' in page
    again = browser.post(f"/disbursements/{batch.id}/paid", data=paid_form("again", "t-1"))
    assert again.status_code == 409
    assert "The payment of this batch is being recorded right now" in page_text(again)
    assert_error(browser.post(f"{PREFIX}/disbursements/{batch.id}/paid",
                              json={"treasury_reference": "api"},
                              headers=token_for(supervisor, "k-1")),
                 409, "batch_payment_under_way")
    # another supervisor sees the bar too, refreshed by the page (the job is not theirs)
    other = person("supervisor")
    db.session.commit()
    page = page_text(signed_in(other).get(f"/disbursements/{batch.id}"))
    assert 'role="progressbar"' in page and "data-job-status-url" not in page
    assert '<meta http-equiv="refresh"' in page

    assert jobs.run(job.id) == JobStatus.SUCCEEDED
    assert jobs.run(job.id) is None      # delivered twice: run once
    job = db.session.get(BackgroundJob, job.id)
    db.session.refresh(job)
    assert (job.done, job.total) == (3, 3)
    paid = reload(DisbursementBatch, batch.id)
    assert paid.status == BatchStatus.PAID and paid.treasury_reference == "国库 2026-07"
    assert disbursements_posted() == 3
    assert all(c.status == ClaimStatus.DISBURSED for c in disbursement.claims_of(paid))
    again = browser.post(f"/disbursements/{batch.id}/paid", data=paid_form("again", "t-2"))
    assert again.status_code == 409
    assert "This batch is already recorded as paid." in page_text(again)
    assert disbursements_posted() == 3
    assert ledger.violations() == []


def test_the_page_records_the_payment_through_a_job(batch):
    supervisor = supervisor_of(batch)
    browser = signed_in(supervisor)
    response = browser.post(f"/disbursements/{batch.id}/paid",
                            data=paid_form("国库 2026-08", "t-1"))
    assert response.status_code == 302 and response.location == f"/disbursements/{batch.id}"
    job = db.session.execute(select(BackgroundJob)).scalar_one()
    assert (job.kind, job.subject_type, job.subject_id) == (
        disbursement.PAYMENT_JOB, "DisbursementBatch", batch.id)
    assert job.status == JobStatus.SUCCEEDED        # tasks run in-process in tests
    page = page_text(browser.get(response.location))
    assert "paid by the treasury" in page and "progressbar" not in page
    status = browser.get(f"/jobs/{job.id}.json").get_json()
    assert (status["status"], status["done"], status["total"]) == ("succeeded", 3, 3)
    job_page = page_text(browser.get(f"/jobs/{job.id}"))
    assert "3 of 3 lines" in job_page and f"Back to batch #{batch.id}" in job_page
    assert disbursements_posted() == 3


def test_a_failing_payment_posts_nothing_and_says_why(batch, monkeypatch):
    supervisor = supervisor_of(batch)
    browser = signed_in(supervisor)
    real_transfer = ledger.transfer
    calls = []

    def transfer_that_breaks(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_transfer(*args, **kwargs)

    monkeypatch.setattr(funds.voucher_parts.ledger, "transfer", transfer_that_breaks)
    response = browser.post(f"/disbursements/{batch.id}/paid",
                            data=paid_form("国库 2026-09", "t-1"))
    assert response.status_code == 302
    job = db.session.execute(select(BackgroundJob)).scalar_one()
    assert job.status == JobStatus.FAILED
    assert "nothing of it was saved" in job.error_message
    still = reload(DisbursementBatch, batch.id)
    assert still.status == BatchStatus.OPEN and still.treasury_reference is None
    assert disbursements_posted() == 0
    assert {c.status for c in disbursement.claims_of(still)} == {ClaimStatus.APPROVED}
    assert db.session.execute(select(func.count()).select_from(outbox.OutboxMessage).where(
        outbox.OutboxMessage.topic == "claims.disbursed")).scalar_one() == 0
    page = page_text(browser.get(f"/disbursements/{batch.id}"))
    assert "The last attempt to record the payment failed; nothing was posted." in page
    assert job.error_message in page and "Record as paid" in page

    monkeypatch.setattr(funds.voucher_parts.ledger, "transfer", real_transfer)
    response = browser.post(f"/disbursements/{batch.id}/paid",
                            data=paid_form("国库 2026-09", "t-2"))
    assert response.status_code == 302
    assert reload(DisbursementBatch, batch.id).status == BatchStatus.PAID
    assert disbursements_posted() == 3
    assert reload(Claim, disbursement.claims_of(still)[0].id).status == ClaimStatus.DISBURSED
    assert ledger.violations() == []
