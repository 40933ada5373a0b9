"""The claim pages through the test client: each role's list with its filters and the SLA
clock, the overdue list, the claim page with its checks and evidence, decisions (four
eyes, reasons, double clicks) and the firm's resubmission."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.claims import services
from marketplace.claims.models import Claim, ClaimDecision, ClaimStatus
from marketplace.core import ledger
from marketplace.extensions import db
from tests.factories import make_offering
from tests.support.identity import change_facts
from tests.integration.claims.builders import (claim_at_final_approval,
                                               claim_at_first_review, page_text, person,
                                               quiet, reload, signed_in)


@pytest.fixture
def supervisor():
    found = person("supervisor", name="Supervisor Zhao")
    db.session.commit()
    return found


@pytest.fixture
def firm_member():
    found = person("firm")
    db.session.commit()
    return found


def decision_form(client, claim, **fields):
    """Post the decision form with a fresh one-time token, as the page would."""
    data = {"idempotency_token": fields.pop("token", None) or f"t-{id(fields)}-{claim.id}"}
    data.update(fields)
    return client.post(f"/claims/{claim.id}/decision", data=data)


# --- lists -----------------------------------------------------------------------------------

def test_a_firm_lists_its_own_claims_and_cannot_open_another_firms(client, auditor,
                                                                   firm_member):
    own = claim_at_first_review(auditor, firm_member)
    other = claim_at_first_review(auditor)
    client = signed_in(firm_member)

    shown = page_text(client.get("/claims"))
    assert f"Claim #{own.id}" in shown and f"Claim #{other.id}" not in shown
    assert "¥50,000.00" in shown
    assert client.get(f"/claims/{other.id}").status_code == 404
    assert client.get(f"/claims/{own.id}").status_code == 200


def test_the_agency_sees_the_claims_that_pay_it(client, auditor):
    offering = make_offering()
    paying = claim_at_first_review(auditor, offering=offering)
    elsewhere = claim_at_first_review(auditor)
    agency_member = offering.agency.organisation.members[0]
    agency_member.locale = "en"
    db.session.commit()
    client = signed_in(agency_member)

    shown = page_text(client.get("/claims"))
    assert f"Claim #{paying.id}" in shown and f"Claim #{elsewhere.id}" not in shown
    assert client.get(f"/claims/{elsewhere.id}").status_code == 404


def test_a_firm_without_claims_sees_an_empty_state(client, firm_member):
    client = signed_in(firm_member)
    shown = page_text(client.get("/claims"))
    assert "No claims yet." in shown


def test_the_auditor_queue_holds_their_claims_with_the_deadline_and_filters(client,
                                                                            auditor):
    mine = claim_at_first_review(auditor)
    blocked = claim_at_first_review(auditor)
    blocked.is_blocked = True
    someone_elses = claim_at_first_review(person("auditor"))
    db.session.commit()
    client = signed_in(auditor)

    shown = page_text(client.get("/claims"))
    assert f"Claim #{mine.id}" in shown and f"Claim #{blocked.id}" in shown
    assert f"Claim #{someone_elses.id}" not in shown
    assert "10 working days left" in shown
    assert mine.stage_due_on.strftime("%Y") in shown
    filtered = page_text(client.get("/claims?problem=blocked"))
    assert f"Claim #{blocked.id}" in filtered and f"Claim #{mine.id}" not in filtered
    clean = page_text(client.get("/claims?problem=clean"))
    assert f"Claim #{mine.id}" in clean and f"Claim #{blocked.id}" not in clean
    assert "Nothing to review." in page_text(client.get("/claims?status=approved"))
    services.decide(mine, auditor, "return", "请补充验收报告")
    db.session.commit()
    quiet()
    assert f"Claim #{mine.id}" not in page_text(client.get("/claims"))
    every = page_text(client.get("/claims?status=all"))
    assert f"Claim #{mine.id}" in every and f"Claim #{someone_elses.id}" not in every


def test_an_overdue_claim_is_marked_in_the_queue_and_listed_as_overdue(client, auditor,
                                                                       supervisor):
    late = claim_at_first_review(auditor)
    on_time = claim_at_first_review(auditor)
    late.stage_due_on = late.stage_due_on - timedelta(days=30)
    db.session.commit()
    client = signed_in(auditor)

    queue = client.get("/claims").get_data(as_text=True)
    assert f'<tr data-claim="{late.id}" class="table-danger">' in queue
    assert f'<tr data-claim="{on_time.id}" >' in queue
    assert "working days late" in queue
    client = signed_in(supervisor)
    shown = page_text(client.get("/claims/overdue"))
    assert f"Claim #{late.id}" in shown and f"Claim #{on_time.id}" not in shown
    assert auditor.name in shown


def test_nothing_overdue_says_so(client, supervisor):
    client = signed_in(supervisor)
    assert "Nothing is overdue." in page_text(client.get("/claims/overdue"))


def test_the_supervisor_queue_leaves_out_claims_they_reviewed_first(client, auditor,
                                                                    supervisor):
    waiting = claim_at_final_approval(auditor)
    theirs = claim_at_final_approval(auditor)
    theirs.first_reviewer_id = supervisor.id    # as if they had been its first reviewer
    db.session.commit()
    client = signed_in(supervisor)

    shown = page_text(client.get("/claims"))
    assert f"Claim #{waiting.id}" in shown and f"Claim #{theirs.id}" not in shown


def test_the_admin_lists_every_claim(client, auditor):
    claims = [claim_at_first_review(auditor), claim_at_final_approval(auditor)]
    admin = person("admin")
    db.session.commit()
    client = signed_in(admin)
    shown = page_text(client.get("/claims"))
    assert all(f"Claim #{c.id}" in shown for c in claims)
    assert "Record the decision" not in page_text(client.get(f"/claims/{claims[0].id}"))


# --- the claim page ---------------------------------------------------------------------------

def test_the_auditor_sees_every_check_with_its_evidence(client, auditor, firm_member):
    offering = make_offering(price_fen=100_000_00)
    agency = offering.agency.organisation
    change_facts(firm_member.organisation, bank_name="中国工商银行南昌分行",
                 bank_cnaps_code="102421000011", bank_account=agency.bank_account)
    claim = claim_at_first_review(auditor, firm_member, offering=offering)
    client = signed_in(auditor)

    response = client.get(f"/claims/{claim.id}")
    html = response.get_data(as_text=True)
    shown = page_text(response)
    assert "An automatic check blocked this claim." in shown
    assert html.count("data-check=") == 8
    assert 'data-check="related_party" data-result="block"' in html
    assert 'data-shared="bank_account"' in html
    assert "What the firm and the agency share:" in shown
    assert agency.bank_account in shown and agency.registered_address in shown
    assert firm_member.organisation.registered_address in shown
    assert "Invoice number FP-" in shown
    assert "Not used by any other delivery or registration." in shown
    assert 'data-check="price" data-result="pass"' in html
    assert 'data-check="integrity_list" data-result="pass"' in html
    assert "Reserved on the voucher" in shown and "¥50,000.00" in shown
    assert "single-order maximum" in shown
    assert "Record the decision" in shown
    assert "10 working days left" in shown


def test_the_parties_see_the_results_but_not_the_evidence(client, auditor, firm_member):
    claim = claim_at_first_review(auditor, firm_member)
    agency = claim.order.agency.organisation
    client = signed_in(firm_member)

    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "Related party" in shown and "passed" in shown
    assert "The bureau's auditors see the evidence of each check." in shown
    assert agency.bank_account not in shown
    assert "Record the decision" not in shown
    assert "An auditor reviews the claim" in shown


def test_the_timeline_and_figures_come_from_the_records(client, auditor, firm_member):
    claim = claim_at_first_review(auditor, firm_member, through_outbox=True)
    client = signed_in(firm_member)
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    for action in ("create", "start_checks", "checks_done"):
        assert f'data-action="{action}"' in html
    assert claim.contract.number in html
    assert f'href="/orders/{claim.order_id}"' in html


def test_a_claim_at_expert_review_waits_for_the_expert_panel(client, auditor):
    claim = claim_at_first_review(auditor)
    claim.status = ClaimStatus.EXPERT_REVIEW
    db.session.commit()
    client = signed_in(auditor)
    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "Waiting for the expert panel." in shown
    assert "Record the decision" not in shown


def test_the_pages_speak_chinese_by_default(client, auditor):
    claim = claim_at_first_review(auditor)
    firm_member = claim.order.firm.members[0]           # locale zh, the default
    client = signed_in(firm_member)
    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "<html lang=\"zh-CN\">" in shown


# --- decisions ----------------------------------------------------------------------------------

def test_auditor_then_another_supervisor_approve_on_the_page(client, auditor, supervisor):
    claim = claim_at_first_review(auditor)
    client = signed_in(auditor)
    response = decision_form(client, claim, decision="approve", comment="材料齐全")
    assert response.status_code == 302 and response.location == "/claims"
    assert reload(Claim, claim.id).status == ClaimStatus.FINAL_APPROVAL

    client = signed_in(supervisor)
    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert f"First review by {auditor.name}." in shown
    response = decision_form(client, claim, decision="approve")
    assert response.status_code == 302
    claim = reload(Claim, claim.id)
    assert claim.status == ClaimStatus.APPROVED
    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "first review: approved" in shown and "final approval: approved" in shown
    assert ledger.violations() == []


def test_four_eyes_refusal_is_shown_clearly_and_keeps_the_comment(client, auditor,
                                                                  supervisor):
    claim = claim_at_final_approval(auditor)
    claim.first_reviewer_id = supervisor.id
    db.session.commit()
    client = signed_in(supervisor)

    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "another supervisor must give the final approval (four eyes)" in shown
    assert "Record the decision" not in shown
    response = decision_form(client, claim, decision="approve", comment="看过了，同意")
    assert response.status_code == 403
    shown = page_text(response)
    assert ("A supervisor cannot finalise a claim they reviewed at the first stage."
            in shown)
    assert reload(Claim, claim.id).status == ClaimStatus.FINAL_APPROVAL


def test_another_auditor_is_refused_with_the_reason(client, auditor):
    claim = claim_at_first_review(auditor)
    other = person("auditor")
    db.session.commit()
    client = signed_in(other)
    response = decision_form(client, claim, decision="approve", comment="ok")
    assert response.status_code == 403
    assert "This claim waits for another reviewer." in page_text(response)


def test_returning_needs_a_reason_and_keeps_the_choice(client, auditor):
    claim = claim_at_first_review(auditor)
    client = signed_in(auditor)
    response = decision_form(client, claim, decision="return", comment="   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please give a reason." in html
    assert re.search(r'<input checked [^>]*value="return">', html)
    assert reload(Claim, claim.id).status == ClaimStatus.FIRST_REVIEW


def test_rejecting_needs_the_tick_and_keeps_the_typed_reason(client, auditor):
    claim = claim_at_first_review(auditor)
    client = signed_in(auditor)
    response = decision_form(client, claim, decision="reject", comment="发票与合同不符")
    assert response.status_code == 422
    shown = page_text(response)
    assert "Tick the box to confirm this step." in shown
    assert "发票与合同不符" in shown
    response = decision_form(client, claim, decision="reject", comment="发票与合同不符",
                             confirm="y")
    assert response.status_code == 302
    assert reload(Claim, claim.id).status == ClaimStatus.REJECTED


def test_a_double_click_on_a_decision_acts_once(client, auditor):
    claim = claim_at_first_review(auditor)
    client = signed_in(auditor)
    first = decision_form(client, claim, decision="approve", token="same-token-1")
    again = decision_form(client, claim, decision="approve", token="same-token-1")
    assert first.status_code == again.status_code == 302
    assert again.headers.get("Idempotent-Replayed") == "true"
    decisions = db.session.execute(select(ClaimDecision).where(
        ClaimDecision.claim_id == claim.id)).scalars().all()
    assert len(decisions) == 1


def test_a_decision_without_its_token_is_refused(client, auditor):
    claim = claim_at_first_review(auditor)
    client = signed_in(auditor)
    response = client.post(f"/claims/{claim.id}/decision", data={"decision": "approve"})
    assert response.status_code == 400
    assert reload(Claim, claim.id).status == ClaimStatus.FIRST_REVIEW


# --- the firm answers a return ---------------------------------------------------------------

def test_the_firm_resubmits_a_returned_claim_after_reading_the_comment(client, auditor,
                                                                       firm_member):
    claim = claim_at_first_review(auditor, firm_member)
    services.decide(claim, auditor, "return", "请补充验收报告")
    db.session.commit()
    quiet()
    client = signed_in(firm_member)

    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert re.search(r"The reviewer's comment:</strong>\s*<span[^>]*>请补充验收报告", shown)
    response = client.post(f"/claims/{claim.id}/resubmit", data={"note": ""})
    assert response.status_code == 422
    assert "Tell the auditor what you corrected." in page_text(response)
    response = client.post(f"/claims/{claim.id}/resubmit", data={"note": "已补充验收报告"})
    assert response.status_code == 302
    claim = reload(Claim, claim.id)
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.check_round == 2
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'data-action="resubmit"' in html and "已补充验收报告" in html


def test_a_resubmission_after_the_deadline_is_refused_keeping_the_note(client, auditor,
                                                                       firm_member):
    claim = claim_at_first_review(auditor, firm_member)
    services.decide(claim, auditor, "return", "请补充验收报告")
    claim.file_by = claim.file_by - timedelta(days=365)
    db.session.commit()
    quiet()
    client = signed_in(firm_member)
    response = client.post(f"/claims/{claim.id}/resubmit", data={"note": "已补充材料"})
    assert response.status_code == 409
    shown = page_text(response)
    assert "The claim deadline has passed." in shown and "已补充材料" in shown
    assert reload(Claim, claim.id).status == ClaimStatus.RETURNED


def test_the_agency_cannot_resubmit_for_the_firm(client, auditor):
    offering = make_offering()
    claim = claim_at_first_review(auditor, offering=offering)
    services.decide(claim, auditor, "return", "请补充")
    db.session.commit()
    quiet()
    client = signed_in(offering.agency.organisation.members[0])
    assert client.post(f"/claims/{claim.id}/resubmit",
                       data={"note": "x"}).status_code == 403
