"""Importing the registration system's exports: all rows or none, a report naming each bad
row, column and reason, re-imports that add nothing, CSV in UTF-8 (with or without BOM) or
GB18030, XLSX with English headers, the page (inline and through a worker) and the CLI."""
import io
import json

from sqlalchemy import func, select

from marketplace.core.spreadsheets import ImportReport
from marketplace.extensions import db
from marketplace.turnover.imports import importer
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import (ContractRegistration, ImportStatus,
                                         RegistrationImportBatch, RegistrationSource,
                                         RegistrationStatus)
from tests.integration.turnover.registry_builders import (HEADER_EN, csv_bytes, good_rows,
                                                          person, quiet, settle, signed_in,
                                                          xlsx_bytes)


def registered_count():
    return db.session.scalar(select(func.count(ContractRegistration.id)))


def test_one_bad_row_in_ten_thousand_imports_nothing_then_the_fixed_file_imports_once():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(10_000))
    rows[6_789][3] = str(int(float(rows[6_789][2])) + 5)   # technical above contract
    result = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    assert isinstance(result, ImportReport)
    assert result.rows_in_file == 10_000 and result.bad_rows == 1
    assert result.problems == [(6_791, "technical_amount", "technical_over")]  # header = 1
    assert result.lines()[0][:2] == (6_791, "技术交易额")
    db.session.rollback()
    assert registered_count() == 0

    rows[6_789][3] = "1000"
    batch = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    db.session.commit()
    assert batch.rows_added == 10_000 and batch.rows_already_registered == 0
    assert registered_count() == 10_000
    one = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_number == "IMP000001")).scalar_one()
    assert (one.contract_amount_fen, one.technical_amount_fen) == (1_000_750, 900_700)
    assert one.source == RegistrationSource.IMPORT
    assert one.status == RegistrationStatus.CONFIRMED and one.import_batch_id == batch.id
    assert one.seller_in_city and one.seller_district.name_zh == "红谷滩区"
    outside = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_number == "IMP000003")).scalar_one()
    assert not outside.seller_in_city and outside.seller_district_id is None
    assert db.session.scalar(select(func.count()).where(
        ContractRegistration.voucher_funded.is_(True))) == 1_000

    again = import_file(io.BytesIO(csv_bytes(rows)), "export-again.csv", auditor)
    db.session.commit()
    assert (again.rows_added, again.rows_already_registered) == (0, 10_000)
    assert registered_count() == 10_000


def test_every_bad_cell_is_named_with_its_row_column_and_reason():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(6))
    rows[0][1] = "技术合作"           # row 2: unknown type
    rows[1][2] = "12.345"             # row 3: three decimals
    rows[2][6] = "北京市"             # row 4: not a district
    rows[3][8] = "2099-01-01"         # row 5: signed in the future
    rows[4][0] = rows[5][0]           # rows 6 and 7 share a number
    report = import_file(io.BytesIO(csv_bytes(rows)), "bad.csv", auditor)
    assert sorted(report.problems) == [
        (2, "contract_type", "type"), (3, "contract_amount", "amount"),
        (4, "seller_district", "district"), (5, "signed_on", "future"),
        (7, "contract_number", ("duplicate", 6))]
    assert report.bad_rows == 5
    missing = import_file(io.BytesIO(b"contract_number,buyer\nX,Y\n"), "short.csv", auditor)
    assert {column for _row, column, _reason in missing.problems} >= {
        "contract_type", "contract_amount", "seller", "registered_on"}


def test_xlsx_with_english_headers_and_gb18030_and_bom_csv_all_import():
    auditor = person("auditor")
    quiet()
    xlsx = [list(r) for r in good_rows(3, prefix="X")]
    xlsx[0][2] = 12345.5                                # a number cell
    batch = import_file(io.BytesIO(xlsx_bytes(xlsx)), "export.xlsx", auditor)
    assert batch.rows_added == 3
    assert db.session.execute(select(ContractRegistration.contract_amount_fen).where(
        ContractRegistration.contract_number == "X000001")).scalar_one() == 1_234_550
    gb = import_file(io.BytesIO(csv_bytes(good_rows(2, prefix="G"), encoding="gb18030")),
                     "gb.csv", auditor)
    bom = import_file(io.BytesIO(csv_bytes(good_rows(2, prefix="B"), header=HEADER_EN,
                                           bom=True)), "bom.csv", auditor)
    db.session.commit()
    assert (gb.rows_added, bom.rows_added) == (2, 2)
    assert db.session.execute(select(ContractRegistration.buyer_name).where(
        ContractRegistration.contract_number == "G000001")).scalar_one() == "南昌买方1有限公司"


