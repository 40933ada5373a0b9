"""The bureau's turnover dashboard in Chromium, with the demo data: the figures are the
registry's sums, the filters stay chosen, the charts are drawn without a CSP complaint,
the registry is exported by a background job whose page offers the file, and a
screenshot of it goes to the README (docs/screenshots/dashboard.png)."""
import csv
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from marketplace.extensions import db
from tests.e2e.steps import LANGUAGES, sign_in

pytestmark = pytest.mark.e2e

README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard.png"
YEAR = date.today().year


@pytest.fixture
def demo_contracts(demo_data):
    """The demo year's contracts and last year's, as `flask seed-demo --contracts` makes
    them, and a target for one district."""
    from marketplace.turnover.models import TurnoverTarget
    try:
        from marketplace.demo.contracts import seed_demo_contracts
    except ImportError:     # the registry's generator is not there: our own bulk rows
        from tests.integration.turnover.dashboard_builders import bulk_registrations
        bulk_registrations(1900, YEAR, previous_year_share=0.45)
    else:
        seed_demo_contracts(1900, year=YEAR)
        seed_demo_contracts(1600, year=YEAR - 1, today=date(YEAR - 1, 12, 31))
    district_id = db.session.execute(text(
        "SELECT seller_district_id FROM contract_registrations WHERE seller_district_id "
        "IS NOT NULL GROUP BY seller_district_id ORDER BY SUM(technical_amount_fen) DESC "
        "LIMIT 1")).scalar_one()
    db.session.add(TurnoverTarget(year=YEAR, district_id=district_id,
                                  target_fen=2_000_000_000_00))
    db.session.commit()
    return district_id


def registry_sum(district_id=None):
    where = "" if district_id is None else f" AND seller_district_id = {int(district_id)}"
    return db.session.execute(text(
        "SELECT SUM(technical_amount_fen) FROM contract_registrations WHERE status = "
        "'confirmed' AND seller_in_city AND registered_year = :y" + where),
        {"y": YEAR}).scalar_one()


def registry_rows(district_id):
    """The registrations the dashboard's registry export gives for this year's district."""
    return db.session.execute(text(
        "SELECT COUNT(*) FROM contract_registrations WHERE registered_year = :y AND "
        "seller_district_id = :d"), {"y": YEAR, "d": district_id}).scalar_one()


@LANGUAGES
def test_the_auditor_reads_the_dashboard_and_filters_it(page, live_server, demo_contracts,
                                                         lang, csrf_on, page_problems,
                                                         screenshot):
    zh = lang     # the journey runs in Chinese and in English (the README shot: Chinese)
    sign_in(page, live_server, "auditor@demo.local", lang=zh)
    page.get_by_role("link", name=zh("Turnover dashboard")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        zh("Technology-contract turnover %(year)s", year=YEAR))
    technical = page.get_by_test_id("kpi-technical")
    expect(technical).to_have_attribute("data-value", str(registry_sum()))
    expect(page.get_by_role("img", name=zh("Cumulative technical transaction amount by "
                                          "month"))).to_be_visible()
    assert page.locator("svg[role=img]").count() >= 9
    expect(page.get_by_test_id("projection-method")).to_contain_text(
        zh("How the projection is made"))
    if lang.code == "zh":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOT), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": 1900})
    screenshot(f"dashboard-full-{lang}")

    page.get_by_label(zh("District"), exact=True).select_option(str(demo_contracts))
    page.get_by_role("button", name=zh("Show")).click()
    expect(page).to_have_url(f"{live_server}/turnover/dashboard?year={YEAR}"
                             f"&district={demo_contracts}&type=")
    expect(page.get_by_label(zh("District"), exact=True)).to_have_value(str(demo_contracts))
    expect(technical).to_have_attribute("data-value", str(registry_sum(demo_contracts)))
    expect(page.get_by_test_id("section-districts")).to_contain_text("¥2,000,000,000")

    with page.expect_download() as download:
        page.get_by_test_id("export-months").get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == f"turnover-{YEAR}-months.xlsx"
    with open(download.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"      # an XLSX is a zip

    # The district's registry: a background job writes it while its page shows a bar,
    # then offers the file (the page follows the job by itself and reloads when done).
    page.get_by_test_id("registry-export").get_by_role("button", name="CSV").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_test_id("job")).to_have_attribute("data-status", "succeeded",
                                                         timeout=60_000)
    rows_expected = registry_rows(demo_contracts)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow",
                                                              str(rows_expected))
    screenshot(f"registry-export-{lang}")
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    assert download.value.suggested_filename == f"contract-registry-{YEAR}.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as exported:
        rows = list(csv.reader(exported))
    assert len(rows) - 1 == rows_expected
    page.go_back()

    page.get_by_test_id("footer-transparency").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Public transparency page"))
    expect(page.get_by_test_id("public-turnover")).to_contain_text(
        zh("Technology-contract turnover %(year)s", year=YEAR))
    expect(page.get_by_test_id("agencies")).to_be_visible()
    screenshot(f"transparency-{lang}")
    page_problems.assert_none()


def test_a_job_page_follows_the_job_by_itself(page, live_server, demo_contracts,
                                              page_problems):
    """A job still waiting for a worker: its page polls the JSON status (jobs.js, under
    the strict CSP), then reloads itself and offers the file once the worker is done."""
    from marketplace.accounts.models import User
    from marketplace.core import jobs, outbox
    from marketplace.turnover.dashboard import exports

    auditor = db.session.execute(db.select(User).where(
        User.email == "auditor@demo.local")).scalar_one()
    job = exports.start_registry_export(auditor, {
        "year": YEAR, "district_id": None, "contract_type": None, "status": None,
        "source": None}, "csv", locale="en")
    db.session.commit()
    outbox._committed_ids.set(None)       # no worker yet: the page shows the job waiting
    sign_in(page, live_server, "auditor@demo.local")
    page.goto(f"{live_server}/jobs/{job.id}")
    expect(page.get_by_test_id("job")).to_have_attribute("data-status", "queued")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_text("Waiting for a worker…")).to_be_visible()

    assert jobs.run(job.id) == jobs.JobStatus.SUCCEEDED      # the worker takes it now
    expect(page.get_by_test_id("job")).to_have_attribute("data-status", "succeeded",
                                                         timeout=15_000)
    expect(page.get_by_test_id("job-download")).to_be_visible()
    page_problems.assert_none()
