"""Journey (c), the bureau takes claims through every stage, in the browser, in Chinese
and in English, on the demo data (`flask seed-demo`):

the demo auditor finds two claims on the home-page queue, the oldest first; it returns
the first for correction and the firm corrects and submits it again; the second is
blocked by the related-party check (the firm shares the agency's bank account) and the
auditor reads the evidence and rejects it; the auditor approves the first, the expert
drawn from the contract's field accepts and scores, the demo supervisor (not the auditor)
gives the final approval with the panel in view, puts the claim into a disbursement
batch, downloads its bank file, records the treasury's payment, and the agency sees its
claim paid.

The orders themselves are built through the services (journeys (a) and (b) drive them in
the browser): a ¥200,000 contract whose voucher part, ¥100,000, goes to the experts; the
panel is one expert, so one sign-in scores it.
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.services import find_user_by_email
from marketplace.claims import assignment
from marketplace.claims.disbursement import EXPORT_COLUMNS
from marketplace.claims.expert_models import ExpertInvitation, InvitationState
from marketplace.claims.models import BatchStatus, Claim, ClaimStatus, DisbursementBatch
from marketplace.core import ledger, outbox
from marketplace.extensions import db
from tests.e2e.steps import LANGUAGES, sign_in, sign_out
from tests.factories import (AgencyMemberFactory, FirmMemberFactory,
                             make_agency_profile, make_offering)
from tests.integration.claims.test_claim_workflow import accepted_claim, settle
from tests.integration.claims.test_experts import make_expert
from tests.support.identity import change_facts

pytestmark = pytest.mark.e2e

FIRM_EMAIL = "finance@ganzhou-rare-earth.example"
FIRM_NAME = "赣州稀土新材料有限公司"
RELATED_FIRM_NAME = "鄱阳湖检测仪器销售有限公司"
AGENCY_EMAIL = "claims@poyang-testing.example"
AGENCY_NAME = "鄱阳湖检测技术中心"
AUDITOR_EMAIL = "auditor@demo.local"
SUPERVISOR_EMAIL = "supervisor@demo.local"
OFFERING_TITLE = "稀土材料成分检测"
TREASURY_REFERENCE = "GK-2025-000731"
EXPERT_COMMENT = "检测项目必要，报价符合市场水平，报告完整。"
RETURN_COMMENT = "请补充检测报告的盖章页。"
CORRECTION = "已在订单页上传盖章后的检测报告。"
BLOCK_REASON = "企业与服务机构银行账户相同，属关联交易。"


@pytest.fixture
def panel_of_one(app):
    previous = app.config.get("CLAIM_EXPERT_PANEL")
    app.config["CLAIM_EXPERT_PANEL"] = 1
    yield
    if previous is None:
        app.config.pop("CLAIM_EXPERT_PANEL")
    else:
        app.config["CLAIM_EXPERT_PANEL"] = previous


@pytest.fixture
def claims_at_first_review(demo_data, panel_of_one, lang):
    """Two claims at first review with the demo auditor: a ¥100,000 voucher part (checks
    pass) and, filed later, a ¥10,000 one of a firm sharing the agency's bank account."""
    make_expert("testing")      # the field's pool holds at least this one (and the demo's)
    agency_member = AgencyMemberFactory(email=AGENCY_EMAIL, organisation__name=AGENCY_NAME,
                                        name="赵工", locale=lang.code)
    offering = make_offering(make_agency_profile(agency_member), title=OFFERING_TITLE,
                             category_code="testing", price_fen=200_000_00)
    firm_member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name=FIRM_NAME,
                                    name="刘会计", locale=lang.code)
    claim = settle(accepted_claim(firm_member, amount_fen=200_000_00, offering=offering,
                                  invoice="36007788"))
    related = FirmMemberFactory(organisation__name=RELATED_FIRM_NAME, locale=lang.code)
    change_facts(related.organisation, bank_account=agency_member.organisation.bank_account,
                 bank_name="中国工商银行南昌分行", bank_cnaps_code="102421000011")
    blocked = settle(accepted_claim(related, amount_fen=20_000_00, offering=offering,
                                    invoice="36007799"))
    # the factories' vouchers came with their own auditors: the demo supervisor hands
    # the claims to the demo auditor, as the bureau would
    auditor = find_user_by_email(AUDITOR_EMAIL)
    for c in (claim, blocked):
        if c.assigned_auditor_id != auditor.id:
            assignment.reassign(c, find_user_by_email(SUPERVISOR_EMAIL), auditor.id)
    db.session.commit()
    assert claim.status == blocked.status == ClaimStatus.FIRST_REVIEW
    assert claim.amount_fen == 100_000_00 and not claim.is_blocked and blocked.is_blocked
    assert claim.assigned_auditor_id == blocked.assigned_auditor_id == auditor.id
    return {"claim_id": claim.id, "blocked_id": blocked.id, "auditor": auditor}


