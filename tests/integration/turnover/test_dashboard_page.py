"""The dashboard page: who sees it, the figures it shows, its filters, its statements."""
import re
from datetime import date

from sqlalchemy import event, text

from marketplace.accounts.models import Role
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory, UserFactory
from tests.integration.turnover.dashboard_builders import (bulk_registrations, districts,
                                                           mixed_registry)

YEAR = date.today().year


def signed_in(client, role, locale="en"):
    user = FirmMemberFactory(locale=locale) if role == "firm" else \
        UserFactory(role=Role(role), locale=locale)
    db.session.commit()
    login(client, user.email)
    return client


def kpi(html, name):
    found = re.search(rf'data-testid="kpi-{name}"[^>]*data-value="(-?\d+)"', html)
    return int(found.group(1)) if found else None


def test_the_bureau_sees_the_dashboard_experts_and_members_do_not(app):
    for role in ("auditor", "supervisor", "admin"):
        client = signed_in(app.test_client(), role)
        response = client.get("/turnover/dashboard")
        assert response.status_code == 200, role
        html = response.get_data(as_text=True)
        assert "Technology-contract turnover" in html
        assert html.count('role="img"') >= 9      # every chart is an accessible image
        assert html.count("<title") >= 9
    for role in ("expert", "firm"):
        client = signed_in(app.test_client(), role)
        assert client.get("/turnover/dashboard").status_code == 403, role


def test_the_page_shows_the_registry_sums_and_keeps_the_filters(client):
    mixed_registry(YEAR, UserFactory(role=Role.AUDITOR))
    db.session.commit()
    second = districts(2)[1]
    signed_in(client, "auditor")

    html = client.get("/turnover/dashboard").get_data(as_text=True)
    technical, contract, contracts = db.session.execute(text(
        "SELECT SUM(technical_amount_fen), SUM(contract_amount_fen), SUM(CASE kind WHEN "
        "'original' THEN 1 WHEN 'cancellation' THEN -1 ELSE 0 END) FROM "
        "contract_registrations WHERE status = 'confirmed' AND seller_in_city AND "
        "registered_year = :year"), {"year": YEAR}).one()
    assert (kpi(html, "technical"), kpi(html, "contract"), kpi(html, "contracts")) == \
        (technical, contract, contracts)
    assert 'data-testid="projection-method"' in html

    filtered = client.get(f"/turnover/dashboard?year={YEAR}&district={second.id}"
                          "&type=transfer").get_data(as_text=True)
    only = db.session.execute(text(
        "SELECT COALESCE(SUM(technical_amount_fen), 0) FROM contract_registrations WHERE "
        "status = 'confirmed' AND seller_in_city AND registered_year = :year AND "
        "seller_district_id = :district AND contract_type = 'transfer'"),
        {"year": YEAR, "district": second.id}).scalar_one()
    assert kpi(filtered, "technical") == only
    assert f'<option value="{second.id}" selected>' in filtered
    assert '<option value="transfer" selected>' in filtered
    assert f"district={second.id}" in filtered and "type=transfer" in filtered  # exports


def test_a_filter_not_understood_is_named_and_the_rest_shown(client):
    signed_in(client, "auditor")
    response = client.get("/turnover/dashboard?year=20x5&type=barter")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a year between 2000 and 2100." in html
    assert "Choose a contract type from the list." in html


def _statements_for(client, url):
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return seen


def test_the_page_issues_the_same_few_statements_whatever_the_registry_size(client):
    signed_in(client, "supervisor")
    first = districts(1)[0]
    bulk_registrations(50, YEAR, previous_year_share=0.3)
    db.session.commit()
    small = _statements_for(client, f"/turnover/dashboard?district={first.id}")
    bulk_registrations(3000, YEAR, seed=11, previous_year_share=0.3)
    db.session.commit()
    large = _statements_for(client, f"/turnover/dashboard?district={first.id}")
    assert len(small) == len(large) < 10, "\n\n".join(large)
    print("statements per dashboard page:", len(large))
