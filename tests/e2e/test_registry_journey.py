"""Admission to the registry in the browser: a new agency registers, fills in its
application, uploads its licence and submits; the auditor approves; a visitor reads the
public notice; the auditor concludes it and the agency is admitted; it publishes an
offering, which a visitor then finds by a Chinese search.

The journey reads the pages in English (one click on the language switch), so it does
not depend on the Chinese catalogue of the registry's new strings.
"""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts import uscc
from marketplace.accounts.models import Organisation, Role
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.extensions import db
from tests.e2e.steps import in_english, sign_in, sign_out
from tests.factories import PDF_BYTES, TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

AGENCY_NAME = "赣江检测技术研究院"
AGENCY_EMAIL = "director@ganjiang-testing.example"
AUDITOR_EMAIL = "registry-auditor@example.com"
INTRODUCTION = "材料成分与力学性能检测，服务南昌及江西各地的制造企业。"
OFFERING_TITLE = "复合材料检测服务"


@pytest.fixture
def auditor():
    user = UserFactory(role=Role.AUDITOR, email=AUDITOR_EMAIL, name="审核员甲", locale="en")
    db.session.commit()
    return user


@pytest.fixture
def notice_of_zero_days(app):
    """The notice ends as it opens, so the journey can conclude it at once."""
    previous = app.config["AGENCY_NOTICE_DAYS"]
    app.config["AGENCY_NOTICE_DAYS"] = 0
    yield
    app.config["AGENCY_NOTICE_DAYS"] = previous


def register_agency(page, live_server):
    page.goto(live_server + "/register")
    in_english(page)
    page.get_by_label("a service agency that offers them").check()
    page.get_by_label("Organisation name").fill(AGENCY_NAME)
    page.get_by_label("Unified social credit code").fill(uscc.make("12360100E2E000017"))
    page.get_by_label("Legal representative").fill("刘志远")
    page.get_by_label("District").select_option(index=1)
    page.get_by_label("Registered address").fill("南昌市青山湖区高新大道 88 号")
    page.get_by_label("Contact phone").fill("0791-86660000")
    page.get_by_label("Your name").fill("刘志远")
    page.get_by_label("Your e-mail").fill(AGENCY_EMAIL)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_test_id("home-registry-status")).to_have_text("not started")


def fill_application(page, screenshot):
    page.get_by_role("link", name="Open the registry application").click()
    expect(page.get_by_role("heading", name="Registry application")).to_be_visible()
    page.get_by_label("Type of agency").select_option(label="research institute")
    page.get_by_label("in the city").check()
    page.get_by_label("Inspection and testing").check()
    page.get_by_label("Introduction").fill(INTRODUCTION)
    page.get_by_label("Staff", exact=True).fill("10")           # a slip, corrected below
    page.get_by_label("Qualified staff").fill("12")
    page.get_by_label("Years in operation").fill("9")
    page.get_by_label("Staff qualifications").fill("高级工程师 6 名，CMA 授权签字人 4 名")
    page.get_by_label("Fee schedule").fill("常规检测每项 800 元起，专项检测按报价")
    page.get_by_role("button", name="Save the application").click()
    expect(page.get_by_text("Cannot be more than the staff.")).to_be_visible()
    expect(page.get_by_label("Introduction")).to_have_value(INTRODUCTION)   # kept
    page.get_by_label("Staff", exact=True).fill("30")
    page.get_by_role("button", name="Save the application").click()
    expect(page.get_by_text("The application is saved.")).to_be_visible()
    missing = page.get_by_test_id("missing")
    expect(missing).to_contain_text("Upload the business licence")

    page.get_by_label("Kind of document").select_option(value="business_licence")
    page.get_by_label("Title").fill("事业单位法人证书")
    page.get_by_label("Valid until").fill((date.today() + timedelta(days=800)).isoformat())
    page.get_by_label("File (PDF, PNG or JPEG)").set_input_files(
        files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("The document is uploaded.")).to_be_visible()
    expect(page.get_by_role("link", name="事业单位法人证书")).to_be_visible()
    screenshot("registry-application-en")

    page.get_by_label("I confirm that the application is complete and true").check()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_test_id("registry-status")).to_have_text("submitted")


