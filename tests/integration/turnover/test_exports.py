"""Exports of the dashboard's tables and of the registry (a background job whose page
offers the file): they open with the csv module and openpyxl, carry the dashboard's
figures, and follow the user's language."""
import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import text

from marketplace.accounts.models import Role
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.extensions import db
from marketplace.turnover.dashboard import contents, stats
from tests.conftest import login
from tests.factories import UserFactory
from tests.integration.turnover.dashboard_builders import (bulk_registrations, districts,
                                                           mixed_registry)

YEAR = 2025


def fen(value):
    """A yuan amount of a file back to fen."""
    return None if value in ("", None) else int(Decimal(str(value)) * 100)


@pytest.fixture
def auditor(client):
    user = UserFactory(role=Role.AUDITOR, locale="en")
    mixed_registry(YEAR, user)
    db.session.commit()
    login(client, user.email)
    return user


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8")), "a BOM, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


KEYS = ["summary", "months", "types", "districts", "fields", "sellers", "vouchers",
        "budget", "funnel", "sla"]


def test_each_table_as_csv_holds_the_dashboards_figures(client, auditor):
    second = districts(2)[1].id
    for key in KEYS:
        district = second if key == "months" else None
        query = f"year={YEAR}" + (f"&district={district}" if district else "")
        response = client.get(f"/turnover/dashboard/{key}.csv?{query}")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = read_csv(response)
        with force_locale("en"):
            table = contents.build(stats.Filters.of(YEAR, district), "en").table(key)
        assert rows[0][0] == str(table.columns[0].header)
        expected = table.rows + ([table.total] if table.total else [])
        assert len(rows) == 1 + len(expected), key
        for written, row in zip(rows[1:], expected):
            for column, cell, value in zip(table.columns, written, row):
                if column.kind == "fen":
                    assert fen(cell) == value
                elif column.kind == "bp":
                    assert cell == ("" if value is None else f"{Decimal(value) / 100:.2f}")
                elif column.kind == "int":
                    assert cell == ("" if value is None else str(value))
                else:
                    assert cell == str(value)


def test_the_workbook_has_every_table_and_the_same_month_figures(client, auditor):
    response = client.get(f"/turnover/dashboard/all.xlsx?year={YEAR}&type=transfer")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    with force_locale("en"):
        data = contents.build(stats.Filters.of(YEAR, None, "transfer"), "en")
    assert len(workbook.sheetnames) == len(data.tables)
    months = workbook[workbook.sheetnames[1]]
    rows = list(months.iter_rows(values_only=True))
    assert rows[0][1] == "Technical transaction amount (yuan)"
    assert [fen(r[1]) for r in rows[1:13]] == [r[1] for r in data.table("months").rows]
    total = db.session.execute(text(
        "SELECT SUM(technical_amount_fen) FROM contract_registrations WHERE status = "
        "'confirmed' AND seller_in_city AND registered_year = :y AND contract_type = "
        "'transfer'"), {"y": YEAR}).scalar_one()
    assert fen(rows[13][1]) == total


def test_headers_follow_the_users_language(client):
    user = UserFactory(role=Role.SUPERVISOR, locale="zh")
    db.session.commit()
    login(client, user.email)
    rows = read_csv(client.get(f"/turnover/dashboard/types.csv?year={YEAR}"))
    assert rows[0][:2] == ["合同类型", "技术交易额（元）"]
    assert rows[1][0] == "技术开发"


def test_an_unknown_table_is_not_found_and_a_bad_filter_refused(client, auditor):
    assert client.get("/turnover/dashboard/nothing.csv").status_code == 404
    assert client.get("/turnover/dashboard/all.csv").status_code == 404
    assert client.get("/turnover/dashboard/types.csv?type=barter").status_code == 400


