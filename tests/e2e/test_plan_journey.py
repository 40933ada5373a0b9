"""The rest of the bureau's plan in Chromium, in Chinese and in English, on the demo data:
a researcher of the demo university applies to be a science and technology commissioner,
the auditor approves the application and recognises them once the notice has run (a
notice of zero days), a demo firm asks to be paired and the commissioner accepts, logs a
service the firm confirms, and the monitoring page counts it; an expert from Shanghai
applies to join the pool, the auditor admits them and the pool page shows the share from
outside the province; the auditor computes last year's rewards for registration and
exports them."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.commissioners.models import Commissioner
from marketplace.core import outbox
from marketplace.extensions import db
from tests.e2e.steps import LANGUAGES, sign_in, sign_out, use_language

pytestmark = pytest.mark.e2e
RESEARCHER = "agency2@demo.local"      # 陈静 of the university's technology transfer centre
FIRM = "firm1@demo.local"
AUDITOR = "auditor@demo.local"
LAST_YEAR = date.today().year - 1


@pytest.fixture
def plan_demo(app, demo_data):
    """The demo cast, a notice of zero days and last year's registered contracts."""
    from marketplace.demo.contracts import seed_demo_contracts

    previous = app.config["COMMISSIONER_NOTICE_DAYS"]
    app.config["COMMISSIONER_NOTICE_DAYS"] = 0
    seed_demo_contracts(60, year=LAST_YEAR, today=date(LAST_YEAR, 12, 31))
    db.session.commit()
    outbox.relay_pending()
    yield
    app.config["COMMISSIONER_NOTICE_DAYS"] = previous


def district_id(code):
    return db.session.execute(select(District.id).where(District.code == code)).scalar_one()