def test_a_damaged_xlsx_is_refused_as_unreadable_and_imports_nothing():
    auditor = person("auditor")
    quiet()
    whole = xlsx_bytes(good_rows(3, prefix="D"))
    for data in (b"a text file named .xlsx", whole[:len(whole) // 2]):
        report = import_file(io.BytesIO(data), "export.xlsx", auditor)
        assert isinstance(report, ImportReport)
        assert (report.bad_rows, report.problems) == (1, [(1, "file", "unreadable")])
    db.session.rollback()
    assert registered_count() == 0


def test_the_page_imports_a_small_file_inline_and_shows_a_refused_files_report(app):
    auditor = person("auditor")
    quiet()
    browser = signed_in(auditor)
    rows = list(good_rows(5, prefix="P"))
    rows[2][9] = "not a date"
    refused = browser.post("/contracts/imports", data={
        "file": (io.BytesIO(csv_bytes(rows)), "mine.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "mine.csv" in page and 'data-row="4"' in page
    assert registered_count() == 0
    rows[2][9] = rows[1][9]
    done = browser.post("/contracts/imports", data={
        "file": (io.BytesIO(csv_bytes(rows)), "mine.csv")},
        content_type="multipart/form-data")
    assert done.status_code == 302
    assert registered_count() == 5
    template = browser.get("/contracts/imports/template.csv")
    assert template.data.startswith(b"\xef\xbb\xbf")
    header = template.data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("合同编号,合同类型,成交额")
    example = import_file(io.BytesIO(template.data), "template.csv", auditor)
    assert example.rows_added == 1      # the template's own example row is valid
    damaged = browser.post("/contracts/imports", data={
        "file": (io.BytesIO(b"PK\x03\x04 not really a workbook"), "damaged.xlsx")},
        content_type="multipart/form-data")
    assert damaged.status_code == 422 and 'data-row="1"' in damaged.get_data(as_text=True)


def test_a_big_file_from_the_page_is_imported_by_a_worker_through_the_outbox(
        app, monkeypatch):
    from marketplace.notifications.models import Notification
    from marketplace.turnover.imports import views as import_views

    monkeypatch.setattr(import_views, "INLINE_MAX_BYTES", 100)
    monkeypatch.setattr(importer, "CHUNK", 50)
    auditor = person("auditor")
    quiet()
    browser = signed_in(auditor)
    response = browser.post("/contracts/imports", data={
        "file": (io.BytesIO(csv_bytes(good_rows(120, prefix="W"))), "big.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    batch = db.session.execute(select(RegistrationImportBatch)).scalar_one()
    assert batch.status == ImportStatus.IMPORTED and batch.rows_added == 120
    assert batch.stored_path is None       # the stored file is gone once imported
    assert registered_count() == 120
    page = browser.get(response.location).get_data(as_text=True)
    assert 'data-status="imported"' in page
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == auditor.id)) == "registration_import_done"

    rows = list(good_rows(120, prefix="V"))
    rows[99][7] = "炼金术"
    browser.post("/contracts/imports", data={"file": (io.BytesIO(csv_bytes(rows)), "v.csv")},
                 content_type="multipart/form-data")
    settle()
    refused = db.session.execute(select(RegistrationImportBatch).where(
        RegistrationImportBatch.filename == "v.csv")).scalar_one()
    assert refused.status == ImportStatus.REFUSED and refused.rows_added == 0
    assert json.loads(refused.report)["problems"] == [[101, "field", "field"]]
    assert registered_count() == 120
    shown = browser.get(f"/contracts/imports/{refused.id}").get_data(as_text=True)
    assert 'data-row="101"' in shown


def test_the_cli_imports_a_file_and_refuses_a_bad_one(app, tmp_path):
    auditor = person("auditor", email="cli-auditor@example.com")
    quiet()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(good_rows(4, prefix="C")))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["turnover", "import", str(good), "--user", auditor.email])
    assert result.exit_code == 0, result.output
    assert "4 added" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["C9", "技术开发", "x"] + [""] * 8]))
    refused = runner.invoke(args=["turnover", "import", str(bad), "--user", auditor.email])
    assert refused.exit_code == 1 and "row 2" in refused.output
    db.session.expire_all()
    assert registered_count() == 4


def test_a_queued_import_whose_file_is_gone_fails_and_imports_nothing(app):
    import os

    auditor = person("auditor")
    quiet()
    batch = importer.queue_file(io.BytesIO(csv_bytes(good_rows(3, prefix="L"))), "lost.csv",
                               auditor)
    os.unlink(batch.stored_path)
    settle()
    batch = db.session.get(RegistrationImportBatch, batch.id)
    assert batch.status == ImportStatus.FAILED and batch.finished_dt is not None
    assert registered_count() == 0
    importer.run_batch(batch.id)          # delivered again: a finished batch is left alone
    assert db.session.get(RegistrationImportBatch, batch.id).status == ImportStatus.FAILED


def test_a_batch_whose_worker_died_is_failed_by_the_nightly_sweep_after_an_hour(app):
    """The worker was killed mid-import: the batch says "running", and the redelivered
    message leaves a running batch alone. After an hour the nightly sweep records it as
    failed (nothing of it was committed) and drops its stored file; a fresh one is kept."""
    import os
    from datetime import timedelta

    from marketplace.core.audit import AuditRecord
    from marketplace.core.states import transition
    from marketplace.core.timeutil import now_utc
    from marketplace.turnover.tasks import fail_abandoned_imports

    auditor = person("auditor")
    quiet()
    dead = importer.queue_file(io.BytesIO(csv_bytes(good_rows(3, prefix="D"))), "dead.csv",
                              auditor)
    alive = importer.queue_file(io.BytesIO(csv_bytes(good_rows(3, prefix="A"))), "alive.csv",
                               auditor)
    for batch in (dead, alive):
        transition(batch, "start", actor=auditor)     # as run_batch does, then it died
    dead.created_dt = now_utc() - timedelta(hours=2)
    db.session.commit()
    stored = dead.stored_path
    importer.run_batch(dead.id)                         # redelivered: left alone
    assert db.session.get(RegistrationImportBatch, dead.id).status == ImportStatus.RUNNING

    assert fail_abandoned_imports() == 1
    db.session.commit()
    db.session.expire_all()
    dead = db.session.get(RegistrationImportBatch, dead.id)
    assert dead.status == ImportStatus.FAILED and dead.finished_dt is not None
    assert dead.stored_path is None and not os.path.exists(stored)
    assert db.session.get(RegistrationImportBatch, alive.id).status == ImportStatus.RUNNING
    assert db.session.query(AuditRecord).filter_by(
        object_type="RegistrationImportBatch", object_id=str(dead.id), action="fail").count() == 1
    assert registered_count() == 0
