"""The shared progress bar (templates/_progress.html) on the registry import's page: a
queued or running import shows the bar (without a total until the file is checked) that
jobs.js keeps current from the batch's JSON status (a refresh under <noscript>); a finished
one shows no bar."""
import io

from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.turnover.imports import importer
from marketplace.turnover.models import ImportStatus, RegistrationImportBatch
from tests.conftest import login
from tests.factories import UserFactory


def test_a_queued_import_shows_the_progress_bar_and_refreshes(client):
    auditor = UserFactory(role=Role.AUDITOR, locale="en")
    db.session.commit()
    batch = importer.queue_file(io.BytesIO(importer.example_csv().encode("utf-8")),
                               "big.csv", auditor)
    db.session.commit()
    outbox._committed_ids.set(None)        # no worker has taken it yet
    login(client, auditor.email)
    page = client.get(f"/contracts/imports/{batch.id}").get_data(as_text=True)
    assert 'role="progressbar"' in page and 'aria-busy="true"' in page
    assert "0 rows checked so far" in page
    assert f'data-job-status-url="/contracts/imports/{batch.id}.json"' in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    status = client.get(f"/contracts/imports/{batch.id}.json").get_json()
    assert status == {"id": batch.id, "status": "queued", "done": 0, "total": None,
                      "percent": None, "finished": False, "text": "0 rows checked so far"}

    found = db.session.get(RegistrationImportBatch, batch.id)
    found.status, found.rows_in_file, found.rows_processed = ImportStatus.RUNNING, 8000, 5000
    db.session.commit()
    page = client.get(f"/contracts/imports/{batch.id}").get_data(as_text=True)
    assert 'aria-valuenow="5000"' in page and 'aria-valuemax="8000"' in page
    assert "5,000 of 8,000 rows" in page and 'data-job-percent="62"' in page
    status = client.get(f"/contracts/imports/{batch.id}.json").get_json()
    assert (status["done"], status["total"], status["percent"], status["text"]) == \
        (5000, 8000, 62, "5,000 of 8,000 rows")

    found.status = ImportStatus.FAILED
    db.session.commit()
    page = client.get(f"/contracts/imports/{batch.id}").get_data(as_text=True)
    assert "progressbar" not in page and "http-equiv" not in page
    assert client.get(f"/contracts/imports/{batch.id}.json").get_json()["finished"] is True
