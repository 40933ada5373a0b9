"""Journey (e), identity the bureau can trust, in the browser, in Chinese and in English:

a firm's owner reads its facts (version 1, tech SME by the certification list), asks to be
a high-tech enterprise naming its certificate; the demo auditor finds the request among
the changes of facts, reads old and new and the certificate, and approves it; the firm sees
version 2 and its new tier. The auditor then opens a claim blocked because the agency's
director is the firm's legal representative (the same identity number, the name written
with a space), and reads the evidence: the person on both sides, the number masked, the
facts at signing and now.

The claim is built through the services (journeys (a) to (c) drive orders and claims in
the browser)."""
import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import FirmTier
from marketplace.accounts.services import find_user_by_email
from marketplace.claims import assignment
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.extensions import db
from marketplace.integrity import certification
from tests.e2e.steps import LANGUAGES, sign_in, sign_out
from tests.factories import AgencyMemberFactory, FirmMemberFactory, make_agency_profile, \
    make_offering
from tests.integration.claims.test_claim_workflow import accepted_claim, settle
from tests.support.identity import add_people, person, resident_id

pytestmark = pytest.mark.e2e

FIRM_EMAIL = "owner@ganjiang-optics.example"
FIRM_NAME = "赣江光电科技有限公司"
REPRESENTATIVE = "欧阳明"
AGENCY_NAME = "南昌光学检测技术服务中心"
AUDITOR_EMAIL = "auditor@demo.local"
SUPERVISOR_EMAIL = "supervisor@demo.local"
CERTIFICATE = "GR202536001234"
REASON = "我司已通过高新技术企业认定，证书见附件。"


@pytest.fixture
def related_claim(demo_data, lang):
    """The firm (tech SME on the list) and a claim at first review with the demo auditor,
    blocked: the agency's director is the firm's legal representative."""
    firm_member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name=FIRM_NAME,
                                    organisation__legal_representative=REPRESENTATIVE,
                                    name="欧阳明", locale=lang.code)
    agency_member = AgencyMemberFactory(organisation__name=AGENCY_NAME, locale=lang.code)
    number = resident_id(firm_member.organisation.id)     # the representative's
    add_people(agency_member.organisation,
               person("officer", "欧阳 明", title="director", id_number=number))
    offering = make_offering(make_agency_profile(agency_member), title="光学元件性能检测",
                             price_fen=80_000_00)
    claim = settle(accepted_claim(firm_member, amount_fen=80_000_00, offering=offering,
                                  invoice="36008899"))
    auditor = find_user_by_email(AUDITOR_EMAIL)
    if claim.assigned_auditor_id != auditor.id:
        assignment.reassign(claim, find_user_by_email(SUPERVISOR_EMAIL), auditor.id)
    db.session.commit()
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.is_blocked
    return {"claim_id": claim.id, "number": number,
            "organisation_id": firm_member.organisation_id}


@LANGUAGES
def test_a_tier_change_is_reviewed_and_a_person_based_related_party_is_read(
        page, live_server, lang, related_claim, csrf_on, confirm_dialogs, page_problems,
        screenshot):
    t = lang

    # The firm reads its facts and asks for the high-tech tier, naming its certificate.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    page.get_by_role("link", name=t("My organisation")).first.click()
    expect(page.get_by_test_id("version")).to_have_text(t("version %(number)s", number=1))
    expect(page.get_by_test_id("certified-tier")).to_have_text(t("Tech SME"))
    masked = related_claim["number"][:4] + "*" * 10 + related_claim["number"][-4:]
    expect(page.get_by_test_id("people")).to_contain_text(masked)
    page.get_by_test_id("request-change").click()
    page.get_by_label(t("Firm tier"), exact=True).select_option(value="high_tech")
    page.get_by_label(t("Certificate number of the tier")).fill(CERTIFICATE)
    page.get_by_label(t("Certificate valid from")).fill("2025-12-01")
    page.get_by_label(t("Certificate valid until")).fill("2028-11-30")
    page.get_by_label(t("What changed and why (for the auditor)")).fill(REASON)
    screenshot(f"identity-tier-request-{t}")
    page.get_by_role("button", name=t("Send the request to the auditor")).click()
    expect(page.get_by_test_id("request-status")).to_have_attribute("data-status", "pending")
    expect(page.get_by_test_id("certificate")).to_contain_text(CERTIFICATE)
    sign_out(page, t)

    # The auditor finds it among the changes of facts, reads old and new, and approves.
    sign_in(page, live_server, AUDITOR_EMAIL, lang=t)
    page.get_by_role("link", name=t("Changes of facts")).first.click()
    queue = page.get_by_test_id("change-queue")
    expect(queue).to_contain_text(FIRM_NAME)
    queue.get_by_role("link").first.click()
    changed = page.locator('[data-field="firm_tier"]')
    expect(changed).to_have_attribute("data-changed", "1")
    expect(changed).to_contain_text(t("High-tech enterprise"))
    expect(page.get_by_test_id("certificate")).to_contain_text(CERTIFICATE)
    page.get_by_label(t("Approve: the proposed facts become the next version")).check()
    page.get_by_label(t("I checked the changed facts against the documents (and the "
                        "certificate, for a tier).")).check()
    screenshot(f"identity-tier-review-{t}")
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.get_by_text(t("The decision is recorded and the organisation is told."))
           ).to_be_visible()
    db.session.expire_all()
    firm = db.session.get(type(find_user_by_email(FIRM_EMAIL).organisation),
                          related_claim["organisation_id"])
    assert firm.current_version.number == 2
    assert certification.tier_on(firm.uscc).tier == FirmTier.HIGH_TECH

    # It opens the blocked claim and reads why: one person on both sides.
    page.goto(live_server + f"/claims/{related_claim['claim_id']}")
    expect(page.get_by_test_id("blocked-banner")).to_be_visible()
    expect(page.locator('[data-check="related_party"]')).to_have_attribute("data-result",
                                                                            "block")
    match = page.get_by_test_id("related-matches").locator('[data-shared="person"]')
    expect(match).to_contain_text(t("The same person"))
    expect(match).to_contain_text(REPRESENTATIVE)
    expect(match).to_contain_text("欧阳 明")
    expect(match).to_contain_text(t("Director"))
    expect(match).to_contain_text(masked)
    expect(match).to_contain_text(t("facts at signing"))
    screenshot(f"identity-related-person-{t}")
    sign_out(page, t)

    # The firm reads version 2 with its new tier.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    page.get_by_role("link", name=t("My organisation")).first.click()
    expect(page.get_by_test_id("version")).to_have_text(t("version %(number)s", number=2))
    expect(page.get_by_test_id("certified-tier")).to_have_text(t("High-tech enterprise"))
    page_problems.assert_none()
    assert db.session.get(Claim, related_claim["claim_id"]).is_blocked
