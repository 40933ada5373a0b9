"""The public transparency page: no login, only disbursed redemptions, the agencies in the
registry with their admission dates, the budget meters, the turnover against the target,
pages of 20, and a copy visitors' caches may keep for a minute."""
from datetime import date
from html import unescape

from marketplace.claims import disbursement
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN
from tests.conftest import login
from tests.factories import UserFactory, make_agency_profile
from tests.integration.claims.builders import (approved_claim, claim_at_first_review,
                                               quiet)
from tests.integration.turnover.dashboard_builders import districts, register

YEAR = date.today().year


def text_of(response):
    return unescape(response.get_data(as_text=True))


def test_only_disbursed_redemptions_are_published(client):
    auditor, supervisor = UserFactory(role="auditor"), UserFactory(role="supervisor")
    paid = approved_claim(auditor, supervisor, amount_fen=123_456_00)
    unpaid = approved_claim(auditor, supervisor, amount_fen=654_321_00)  # not paid yet
    reviewed = claim_at_first_review(auditor, amount_fen=111_112_00)     # in review
    batch = disbursement.create_batch(supervisor, [paid.id])
    disbursement.mark_paid(batch, supervisor, "国库 2026-0001")
    db.session.commit()
    quiet()
    paid = db.session.get(Claim, paid.id)
    assert paid.status == ClaimStatus.DISBURSED

    response = client.get("/transparency")
    assert response.status_code == 200
    page = text_of(response)
    table = page[page.index('data-testid="redemptions"'):]
    table = table[:table.index("</table>")]
    assert format_fen(paid.amount_fen) in table
    assert paid.order.firm.name in table and paid.order.agency.organisation.name in table
    assert paid.order.offering.category.name_zh in table
    assert format_fen(unpaid.amount_fen) not in table
    assert format_fen(reviewed.amount_fen) not in table
    assert unpaid.order.firm.name not in table and reviewed.order.firm.name not in table
    assert table.count("<tr>") == 2    # the header and the one paid redemption


def test_admitted_agencies_with_their_dates_paginated(client, monkeypatch):
    monkeypatch.setattr("marketplace.turnover.dashboard.public_views.PER_PAGE", 2)
    admitted = [make_agency_profile() for _ in range(3)]
    suspended = make_agency_profile(status="suspended")
    notice = make_agency_profile(status="public_notice")
    db.session.commit()

    first = text_of(client.get("/transparency"))
    second = text_of(client.get("/transparency?agencies_page=2"))
    listed = first[first.index('data-testid="agencies"'):] + \
        second[second.index('data-testid="agencies"'):]
    for profile in admitted:
        assert profile.name in listed
    assert admitted[0].admitted_dt.date().isoformat() in listed
    assert suspended.name not in listed and notice.name not in listed
    assert "agencies_page=2" in first
    assert sum(profile.name in first for profile in admitted) == 2


def test_the_turnover_total_against_the_target_and_the_budget(client):
    register(on=date(YEAR, 1, 5), contract_fen=3_000_000_00, technical_fen=2_500_000_00,
             district=districts(1)[0])
    # bought by a firm in the city from a seller elsewhere: absorbed, not turnover
    register(on=date(YEAR, 1, 6), contract_fen=9_000_000_00, in_city=False,
             buyer_district=districts(1)[0])
    from tests.factories import make_programme
    programme = make_programme(budget_fen=40_000_000_00, name="本年度计划")
    db.session.commit()

    page = text_of(client.get("/transparency"))
    assert 'data-value="250000000"' in page
    assert 'data-testid="public-absorbed" data-value="900000000"' in page
    assert "¥9,000,000.00" in page
    assert f"¥{DEFAULT_CITY_TARGET_FEN // 100:,}.00" in page
    assert programme.name in page and "¥40,000,000.00" in page


def test_visitors_may_cache_it_briefly_signed_in_users_may_not(client):
    response = client.get("/transparency")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response.headers.get("Vary", "")
    user = UserFactory(role="auditor")
    db.session.commit()
    login(client, user.email)
    assert "private" in client.get("/transparency").headers["Cache-Control"]


def test_the_footer_of_every_page_links_to_it(client):
    assert 'href="/transparency"' in client.get("/").get_data(as_text=True)
