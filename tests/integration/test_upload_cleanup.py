"""A stored file whose row never commits is deleted with the transaction that stored it:
a service logged with two attachments, the second refused, left the first on disk, named
by nothing."""
import io
from datetime import date
from pathlib import Path

import pytest

from marketplace.core import storage
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.integration.commissioners.builders import log, paired, recognised

PDF = b"%PDF-1.4 minutes of the visit"


def files_on_disk(app):
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file() and "incoming" not in p.parts)


def stored_path(name="a.pdf"):
    return storage.path_of(storage.store(io.BytesIO(PDF), name)["storage_name"])


def test_the_first_attachment_goes_when_the_second_is_refused(app, auditor):
    commissioner = recognised(auditor=auditor)
    pairing = paired(commissioner, FirmMemberFactory())
    db.session.commit()
    before = files_on_disk(app)
    with pytest.raises(ValidationFailed):
        log(commissioner, pairing, date.today(),
            files=[(io.BytesIO(PDF), "纪要.pdf"), (io.BytesIO(b"MZ\x90\x00"), "setup.exe")])
    db.session.rollback()
    assert files_on_disk(app) == before


def test_a_file_whose_row_commits_stays(app, auditor):
    commissioner = recognised(auditor=auditor)
    pairing = paired(commissioner, FirmMemberFactory())
    service = log(commissioner, pairing, date.today(), files=[(io.BytesIO(PDF), "纪要.pdf")])
    db.session.commit()
    [attachment] = service.attachments
    assert storage.path_of(attachment.storage_name).is_file()
    db.session.rollback()   # a later transaction's rollback leaves it alone
    assert storage.path_of(attachment.storage_name).is_file()


def test_a_savepoint_rolled_back_takes_its_files_and_only_those(app):
    db.session.begin()
    kept = stored_path("kept.pdf")
    released = db.session.begin_nested()
    handed_up = stored_path("handed-up.pdf")
    released.commit()
    rolled_back = db.session.begin_nested()
    dropped = stored_path("dropped.pdf")
    rolled_back.rollback()
    assert not dropped.exists()
    assert kept.is_file() and handed_up.is_file()
    db.session.commit()
    assert kept.is_file() and handed_up.is_file()


def test_an_outer_rollback_takes_the_files_of_savepoints_released_within_it(app):
    db.session.begin()
    inner = db.session.begin_nested()
    path = stored_path()
    inner.commit()
    db.session.rollback()
    assert not path.exists()


def test_a_session_closed_without_a_commit_takes_its_files(app):
    db.session.begin()
    path = stored_path()
    db.session.close()
    assert not path.exists()