def researcher_applies(page, live_server, t, screenshot, lang):
    sign_in(page, live_server, RESEARCHER, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_role("link", name=t("My commissioner page")).click()
    page.get_by_role("link", name=t("Apply to be a commissioner")).click()
    page.get_by_label(t("Technology field")).select_option("new_materials")
    page.get_by_label(t("Professional title and position")).fill("教授")
    page.get_by_label(t("Qualifications (degrees, certificates, achievements)")).fill(
        "博士，复合材料方向二十年")
    page.get_by_label(t("Expertise: what you can help with")).fill("复合材料的配方与成型工艺")
    page.get_by_label(t("Areas, firms, villages or parks you will serve")).fill(
        "南昌高新区的新材料企业")
    page.get_by_label(t("District where you will mainly serve")).select_option(
        str(district_id("high_tech_zone")))
    screenshot(f"plan-commissioner-apply-{lang}")
    page.get_by_role("button", name=t("Submit the application")).click()
    expect(page.get_by_test_id("commissioner-status")).to_have_text(t("submitted"))
    sign_out(page, t)


def auditor_recognises(page, live_server, t):
    sign_in(page, live_server, AUDITOR, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_role("link", name=t("Applications"), exact=True).click()
    page.get_by_role("link", name="陈静 Chen Jing").click()
    page.get_by_label(t("Approve and open the public notice")).check()
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.get_by_test_id("commissioner-status")).to_have_text(t("on public notice"))
    page.get_by_role("button", name=t("Conclude the notice and recognise")).click()
    expect(page.get_by_test_id("commissioner-status")).to_have_text(t("recognised"))
    sign_out(page, t)


def firm_asks_to_be_paired(page, live_server, t):
    sign_in(page, live_server, FIRM, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_label(t("Name, organisation or expertise")).fill("成型工艺")
    page.get_by_role("button", name=t("Search")).click()
    page.get_by_test_id("directory").get_by_role("link", name="陈静 Chen Jing").click()
    page.get_by_label(t("What would you like help with?")).fill("碳纤维部件的成型缺陷")
    page.get_by_role("button", name=t("Ask to be paired")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Our commissioners"))
    sign_out(page, t)


def commissioner_accepts_and_logs(page, live_server, t, screenshot, lang):
    sign_in(page, live_server, RESEARCHER, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_role("link", name=t("My commissioner page")).click()
    page.get_by_role("button", name=t("Accept")).click()
    page.get_by_label(t("Served firm, village or park")).select_option(
        label="南昌赣新材料科技有限公司")
    page.get_by_label(t("Date of the service")).fill(date.today().isoformat())
    page.get_by_label(t("Place"), exact=True).fill("企业成型车间")
    page.get_by_label(t("Who took part")).fill("生产部经理与两名工艺员")
    page.get_by_label(t("What was done")).fill("分析成型缺陷，调整固化温度曲线")
    page.get_by_label(t("Service outcome"), exact=True).fill("缺陷率由6%降至2%")
    page.get_by_role("button", name=t("Log the service")).click()
    expect(page.get_by_test_id("services")).to_contain_text("分析成型缺陷")
    screenshot(f"plan-commissioner-mine-{lang}")
    sign_out(page, t)


def firm_confirms(page, live_server, t):
    sign_in(page, live_server, FIRM, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_role("link", name=t("Our commissioners")).click()
    answer = page.locator("[data-testid^=answer-]")
    answer.get_by_label(t("Confirm: the service took place as recorded")).check()
    answer.get_by_role("button", name=t("Send the answer")).click()
    expect(page.locator("[data-testid^=service-status-]")).to_have_text(t("confirmed"))
    sign_out(page, t)


def monitoring_counts_it(page, live_server, t, screenshot, lang):
    commissioner_id = db.session.execute(select(Commissioner.id)).scalar_one()
    sign_in(page, live_server, AUDITOR, lang=t)
    page.get_by_role("link", name=t("S&T commissioners")).click()
    page.get_by_role("link", name=t("Monitoring"), exact=True).click()
    expect(page.get_by_test_id(f"confirmed-{commissioner_id}")).to_have_text("1 / 1")
    expect(page.get_by_test_id(f"monitoring-{commissioner_id}")).to_contain_text("陈静")
    screenshot(f"plan-monitoring-{lang}")


def expert_applies(page, live_server, t):
    page.goto(live_server + "/")
    use_language(page, t)      # signed out: the visitor's language again
    page.get_by_test_id("footer-experts").click()
    page.get_by_label(t("Name"), exact=True).fill("沈一鸣")
    page.get_by_label(t("E-mail"), exact=True).fill(f"shen.{t.code}@sjtu.example.cn")
    page.get_by_label(t("Title and position"), exact=True).fill("教授，材料加工")
    page.get_by_label(t("Organisation you work for"), exact=True).fill("上海交通大学")
    page.get_by_label(t("Province where you work")).select_option("31")
    page.locator("input[name=field_ids]").first.check()
    page.get_by_label(t("Your ties (employment, shareholding, family...) and to whom")).fill(
        "无")
    page.get_by_label(t("I declare that these facts are true and complete.")).check()
    page.get_by_role("button", name=t("Apply to join the expert pool")).click()
    expect(page.get_by_test_id("applied")).to_be_visible()


def auditor_admits_and_reads_the_share(page, live_server, t, screenshot, lang):
    sign_in(page, live_server, AUDITOR, lang=t)
    page.get_by_role("link", name=t("Expert pool"), exact=True).click()
    page.get_by_role("link", name=t("Applications to join")).click()
    page.get_by_role("link", name="沈一鸣").click()
    page.get_by_label(t("Admit to the pool")).check()
    page.get_by_role("button", name=t("Record the decision")).click()
    page.get_by_role("link", name=t("Expert pool"), exact=True).first.click()
    share = page.get_by_test_id("pool-share")
    expect(share).to_have_attribute("data-out-of-province", "1")
    expect(share).to_have_attribute("data-total", "4")          # expert1-3 and the new one
    expect(page.get_by_test_id("share-percent")).to_have_text("25.0%")
    expect(page.get_by_test_id("experts")).to_contain_text("沈一鸣")
    screenshot(f"plan-expert-pool-{lang}")


def auditor_computes_and_exports_rewards(page, t, screenshot, lang):
    page.get_by_role("link", name=t("Registration rewards")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Rewards for registering contracts %(year)s", year=LAST_YEAR))
    # the question before computing is asked by app.js: the page must have loaded it
    page.wait_for_load_state("load")
    page.get_by_role("button", name=t("Compute the reward list")).click()
    expect(page.get_by_test_id("list-status")).to_have_text(t("computed, to be reviewed"))
    total = page.get_by_test_id("reward-total")
    assert int(total.get_attribute("data-value")) > 0
    expect(page.get_by_test_id("reward-lines")).to_contain_text(t("seller"))
    page.get_by_label(t("Role"), exact=True).select_option("registration_office")
    page.get_by_role("button", name=t("Filter")).click()
    expect(page.get_by_test_id("reward-lines")).to_contain_text(
        t("Registration office of %(district)s", district=""))
    screenshot(f"plan-rewards-{lang}")
    with page.expect_download() as download:
        page.get_by_test_id("export-rewards").click()
    assert re.fullmatch(rf"rewards-{LAST_YEAR}-computed\.xlsx",
                        download.value.suggested_filename)
    with open(download.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"      # an XLSX is a zip


@LANGUAGES
def test_commissioners_experts_and_rewards(page, live_server, plan_demo, lang, csrf_on,
                                           confirm_dialogs, page_problems, screenshot):
    t = lang
    researcher_applies(page, live_server, t, screenshot, lang)
    auditor_recognises(page, live_server, t)
    firm_asks_to_be_paired(page, live_server, t)
    commissioner_accepts_and_logs(page, live_server, t, screenshot, lang)
    firm_confirms(page, live_server, t)
    monitoring_counts_it(page, live_server, t, screenshot, lang)
    sign_out(page, t)
    expert_applies(page, live_server, t)
    auditor_admits_and_reads_the_share(page, live_server, t, screenshot, lang)
    auditor_computes_and_exports_rewards(page, t, screenshot, lang)
    assert confirm_dialogs and all(confirm_dialogs)   # computing asked first
    page_problems.assert_none()