def the_claim(claim_id):
    db.session.expire_all()
    return db.session.get(Claim, claim_id)


def decide(page, t, decision, comment=None, confirm=False):
    page.get_by_label(t(decision), exact=True).check()
    if comment:
        page.get_by_label(t("Comment (required to return or reject; shown to the firm and "
                            "the agency)")).fill(comment)
    if confirm:
        page.get_by_label(t("I confirm the rejection.")).check()
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.get_by_text(t("The decision is recorded; the firm and the agency are told.")
                            )).to_be_visible()


@LANGUAGES
def test_claims_are_returned_corrected_blocked_scored_approved_and_paid(
        page, live_server, lang, claims_at_first_review, csrf_on, confirm_dialogs,
        page_problems, screenshot):
    t = lang
    claim_id = claims_at_first_review["claim_id"]
    blocked_id = claims_at_first_review["blocked_id"]
    claim_url = live_server + f"/claims/{claim_id}"
    claim_name = t("Claim #%(id)s", id=claim_id)

    # The auditor's home page lists both claims, the older first; it returns the first.
    sign_in(page, live_server, AUDITOR_EMAIL, lang=t)
    queue = page.get_by_test_id("home-queue")
    rows = queue.get_by_test_id("queue-item").all_inner_texts()
    first = next(i for i, r in enumerate(rows) if FIRM_NAME in r)
    second = next(i for i, r in enumerate(rows) if RELATED_FIRM_NAME in r)
    assert first < second
    queue.get_by_role("link", name=claim_name).click()
    expect(page).to_have_url(claim_url)
    expect(page.get_by_test_id("checks").locator("li")).to_have_count(8)
    for name in ("related_party", "split_order", "duplicate_invoice", "price",
                 "integrity_list", "agency_status", "voucher_and_reservation",
                 "copay_received"):
        expect(page.locator(f'[data-check="{name}"]')).to_have_attribute("data-result",
                                                                        "pass")
    decide(page, t, "Return for correction", RETURN_COMMENT)
    assert the_claim(claim_id).status == ClaimStatus.RETURNED
    sign_out(page, t)

    # The firm reads the comment, corrects and submits again; the checks run again.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    page.get_by_role("link", name=t("Claims"), exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row).to_contain_text("¥100,000.00")
    expect(row.get_by_test_id("claim-status")).to_have_text(t("returned for correction"))
    row.get_by_role("link", name=claim_name).click()
    expect(page.get_by_test_id("return-comment")).to_contain_text(RETURN_COMMENT)
    page.get_by_label(t("What did you correct?")).fill(CORRECTION)
    screenshot(f"claim-returned-firm-{t}")
    page.get_by_role("button", name=t("Submit again")).click()
    db.session.expire_all()
    outbox.relay_pending()      # the checks' round two, if the request left it queued
    assert the_claim(claim_id).status == ClaimStatus.FIRST_REVIEW
    sign_out(page, t)

    # The auditor rejects the blocked claim with the evidence in view, approves the first.
    sign_in(page, live_server, AUDITOR_EMAIL, lang=t)
    page.goto(live_server + f"/claims/{blocked_id}")
    expect(page.get_by_test_id("blocked-banner")).to_be_visible()
    related_party = page.locator('[data-check="related_party"]')
    expect(related_party).to_have_attribute("data-result", "block")
    screenshot(f"claim-blocked-{t}")
    decide(page, t, "Reject", BLOCK_REASON, confirm=True)
    assert the_claim(blocked_id).status == ClaimStatus.REJECTED

    page.goto(claim_url)
    expect(page.get_by_test_id("timeline")).to_contain_text(CORRECTION)
    decide(page, t, "Approve", "补充材料齐全，发票与合同一致。")
    claim = the_claim(claim_id)
    assert claim.status == ClaimStatus.EXPERT_REVIEW
    assert claim.first_reviewer_id == claims_at_first_review["auditor"].id
    sign_out(page, t)

    # The expert drawn (one of the demo pool) accepts the invitation and scores.
    invitation = db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.claim_id == claim_id)).scalar_one()
    expert_email = db.session.get(User, invitation.expert_id).email
    sign_in(page, live_server, expert_email, lang=t)
    page.get_by_role("link", name=t("Expert reviews")).first.click()
    invited = page.get_by_test_id("invited")
    expect(invited).to_contain_text(claim_name)
    invited.get_by_role("button", name=t("Accept"), exact=True).click()
    to_score = page.get_by_test_id("accepted")
    expect(to_score).to_contain_text(claim_name)
    to_score.get_by_label(t("Necessity")).select_option("5")
    to_score.get_by_label(t("Price reasonableness")).select_option("4")
    to_score.get_by_label(t("Delivery quality")).select_option("4")
    to_score.get_by_label(t("Comment (your reasons, for the supervisor)")).fill(EXPERT_COMMENT)
    screenshot(f"claim-expert-score-{t}")
    to_score.get_by_role("button", name=t("Record the scores")).click()
    expect(page.get_by_test_id("done").locator("[data-status]")).to_have_attribute(
        "data-status", "scored")
    assert the_claim(claim_id).status == ClaimStatus.FINAL_APPROVAL
    sign_out(page, t)

    # The supervisor reads the panel and approves.
    sign_in(page, live_server, SUPERVISOR_EMAIL, lang=t)
    page.get_by_role("link", name=t("Claims"), exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row.get_by_test_id("claim-status")).to_have_text(t("final approval"))
    row.get_by_role("link", name=claim_name).click()
    panel = page.get_by_test_id("panel")
    expect(panel.get_by_test_id("panel-summary")).to_contain_text(
        t("Experts who scored: %(count)s; mean score %(mean)s of 5.", count=1, mean="4.33"))
    expect(panel).to_contain_text(EXPERT_COMMENT)
    page.get_by_label(t("Approve"), exact=True).check()
    screenshot(f"claim-final-approval-{t}")
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.get_by_text(t("The decision is recorded; the firm and the agency are told.")
                            )).to_be_visible()
    assert the_claim(claim_id).status == ClaimStatus.APPROVED

    # It puts the claim into a batch, downloads the bank file, and records the payment.
    page.get_by_role("link", name=t("Disbursement"), exact=True).first.click()
    page.get_by_label(claim_name, exact=True).check()
    page.get_by_role("button", name=t("Create a batch of the chosen lines")).click()
    batch = db.session.execute(select(DisbursementBatch)).scalar_one()
    expect(page.get_by_test_id("batch-total")).to_have_text("¥100,000.00")
    expect(page.get_by_test_id("batch-status")).to_have_text(t("awaiting the treasury"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"disbursement-batch-{batch.id}.csv"
    with open(download.path(), encoding="utf-8-sig") as exported:
        lines = exported.read().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert len(lines) == 2
    assert lines[1].startswith(f"CLAIM-{claim_id},voucher_part,{AGENCY_NAME},")
    assert ",100000.00,10000000," in lines[1]
    page.get_by_label(t("Treasury payment reference")).fill(TREASURY_REFERENCE)
    page.get_by_label(t("I confirm that the treasury has paid every line of this batch.")
                      ).check()
    screenshot(f"claim-batch-{t}")
    page.get_by_role("button", name=t("Record as paid")).click()
    expect(page.get_by_test_id("batch-status")).to_have_text(t("paid by the treasury"))
    expect(page.get_by_test_id("paid")).to_contain_text(TREASURY_REFERENCE)
    sign_out(page, t)

    # The agency sees the one claim paid and the other rejected.
    sign_in(page, live_server, AGENCY_EMAIL, lang=t)
    page.get_by_role("link", name=t("Claims"), exact=True).first.click()
    expect(page.locator(f'tr[data-claim="{blocked_id}"]').get_by_test_id("claim-status")
           ).to_have_text(t("rejected"))
    row = page.locator(f'tr[data-claim="{claim_id}"]')
    expect(row.get_by_test_id("claim-status")).to_have_text(t("disbursed"))
    row.get_by_role("link", name=claim_name).click()
    expect(page.get_by_test_id("waiting")).to_have_text(t("Paid to the agency."))

    claim = the_claim(claim_id)
    assert claim.status == ClaimStatus.DISBURSED
    assert claim.disbursement_batch_id == batch.id
    db.session.refresh(batch)
    assert batch.status == BatchStatus.PAID and batch.treasury_reference == TREASURY_REFERENCE
    assert batch.export_count == 1
    db.session.refresh(invitation)
    assert invitation.status == InvitationState.SCORED
    assert ledger.violations() == []
    # return, reject, approve, approve, batch, paid: each asked first
    assert len(confirm_dialogs) == 6
    page_problems.assert_none()
