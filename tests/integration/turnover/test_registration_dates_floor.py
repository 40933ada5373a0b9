"""The registry's years begin in 2000 (the dashboard, the exports and the API read years
from 2000 to 2100): a contract signed or registered before then (0001-01-01, a year typed
as 1026 for 2026) is refused on its date, by the form, the API and an import, instead of
a registration no year of the dashboard can ever show."""
import io
from datetime import date

from marketplace.core.spreadsheets import ImportReport
from marketplace.extensions import db
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import ContractRegistration
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.turnover.registry_builders import (csv_bytes, good_rows, person, quiet,
                                                          signed_in)
from tests.integration.turnover.test_contracts_api import BODY, PREFIX
from tests.integration.turnover.test_registry_pages import form_data
from tests.support.api import token_for


def test_the_form_refuses_a_date_before_2000_keeping_it():
    member = AgencyMemberFactory(locale="en")
    quiet()
    browser = signed_in(member)
    for field in ("signed_on", "registered_on"):
        refused = browser.post("/contracts/new", data=form_data(**{
            "signed_on": "1999-12-31", field: "1026-03-02"}))
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert "from 2000" in page and 'value="1026-03-02"' in page
    assert db.session.query(ContractRegistration).count() == 0


def test_the_api_refuses_it_on_its_field(client):
    headers = token_for(FirmMemberFactory())
    response = client.post(f"{PREFIX}/contracts", headers=headers,
                           json={**BODY, "signed_on": "0001-01-01"})
    assert response.status_code == 422
    fields = [f["loc"][-1] for f in response.get_json()["error"]["details"]["fields"]]
    assert fields == ["signed_on"]


def test_an_import_names_the_row():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(2))
    rows[1][8], rows[1][9] = "1899-12-31", "1900-01-02"
    report = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    assert isinstance(report, ImportReport)
    assert sorted(report.problems) == [(3, "registered_on", "too_early"),
                                       (3, "signed_on", "too_early")]
    assert "2000" in report.lines()[0][2]
    assert date(2000, 1, 1)