def test_an_agency_is_admitted_through_the_public_notice(page, live_server, auditor,
                                                         notice_of_zero_days, csrf_on,
                                                         page_problems, screenshot):
    register_agency(page, live_server)
    fill_application(page, screenshot)
    agency = db.session.execute(select(Organisation).where(
        Organisation.name == AGENCY_NAME)).scalar_one()
    profile = db.session.get(AgencyProfile, agency.id)
    assert profile.status == AgencyStatus.SUBMITTED
    assert [c.code for c in profile.categories] == ["testing"] and profile.staff_count == 30
    sign_out(page)

    # The auditor finds the application in the queue and approves it.
    sign_in(page, live_server, AUDITOR_EMAIL)
    page.get_by_role("link", name="Agency admissions").click()
    page.get_by_role("link", name=AGENCY_NAME).click()
    expect(page.get_by_role("heading", name=AGENCY_NAME)).to_be_visible()
    expect(page.get_by_role("link", name="事业单位法人证书")).to_be_visible()
    page.get_by_label("Approve and open the public notice").check()
    screenshot("registry-review-en")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Approved: the public notice is open")).to_be_visible()
    expect(page.get_by_test_id("registry-status")).to_have_text("on public notice")
    sign_out(page)

    # A visitor reads the notice.
    page.goto(live_server + "/")
    in_english(page)
    page.get_by_role("link", name="Public notices").click()
    page.get_by_role("link", name=AGENCY_NAME).click()
    expect(page.get_by_role("heading", name=AGENCY_NAME)).to_be_visible()
    expect(page.get_by_text(INTRODUCTION)).to_be_visible()
    expect(page.get_by_test_id("notice-period")).to_contain_text("The notice ended on")
    screenshot("registry-notice-en")

    # The auditor concludes the notice: the agency is admitted.
    sign_in(page, live_server, AUDITOR_EMAIL)
    page.goto(live_server + f"/registry/review/{agency.id}")
    page.get_by_role("button", name="Conclude the notice and admit").click()
    expect(page.get_by_text("The notice is concluded and the agency is admitted")).to_be_visible()
    expect(page.get_by_test_id("registry-status")).to_have_text("admitted")
    sign_out(page)

    # The agency sees it on its home page.
    sign_in(page, live_server, AGENCY_EMAIL)
    expect(page.get_by_test_id("home-registry-status")).to_have_text("admitted")
    expect(page.get_by_test_id("home-registry-next")).to_contain_text(
        "publish your offerings")
    db.session.expire_all()
    assert db.session.get(AgencyProfile, agency.id).status == AgencyStatus.ADMITTED

    # It publishes an offering...
    page.get_by_role("link", name="My offerings").first.click()
    page.get_by_role("link", name="New offering").first.click()
    page.get_by_label("Title").fill(OFFERING_TITLE)
    page.get_by_label("Service category").select_option(label="Inspection and testing")
    page.get_by_label("Description").fill("金属与复合材料的成分、力学性能检测，出具CMA报告。")
    page.get_by_label("Deliverables").fill("检测报告（CMA）")
    page.get_by_label("Fixed price (yuan)").fill("6800")
    page.get_by_label("Typical duration (days)").fill("7")
    page.get_by_role("button", name="Save the offering").click()
    expect(page.get_by_text("The offering is published.")).to_be_visible()
    sign_out(page)

    # ...which a visitor finds by searching 检测 (a part of the title) in the catalogue.
    page.goto(live_server + "/catalogue")
    in_english(page)
    page.get_by_label("Search the catalogue").fill("检测")
    page.get_by_role("button", name="Search", exact=True).click()
    result = page.get_by_role("link", name=OFFERING_TITLE)
    expect(result).to_be_visible()
    screenshot("catalogue-search-en")
    result.click()
    expect(page.get_by_role("heading", name=OFFERING_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=AGENCY_NAME).first).to_be_visible()
    # the refused form answered 422, as designed; Chromium logs that status as an error
    refused = [m for m in page_problems.console_errors
               if "status of 422" in m and "/registry/application" in m]
    assert len(refused) == 1
    page_problems.console_errors = [m for m in page_problems.console_errors
                                    if m not in refused]
    page_problems.assert_none()
