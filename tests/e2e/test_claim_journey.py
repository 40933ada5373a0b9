"""A claim from acceptance to disbursement, in the browser: the firm follows its claim,
the auditor reads the automatic checks and approves, the expert drawn from the contract's
field accepts and scores, a supervisor (not the auditor) gives the final approval with
the panel in view, then puts the claim into a disbursement batch, downloads its bank
file, records the treasury's payment, and the agency sees its claim paid.

The order itself is built through the services (the order journey drives it in the
browser): a ¥200,000 contract whose voucher part, ¥100,000, goes to the experts.
The pages are read in English (one click on the language switch).
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.claims.disbursement import EXPORT_COLUMNS
from marketplace.claims.expert_models import ExpertInvitation, InvitationState
from marketplace.claims.models import BatchStatus, Claim, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from tests.e2e.steps import sign_in, sign_out
from tests.factories import (AgencyMemberFactory, FirmMemberFactory,
                             UserFactory, make_agency_profile, make_offering)
from tests.integration.claims.test_claim_workflow import accepted_claim, settle
from tests.integration.claims.test_experts import make_expert

pytestmark = pytest.mark.e2e

FIRM_EMAIL = "finance@ganzhou-rare-earth.example"
FIRM_NAME = "赣州稀土新材料有限公司"
AGENCY_EMAIL = "claims@poyang-testing.example"
AGENCY_NAME = "鄱阳湖检测技术中心"
AUDITOR_EMAIL = "claims-auditor@example.com"
EXPERT_EMAIL = "panel-expert@example.com"
SUPERVISOR_EMAIL = "claims-supervisor@example.com"
OFFERING_TITLE = "稀土材料成分检测"
TREASURY_REFERENCE = "GK-2025-000731"
EXPERT_COMMENT = "检测项目必要，报价符合市场水平，报告完整。"


@pytest.fixture
def claim_at_first_review():
    """A ¥100,000 voucher part at first review with its checks done, assigned to the
    one auditor; one expert of the field (testing, the offering's category); a
    supervisor. Everyone reads English."""
    auditor = UserFactory(role=Role.AUDITOR, email=AUDITOR_EMAIL, name="审核员乙",
                          locale="en")
    supervisor = UserFactory(role=Role.SUPERVISOR, email=SUPERVISOR_EMAIL, name="科长丙",
                             locale="en")
    expert = make_expert("testing")
    expert.user.email = EXPERT_EMAIL
    expert.user.name = "李教授"
    expert.user.locale = "en"
    agency_member = AgencyMemberFactory(email=AGENCY_EMAIL, organisation__name=AGENCY_NAME,
                                        name="赵工", locale="en")
    offering = make_offering(make_agency_profile(agency_member), title=OFFERING_TITLE,
                             category_code="testing", price_fen=200_000_00)
    firm_member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name=FIRM_NAME,
                                    name="刘会计", locale="en")
    claim = settle(accepted_claim(firm_member, amount_fen=200_000_00, offering=offering,
                                  invoice="36007788"))
    db.session.commit()
    assert claim.status == ClaimStatus.FIRST_REVIEW
    assert claim.amount_fen == 100_000_00
    assert claim.assigned_auditor_id == auditor.id
    return {"claim_id": claim.id, "auditor": auditor, "supervisor": supervisor,
            "expert": expert}


def the_claim(claim_id):
    db.session.expire_all()
    return db.session.get(Claim, claim_id)


def test_a_claim_travels_from_acceptance_to_disbursement(
        page, live_server, claim_at_first_review, csrf_on, confirm_dialogs, page_problems,
        screenshot):
    claim_id = claim_at_first_review["claim_id"]
    claim_url = live_server + f"/claims/{claim_id}"
    claim_name = f"Claim #{claim_id}"

    # The firm follows its claim: first review.
    sign_in(page, live_server, FIRM_EMAIL)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row).to_contain_text("¥100,000.00")
    expect(row.get_by_test_id("claim-status")).to_have_text("first review")
    row.get_by_role("link", name=claim_name).click()
    expect(page.get_by_test_id("waiting")).to_have_text(
        "An auditor reviews the claim and the evidence of the checks.")
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    sign_out(page)

    # The auditor opens it from the queue, reads the checks and approves.
    sign_in(page, live_server, AUDITOR_EMAIL)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row).to_contain_text("审核员乙")
    row.get_by_role("link", name=claim_name).click()
    expect(page).to_have_url(claim_url)
    checks = page.get_by_test_id("checks").locator("li")
    expect(checks).to_have_count(6)
    for name in ("related_party", "split_order", "duplicate_invoice", "agency_status",
                 "voucher_and_reservation", "copay_received"):
        expect(page.locator(f'[data-check="{name}"]')).to_have_attribute("data-result",
                                                                        "pass")
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Comment (required to return or reject", exact=False).fill(
        "材料齐全，发票与合同一致。")
    screenshot("claim-first-review-en")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is recorded; the firm and the agency are told.")
           ).to_be_visible()
    claim = the_claim(claim_id)
    assert claim.status == ClaimStatus.EXPERT_REVIEW
    assert claim.first_reviewer_id == claim_at_first_review["auditor"].id
    sign_out(page)

    # The expert accepts the invitation and scores the claim.
    sign_in(page, live_server, EXPERT_EMAIL)
    page.get_by_role("link", name="Expert reviews").first.click()
    expect(page.get_by_role("heading", name="Expert reviews")).to_be_visible()
    invited = page.get_by_test_id("invited")
    expect(invited).to_contain_text(claim_name)
    invited.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Thank you: the claim is yours to score.")).to_be_visible()
    to_score = page.get_by_test_id("accepted")
    expect(to_score).to_contain_text(claim_name)
    to_score.get_by_label("Necessity").select_option("5")
    to_score.get_by_label("Price reasonableness").select_option("4")
    to_score.get_by_label("Delivery quality").select_option("4")
    to_score.get_by_label("Comment (your reasons, for the supervisor)").fill(EXPERT_COMMENT)
    screenshot("claim-expert-score-en")
    to_score.get_by_role("button", name="Record the scores").click()
    expect(page.get_by_text("Your scores are recorded; the supervisor sees them with the "
                            "claim.")).to_be_visible()
    expect(page.get_by_test_id("done").locator("[data-status]")).to_have_attribute(
        "data-status", "scored")
    assert the_claim(claim_id).status == ClaimStatus.FINAL_APPROVAL
    sign_out(page)

    # A supervisor opens the final-approval queue, reads the panel and approves.
    sign_in(page, live_server, SUPERVISOR_EMAIL)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row.get_by_test_id("claim-status")).to_have_text("final approval")
    row.get_by_role("link", name=claim_name).click()
    panel = page.get_by_test_id("panel")
    expect(panel.get_by_test_id("panel-summary")).to_contain_text(
        "Experts who scored: 1; mean score 4.33 of 5.")
    # a panel of one of three drawn is on the timeline, in words rather than its key
    expect(page.get_by_test_id("timeline")).to_contain_text("fewer experts could be drawn")
    expect(panel).to_contain_text(EXPERT_COMMENT)
    expect(page.get_by_text("First review by 审核员乙.")).to_be_visible()
    page.get_by_label("Approve", exact=True).check()
    screenshot("claim-final-approval-en")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is recorded; the firm and the agency are told.")
           ).to_be_visible()
    assert the_claim(claim_id).status == ClaimStatus.APPROVED

    # It puts the claim into a batch, downloads the bank file, and records the payment.
    page.get_by_role("link", name="Disbursement", exact=True).first.click()
    expect(page.get_by_role("heading", name="Disbursement", exact=True)).to_be_visible()
    page.get_by_label(claim_name, exact=True).check()
    page.get_by_role("button", name="Create a batch of the chosen claims").click()
    batch = db.session.execute(select(DisbursementBatch)).scalar_one()
    expect(page.get_by_text(f"Batch #{batch.id} is created. Download its payment file for "
                            "the treasury.")).to_be_visible()
    expect(page.get_by_test_id("batch-total")).to_have_text("¥100,000.00")
    expect(page.get_by_test_id("batch-status")).to_have_text("awaiting the treasury")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"disbursement-batch-{batch.id}.csv"
    with open(download.path(), encoding="utf-8-sig") as exported:
        lines = exported.read().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert len(lines) == 2
    assert lines[1].startswith(f"CLAIM-{claim_id},{AGENCY_NAME},")
    assert ",100000.00,10000000," in lines[1]
    page.get_by_label("Treasury payment reference").fill(TREASURY_REFERENCE)
    page.get_by_label("I confirm that the treasury has paid every claim of this batch."
                      ).check()
    screenshot("claim-batch-en")
    page.get_by_role("button", name="Record as paid").click()
    expect(page.get_by_text(f"Batch #{batch.id} is recorded as paid; each agency is told.")
           ).to_be_visible()
    expect(page.get_by_test_id("batch-status")).to_have_text("paid by the treasury")
    expect(page.get_by_test_id("paid")).to_contain_text(TREASURY_REFERENCE)
    sign_out(page)

    # The agency sees its claim paid.
    sign_in(page, live_server, AGENCY_EMAIL)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row.get_by_test_id("claim-status")).to_have_text("disbursed")
    row.get_by_role("link", name=claim_name).click()
    expect(page.get_by_test_id("waiting")).to_have_text("Paid to the agency.")
    screenshot("claim-paid-agency-en")

    claim = the_claim(claim_id)
    assert claim.status == ClaimStatus.DISBURSED
    assert claim.disbursement_batch_id == batch.id
    db.session.refresh(batch)
    assert batch.status == BatchStatus.PAID and batch.treasury_reference == TREASURY_REFERENCE
    assert batch.export_count == 1
    invitation = db.session.execute(select(ExpertInvitation)).scalar_one()
    assert invitation.status == InvitationState.SCORED
    assert invitation.expert_id == claim_at_first_review["expert"].user_id
    assert ledger.violations() == []
    assert [m.split("?")[0] for m in confirm_dialogs] == [
        "Record this decision", "Record this decision",
        "Put the chosen claims into a new batch", "Record this batch as paid"]
    page_problems.assert_none()
