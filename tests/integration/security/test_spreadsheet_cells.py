"""Formula injection: a name typed as ``=HYPERLINK(...)`` comes out of every CSV and XLSX
the product writes as inert text (a leading ``'``, an XLSX string cell), read back with
the csv module and openpyxl; amounts stay numbers, negative ones too."""
import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from marketplace.accounts.models import Organisation, Role
from marketplace.claims.models import DisbursementBatch
from marketplace.core.spreadsheets import safe_cell
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import UserFactory
from tests.integration.claims.builders import approved_claim, person, signed_in
from tests.integration.turnover.dashboard_builders import amend, register
from tests.integration.turnover.test_exports import export_registry

EVIL = '=HYPERLINK("http://evil.example","x")'
YEAR = 2025


def csv_rows(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def assert_csv_inert(rows):
    texts = [cell for row in rows for cell in row]
    assert "'" + EVIL in texts, "the seller is missing from the file"
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in texts)


def assert_xlsx_inert(body):
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    found = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str) and EVIL in cell.value:
                    assert cell.data_type == "s" and cell.value == "'" + EVIL
                    found += 1
    assert found, "the seller is missing from the workbook"
    return workbook


@pytest.fixture
def auditor(client):
    user = UserFactory(role=Role.AUDITOR, locale="en")
    original = register(on=date(YEAR, 3, 2), contract_fen=900_000_00, seller=EVIL)
    amend(original, on=date(YEAR, 4, 2), contract_delta=-100_000_00,
          technical_delta=-100_000_00)
    db.session.commit()
    login(client, user.email)
    return user


def test_the_dashboard_tables_write_a_formula_seller_as_text(client, auditor):
    response = client.get(f"/turnover/dashboard/sellers.csv?year={YEAR}")
    assert response.status_code == 200
    assert_csv_inert(csv_rows(response.get_data()))
    response = client.get(f"/turnover/dashboard/all.xlsx?year={YEAR}")
    assert response.status_code == 200
    assert_xlsx_inert(response.get_data())


def test_the_registry_export_writes_a_formula_seller_as_text_and_amounts_as_numbers(
        client, auditor):
    _job, response = export_registry(client, "csv", year=YEAR)
    rows = csv_rows(response.get_data())
    assert_csv_inert(rows)
    amounts = [row[6] for row in rows[1:]]
    assert "-100000.00" in amounts, amounts      # a negative amendment, not "'-100000.00"
    _job, response = export_registry(client, "xlsx", year=YEAR)
    sheet = assert_xlsx_inert(response.get_data()).active
    amounts = [row[6].value for row in sheet.iter_rows(min_row=2)]
    assert Decimal("-100000") in [Decimal(str(value)) for value in amounts]
    assert all(isinstance(value, (int, float)) for value in amounts)


def test_the_bank_file_writes_a_formula_payee_as_text(app):
    auditor, supervisor = person("auditor"), person("supervisor")
    db.session.commit()
    claim = approved_claim(auditor, supervisor)
    db.session.get(Organisation, claim.agency_id).name = EVIL
    db.session.commit()
    client = signed_in(supervisor)
    assert client.post("/disbursements", data={"claim_ids": [claim.id],
                                               "idempotency_token": "b-1"}).status_code == 302
    batch = db.session.execute(select(DisbursementBatch)).scalar_one()
    response = client.get(f"/disbursements/{batch.id}/export.csv")
    rows = csv_rows(response.get_data())
    assert_csv_inert(rows)
    assert rows[1][rows[0].index("amount_fen")] == str(claim.amount_fen)
    response = client.get(f"/disbursements/{batch.id}/export.xlsx")
    sheet = assert_xlsx_inert(response.get_data()).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("amount_fen") + 1).value == claim.amount_fen


def test_the_import_template_is_inert_text(client, auditor):
    response = client.get("/contracts/imports/template.csv")
    assert response.status_code == 200
    rows = csv_rows(response.get_data())
    assert rows and not any(cell.startswith(("=", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+86 791 8666", "'+86 791 8666"), ("-2+3+cmd|' /C calc'!A0",
                                                            "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-1200.50", "-1200.50"),
    ("+3", "+3"), ("南昌", "南昌"), ("a=b", "a=b"), (-5, -5), (Decimal("-1.25"), Decimal("-1.25")),
    (None, None), ("", "")])
def test_a_cell_that_could_be_a_formula_is_neutralised(value, written):
    assert safe_cell(value) == written


def test_the_calendar_export_writes_a_formula_holiday_name_as_text(client):
    """The calendar's CSV is read back by the import, and opened in a spreadsheet first."""
    from marketplace.workdays import services as workdays

    admin = UserFactory(role=Role.ADMIN, locale="en")
    workdays.save_day(admin, day=date(2031, 5, 2), is_working=False, name_zh=EVIL,
                      name_en="+cmd|' /C calc'!A0")
    db.session.commit()
    login(client, admin.email)
    response = client.get("/admin/calendar/2031.csv")
    assert response.status_code == 200
    rows = csv_rows(response.data)
    assert_csv_inert(rows)
    assert ["2031-05-02", "holiday", "'" + EVIL, "'+cmd|' /C calc'!A0"] in rows
