"""A district id that names no district (a stale link, a hand-edited URL) is a filter not
understood, like a year or a type: named on the page (422) and left out, rather than
every figure shown as zero under a district list that says "the whole city"; its exports
are refused as the other bad filters' are (the API answers 404 for it already)."""
from datetime import date

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests.factories import UserFactory
from tests.integration.turnover.dashboard_builders import mixed_registry
from tests.integration.turnover.test_dashboard_page import kpi, signed_in

YEAR = date.today().year


def test_an_unknown_district_is_named_and_the_whole_city_shown(client):
    mixed_registry(YEAR, UserFactory(role=Role.AUDITOR))
    db.session.commit()
    signed_in(client, "auditor")
    whole = kpi(client.get("/turnover/dashboard").get_data(as_text=True), "technical")
    assert whole
    response = client.get("/turnover/dashboard?district=999999")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a district from the list." in html
    assert kpi(html, "technical") == whole
    assert client.get("/turnover/dashboard/districts.csv?district=999999").status_code == 400
