"""Accessibility and phones, in Chromium, on the demo data (`flask seed-demo`):

- axe-core (from npm, tests/e2e/package.json, installed by `make e2e-tools`) is injected
  into the main pages and finds no serious or critical violation; the summary (pages, rules,
  violations by impact) is written to test-artifacts/axe-summary.json;
- a firm signs in and reaches its next step with the keyboard alone, the focus visible;
- at phone width (390×844) no main page scrolls sideways and the menu collapses;
- the supervisor's navigation fits a 1280-pixel screen.
"""
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.catalogue.models import Offering
from marketplace.demo.seed import DEMO_PROGRAMME_NAME
from marketplace.extensions import db
from marketplace.vouchers.models import Programme
from tests.e2e.conftest import ROOT
from tests.e2e.steps import Lang, sign_in, sign_out
from tests.factories import TEST_PASSWORD, FirmMemberFactory
from tests.integration.claims.test_claim_workflow import accepted_claim, settle

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SUMMARY = ROOT / "test-artifacts" / "axe-summary.json"
FAILING_IMPACTS = ("serious", "critical")
FIRM_EMAIL = "a11y-firm@example.com"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def axe_source():
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make e2e-tools` (needs npm; it installs "
                    "the version pinned in tests/e2e/package.json into tests/e2e/node_modules)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def site(demo_data):
    """Demo data plus a firm with an order accepted and its claim at first review."""
    firm_member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name="南昌无障碍科技有限公司",
                                    locale="zh")
    claim = settle(accepted_claim(firm_member, amount_fen=30_000_00))
    offering_id = db.session.execute(select(Offering.id).where(   # the demo's, made first
        Offering.title == "材料检测服务").order_by(Offering.id).limit(1)).scalar_one()
    programme_id = db.session.execute(select(Programme.id).where(
        Programme.name == DEMO_PROGRAMME_NAME)).scalar_one()
    return {"claim": claim.id, "order": claim.order_id, "offering": offering_id,
            "programme": programme_id}


def main_pages(site):
    """(who signs in, page name, path): the pages of the journeys."""
    return [
        (None, "landing", "/"),
        (None, "catalogue search", "/catalogue?q=%E6%A3%80%E6%B5%8B"),
        (None, "offering", f"/offerings/{site['offering']}"),
        (None, "login", "/login"),
        (None, "register", "/register"),
        (FIRM_EMAIL, "firm home", "/"),
        (FIRM_EMAIL, "voucher apply", f"/programmes/{site['programme']}/apply"),
        (FIRM_EMAIL, "order page", f"/orders/{site['order']}"),
        (FIRM_EMAIL, "claim page", f"/claims/{site['claim']}"),
        ("auditor@demo.local", "reviewer home", "/"),
        ("auditor@demo.local", "review queue (claims)", "/claims"),
        ("auditor@demo.local", "review queue (vouchers)", "/review/voucher-applications"),
        ("auditor@demo.local", "claim review", f"/claims/{site['claim']}"),
        ("agency1@demo.local", "agency home", "/"),
        ("agency1@demo.local", "my offerings", "/my/offerings"),
        ("agency1@demo.local", "exchange results", "/exchange/results"),
        ("agency1@demo.local", "exchange demands", "/exchange/demands"),
        ("agency1@demo.local", "new result", "/exchange/results/new"),
        ("supervisor@demo.local", "turnover dashboard", "/turnover/dashboard"),
        ("supervisor@demo.local", "contract registry", "/contracts"),
        ("supervisor@demo.local", "disbursements", "/disbursements"),
        ("admin@demo.local", "expert pool", "/experts"),
        ("admin@demo.local", "registry import", "/contracts/imports"),
        (None, "transparency", "/transparency"),
    ]


def visit_as(page, live_server, who, current):
    """Sign in as ``who`` (None: a visitor) unless already; returns who is signed in."""
    if who == current:
        return current
    if current is not None:
        page.context.clear_cookies()    # a new session (the journeys sign out by the menu)
    if who is not None:
        sign_in(page, live_server, who, lang=Lang("zh"))
    return who


def test_the_main_pages_have_no_serious_accessibility_violation(
        page, live_server, site, axe_source, csrf_on, page_problems):
    summary = {"axe_core": json.loads((AXE.parent / "package.json").read_text())["version"],
               "pages": [], "violations_by_impact": {}}
    failures = []
    who = None
    for user, name, path in main_pages(site):
        who = visit_as(page, live_server, user, who)
        page.goto(live_server + path)
        expect(page.locator("main")).to_be_visible()
        page.evaluate(axe_source)   # through DevTools: the page's CSP does not apply
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }""")
        summary["pages"].append({"page": name, "path": path, "violations": result})
        for violation in result:
            impact = violation["impact"] or "minor"
            summary["violations_by_impact"][impact] = \
                summary["violations_by_impact"].get(impact, 0) + 1
            if impact in FAILING_IMPACTS:
                failures.append(f"{name} ({path}): {violation['id']} [{impact}] "
                                f"{violation['help']} at {violation['nodes']}")
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not failures, "axe found:\n" + "\n".join(failures)
    page_problems.assert_none()


def test_a_firm_signs_in_and_reaches_its_next_step_with_the_keyboard(
        page, live_server, site, csrf_on, page_problems):
    t = Lang("zh")
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text(t("Skip to the content"))
    assert _outline(page) != "none"     # the focus is visible

    def tab_to(locator, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if locator.evaluate("node => node === document.activeElement"):
                assert _outline(page) != "none"
                return
        raise AssertionError(f"Tab never reached {locator}")

    tab_to(page.get_by_label(t("E-mail"), exact=True))
    page.keyboard.type(FIRM_EMAIL)
    tab_to(page.get_by_label(t("Password"), exact=True))
    page.keyboard.type(TEST_PASSWORD)
    tab_to(page.get_by_role("button", name=t("Sign in")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/")
    # the firm holds a voucher: its next step is the catalogue
    action = page.get_by_test_id("home-next-action")
    tab_to(action)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/catalogue")
    page_problems.assert_none()


def _outline(page):
    return page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                         " return s.outlineStyle === 'none' && s.boxShadow === 'none'"
                         " ? 'none' : s.outlineStyle + ' ' + s.boxShadow; }")


def _overflow(page):
    # after the page's stylesheets: measured before them (a switch of language or a
    # sign-in has just started a new page), the unstyled navigation is ~1,300px too wide
    page.wait_for_load_state("load")
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


def test_the_main_pages_fit_a_phone_and_the_menu_collapses(
        page, live_server, site, csrf_on, page_problems, screenshot):
    page.set_viewport_size(PHONE)
    wide = []
    who = None
    for user, name, path in main_pages(site):
        who = visit_as(page, live_server, user, who)
        page.goto(live_server + path)
        extra = _overflow(page)
        if extra > 0:
            wide.append(f"{name} ({path}): {extra}px wider than the screen")
        if name in ("firm home", "order page", "review queue (claims)"):
            screenshot(f"phone-{name.split(' (')[0].replace(' ', '-')}")
    assert not wide, "pages scroll sideways at 390px:\n" + "\n".join(wide)
    toggler = page.get_by_role("button", name=Lang("zh")("Menu"))
    expect(toggler).to_be_visible()
    expect(page.locator("#mainnav")).not_to_be_visible()
    toggler.click()
    expect(page.locator("#mainnav")).to_be_visible()
    page_problems.assert_none()


def test_the_supervisors_navigation_fits_a_laptop_screen(page, live_server, demo_data,
                                                        csrf_on, page_problems):
    for code in ("zh", "en"):
        sign_in(page, live_server, "supervisor@demo.local", lang=Lang(code))
        assert _overflow(page) <= 0
        nav = page.locator("#mainnav")
        box = nav.bounding_box()
        container = page.locator("nav.navbar > .container").bounding_box()
        assert box["x"] + box["width"] <= container["x"] + container["width"] + 1
        sign_out(page, Lang(code))
    page_problems.assert_none()