def export_registry(client, file_format, **form):
    """POST the dashboard's registry form: a job writes the file (in-process in tests, so
    it is done by the redirect); its page offers the download."""
    response = client.post("/turnover/export/registry", data={**form, "format": file_format})
    assert response.status_code == 302
    job_id = int(response.location.rsplit("/", 1)[-1])
    assert response.location == f"/jobs/{job_id}"
    job = db.session.get(BackgroundJob, job_id)
    db.session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.done == job.total            # the bar counted every row it wrote
    page = client.get(response.location).get_data(as_text=True)
    assert f"/jobs/{job_id}/download" in page
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    return job, download


def test_the_registry_csv_is_exported_with_every_row_of_the_filters(client, auditor):
    bulk_registrations(4500, YEAR, previous_year_share=0.2)
    db.session.commit()
    job, response = export_registry(client, "csv", year=YEAR, status="confirmed")
    assert response.mimetype == "text/csv"
    assert "contract-registry-2025.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    count, technical = db.session.execute(text(
        "SELECT COUNT(*), SUM(technical_amount_fen) FROM contract_registrations WHERE "
        "registered_year = :y AND status = 'confirmed'"), {"y": YEAR}).one()
    assert rows[0][0] == "Contract number"
    assert len(rows) - 1 == count == job.total > 2000      # more than one chunk
    assert sum(fen(r[7]) for r in rows[1:]) == technical

    second = districts(2)[1]
    _job, response = export_registry(client, "csv", year=YEAR, district=second.id,
                                     type="transfer", source="import")
    rows = read_csv(response)
    assert len(rows) - 1 == db.session.execute(text(
        "SELECT COUNT(*) FROM contract_registrations WHERE registered_year = :y AND "
        "seller_district_id = :d AND contract_type = 'transfer' AND source = 'import'"),
        {"y": YEAR, "d": second.id}).scalar_one() > 0
    assert {r[11] for r in rows[1:]} == {second.name_en}

    _job, response = export_registry(client, "csv", year="all")
    everything = read_csv(response)
    assert len(everything) - 1 == db.session.execute(text(
        "SELECT COUNT(*) FROM contract_registrations")).scalar_one()
    assert client.post("/turnover/export/registry",
                       data={"status": "lost"}).status_code == 400
    assert client.post("/turnover/export/registry",
                       data={"format": "pdf"}).status_code == 400
    assert client.get("/turnover/export/registry").status_code == 405


def test_the_registry_xlsx_opens_with_the_same_rows(client, auditor):
    _job, response = export_registry(client, "xlsx", year=YEAR, type="development")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    count, technical = db.session.execute(text(
        "SELECT COUNT(*), SUM(technical_amount_fen) FROM contract_registrations WHERE "
        "registered_year = :y AND contract_type = 'development'"), {"y": YEAR}).one()
    assert len(rows) - 1 == count
    assert sum(fen(r[7]) for r in rows[1:]) == technical
    assert all(r[15].year == YEAR for r in rows[1:])     # registered on, as a date


def test_the_registry_file_follows_the_language_of_the_person_who_asked(client):
    user = UserFactory(role=Role.SUPERVISOR, locale="zh")
    mixed_registry(YEAR, user)
    db.session.commit()
    login(client, user.email)
    _job, response = export_registry(client, "csv", year=YEAR)
    rows = read_csv(response)
    assert rows[0][0] == "合同编号"
    page = client.get(f"/jobs/{_job.id}").get_data(as_text=True)
    assert "返回" in page


def test_too_many_rows_for_an_xlsx_sheet_fail_with_the_reason(client, auditor, monkeypatch):
    from marketplace.turnover.dashboard import exports
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    response = client.post("/turnover/export/registry", data={"year": YEAR,
                                                             "format": "xlsx"})
    job = db.session.get(BackgroundJob, int(response.location.rsplit("/", 1)[-1]))
    assert job.status == JobStatus.FAILED and job.result_path is None
    page = client.get(response.location).get_data(as_text=True)
    assert "An XLSX sheet holds at most 3 rows and these filters give" in page
    assert client.get(f"/jobs/{job.id}/download").status_code == 404
