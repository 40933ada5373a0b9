"""A background job through the production path: the request's commit relays ``jobs.run``
to a real Celery worker process (``celery -A celery_worker worker``), whose outbox handler
hands the job to its own task (``core.run_job``), which writes the file."""
import csv
import io
import os

import pytest
from sqlalchemy import select, text

from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import UserFactory
from tests.integration.test_celery_worker import mail_server, wait_for, worker  # noqa: F401
from tests.integration.turnover.dashboard_builders import bulk_registrations

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


@pytest.fixture(scope="module", autouse=True)
def shared_upload_dir(app):
    """The worker writes result files where the app reads them (not the repository's
    instance folder)."""
    previous = os.environ.get("UPLOAD_DIR")
    os.environ["UPLOAD_DIR"] = app.config["UPLOAD_DIR"]
    yield
    if previous is None:
        os.environ.pop("UPLOAD_DIR", None)
    else:
        os.environ["UPLOAD_DIR"] = previous


def job_status(job_id):
    db.session.rollback()      # a fresh snapshot: the worker commits from another process
    return db.session.execute(select(BackgroundJob.status).where(
        BackgroundJob.id == job_id)).scalar_one()


def test_the_worker_runs_an_export_job_and_the_page_offers_its_file(worker, client):  # noqa: F811
    auditor = UserFactory(role=Role.AUDITOR, locale="en")
    bulk_registrations(3000, 2025)
    db.session.commit()
    outbox._committed_ids.set(None)
    login(client, auditor.email)
    response = client.post("/turnover/export/registry", data={"year": "2025",
                                                              "format": "csv"})
    assert response.status_code == 302
    job_id = int(response.location.rsplit("/", 1)[-1])
    wait_for(lambda: job_status(job_id) in (JobStatus.SUCCEEDED, JobStatus.FAILED),
             "finished job", worker, timeout=60)
    job = db.session.get(BackgroundJob, job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.done == job.total == 3000
    assert "core.run_job[" in worker.log()
    download = client.get(f"/jobs/{job_id}/download")
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert len(rows) - 1 == db.session.execute(text(
        "SELECT COUNT(*) FROM contract_registrations WHERE registered_year = 2025")
    ).scalar_one() == 3000
