"""The expert stage through the test client and the API: an expert's invitations (answer,
score, typed values kept on a refusal), the claim page an invited expert sees (results,
not evidence), the panel the bureau sees, and the API's panel and scores."""
import re

import pytest
from sqlalchemy import select

from marketplace.agencies.models import ServiceCategory
from marketplace.claims import experts, services
from marketplace.claims.expert_models import ExpertInvitation, ExpertProfile, InvitationState
from marketplace.claims.models import ClaimStatus
from marketplace.extensions import db
from tests.integration.claims.builders import (claim_at_first_review, page_text, person,
                                               quiet, reload, signed_in)
from tests.integration.claims.test_claims_api import token_for
from tests.integration.test_api_base import PREFIX


def expert(name):
    user = person("expert", name=name)
    testing = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == "testing")).scalar_one()
    db.session.add(ExpertProfile(user_id=user.id, title="教授", fields=[testing]))
    db.session.commit()
    return user


@pytest.fixture
def panel():
    return [expert(f"Expert {n}") for n in ("Wang", "Chen", "Liu")]


def claim_at_experts(auditor, firm_member=None):
    claim = claim_at_first_review(auditor, firm_member, amount_fen=200_000_00)
    services.decide(claim, auditor, "approve")
    db.session.commit()
    quiet()
    assert claim.status == ClaimStatus.EXPERT_REVIEW
    return claim


def invitation_of(claim, user):
    return db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.claim_id == claim.id,
        ExpertInvitation.expert_id == user.id)).scalar_one()


def accept_and_score(claim, user, marks):
    invitation = invitation_of(claim, user)
    experts.respond(invitation, user, accept=True)
    experts.score(invitation, user, necessity=marks[0], price_reasonableness=marks[1],
                  delivery_quality=marks[2], comment=f"{user.name} 的意见")
    db.session.commit()
    quiet()


def score_data(invitation, **fields):
    prefix = f"score-{invitation.id}-"
    return {prefix + name: value for name, value in fields.items()}


def test_an_expert_without_invitations_sees_the_empty_state(client):
    browser = signed_in(expert("Expert Solo"))
    shown = page_text(browser.get("/expert/invitations"))
    assert "No invitation waits for your answer." in shown
    assert "No claim waits for your scores." in shown
    assert "Expert reviews" in shown                     # the nav entry


def test_an_expert_answers_and_scores_with_bad_input_kept(client, auditor, panel):
    claim = claim_at_experts(auditor)
    wang = panel[0]
    invitation = invitation_of(claim, wang)
    browser = signed_in(wang)

    shown = page_text(browser.get("/expert/invitations"))
    assert f"Claim #{claim.id}" in shown and "Answer by" in shown

    # the claim page: the checks' results, not the evidence
    page = page_text(browser.get(f"/claims/{claim.id}"))
    assert f"Claim #{claim.id}" in page
    assert "The bureau's auditors see the evidence of each check." in page
    assert 'data-testid="panel"' not in page

    response = browser.post(f"/expert/invitations/{invitation.id}/answer",
                            data={"answer": "accept"})
    assert response.status_code == 302
    assert reload(ExpertInvitation, invitation.id).status == InvitationState.ACCEPTED

    # a missing score and no reason: refused, what was typed is kept
    response = browser.post(f"/expert/invitations/{invitation.id}/score",
                            data=score_data(invitation, necessity="4",
                                            price_reasonableness="",
                                            delivery_quality="3", comment=""))
    assert response.status_code == 422
    shown = page_text(response)
    assert "Score each criterion from 1 to 5." in shown
    assert "Please give a reason." in shown
    assert re.search(r'<option selected value="4">4</option>|<option value="4" selected>',
                     response.get_data(as_text=True))
    # out of range: refused too
    response = browser.post(f"/expert/invitations/{invitation.id}/score",
                            data=score_data(invitation, necessity="9",
                                            price_reasonableness="3",
                                            delivery_quality="3", comment="价格偏高"))
    assert response.status_code == 422
    assert "价格偏高" in page_text(response)
    assert reload(ExpertInvitation, invitation.id).status == InvitationState.ACCEPTED

    response = browser.post(f"/expert/invitations/{invitation.id}/score",
                            data=score_data(invitation, necessity="4",
                                            price_reasonableness="3",
                                            delivery_quality="5", comment="价格偏高"))
    assert response.status_code == 302
    done = reload(ExpertInvitation, invitation.id)
    assert done.status == InvitationState.SCORED
    assert (done.necessity, done.price_reasonableness, done.delivery_quality) == (4, 3, 5)
    assert done.comment == "价格偏高"
    shown = page_text(browser.get("/expert/invitations"))
    assert "4 / 3 / 5" in shown


def test_a_decline_is_done_and_the_claim_closed_to_that_expert(client, auditor, panel):
    claim = claim_at_experts(auditor)
    chen = panel[1]
    invitation = invitation_of(claim, chen)
    browser = signed_in(chen)
    assert browser.post(f"/expert/invitations/{invitation.id}/answer",
                        data={"answer": "maybe"}).status_code == 422
    response = browser.post(f"/expert/invitations/{invitation.id}/answer",
                            data={"answer": "decline"})
    assert response.status_code == 302
    assert reload(ExpertInvitation, invitation.id).status == InvitationState.DECLINED
    assert browser.get(f"/claims/{claim.id}").status_code == 404
    assert 'data-status="declined"' in browser.get("/expert/invitations").get_data(
        as_text=True)


def test_other_experts_and_other_roles_are_refused(client, auditor, panel):
    firm_member = person("firm")
    db.session.commit()
    claim = claim_at_experts(auditor, firm_member)
    invitation = invitation_of(claim, panel[0])
    outsider = expert("Expert Outsider")          # drawn for nothing: the panel was full
    browser = signed_in(outsider)
    assert browser.get(f"/claims/{claim.id}").status_code == 404
    assert browser.post(f"/expert/invitations/{invitation.id}/answer",
                        data={"answer": "accept"}).status_code == 404
    assert browser.post(f"/expert/invitations/{invitation.id}/score",
                        data=score_data(invitation, necessity="5",
                                        price_reasonableness="5", delivery_quality="5",
                                        comment="好")).status_code == 404
    assert reload(ExpertInvitation, invitation.id).status == InvitationState.INVITED

    firm = signed_in(firm_member)
    assert firm.get("/expert/invitations").status_code == 403
    assert signed_in(auditor).post(f"/expert/invitations/{invitation.id}/answer",
                                   data={"answer": "accept"}).status_code == 403


def test_the_supervisor_sees_the_panel_with_its_outlier(client, auditor, panel):
    firm_member = person("firm")
    db.session.commit()
    claim = claim_at_experts(auditor, firm_member)
    for user, marks in zip(panel, [(4, 4, 4), (4, 4, 4), (1, 1, 1)]):
        accept_and_score(claim, user, marks)
    assert reload(type(claim), claim.id).status == ClaimStatus.FINAL_APPROVAL
    supervisor = person("supervisor")
    db.session.commit()

    response = signed_in(supervisor).get(f"/claims/{claim.id}")
    html = response.get_data(as_text=True)
    shown = page_text(response)
    assert "Expert panel" in shown
    assert "Experts who scored: 3; mean score 3.00 of 5." in shown
    assert "1 outlier(s)" in shown
    assert "Expert Liu 的意见" in shown and "Expert Wang" in shown
    assert re.search(rf'data-expert="{panel[2].id}" data-status="scored"[^>]*data-outlier',
                     html)
    assert not re.search(rf'data-expert="{panel[0].id}"[^>]*data-outlier', html)
    # the firm sees no panel
    firm_page = signed_in(firm_member).get(f"/claims/{claim.id}")
    assert firm_page.status_code == 200
    assert 'data-testid="panel"' not in firm_page.get_data(as_text=True)


# --- the API -----------------------------------------------------------------------------------

def test_the_api_takes_an_accepted_experts_scores_and_shows_the_bureau_the_panel(
        client, auditor, panel):
    claim = claim_at_experts(auditor)
    wang, chen, liu = panel
    body = {"scores": {"necessity": 5, "price_reasonableness": 4, "delivery_quality": 3},
            "comment": "合理"}
    url = f"{PREFIX}/claims/{claim.id}/decisions"

    # not yet accepted: refused
    response = client.post(url, json=body, headers=token_for(wang, "k-1"))
    assert response.status_code == 403
    experts.respond(invitation_of(claim, wang), wang, accept=True)
    db.session.commit()
    quiet()
    # a decision is not an expert's to make; bad scores are refused
    assert client.post(url, json={"decision": "approve"},
                       headers=token_for(wang, "k-2")).status_code == 422
    assert client.post(url, json={**body, "scores": {**body["scores"], "necessity": 6}},
                       headers=token_for(wang, "k-3")).status_code == 422
    response = client.post(url, json=body, headers=token_for(wang, "k-4"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["panel"] is None            # experts see no panel
    scored = reload(ExpertInvitation, invitation_of(claim, wang).id)
    assert scored.status == InvitationState.SCORED
    assert (scored.necessity, scored.price_reasonableness, scored.delivery_quality) == \
        (5, 4, 3)

    # an expert who is not of the panel: 404; a reviewer sending scores: 422
    outsider = expert("Expert Outsider")
    assert client.post(url, json=body,
                       headers=token_for(outsider, "k-5")).status_code == 404
    assert client.post(url, json=body,
                       headers=token_for(auditor, "k-6")).status_code == 422

    shown = client.get(f"{PREFIX}/claims/{claim.id}", headers=token_for(auditor)).get_json()
    assert shown["panel"] == {"count": 1, "mean_score": 4.0, "outliers": []}
    assert client.get(f"{PREFIX}/claims/{claim.id}",
                      headers=token_for(chen)).get_json()["panel"] is None


def test_the_experts_done_invitations_come_by_pages(client, auditor, monkeypatch):
    # an expert on the pool for years has hundreds of done invitations: the page showed
    # (and loaded, with their claims) every one of them
    from datetime import timedelta

    from marketplace.claims import views as claim_views
    from marketplace.core.timeutil import now_utc
    monkeypatch.setattr(claim_views, "DONE_PER_PAGE", 2, raising=False)
    solo = expert("Expert Busy")
    claims = [claim_at_first_review(auditor) for _ in range(3)]
    for n, claim in enumerate(claims):
        db.session.add(ExpertInvitation(
            claim_id=claim.id, expert_id=solo.id, status=InvitationState.DECLINED,
            invited_dt=now_utc() - timedelta(days=10 - n),
            respond_by_dt=now_utc() - timedelta(days=5), responded_dt=now_utc()))
    db.session.commit()
    browser = signed_in(solo)

    def done_on(page):
        shown = browser.get(f"/expert/invitations?page={page}").get_data(as_text=True)
        done = shown[shown.index('data-testid="done"'):]
        return [int(n) for n in re.findall(r"Claim #(\d+)", done)], done

    first, done = done_on(1)
    assert first == [claims[2].id, claims[1].id]            # newest first
    assert 'href="/expert/invitations?page=2"' in done
    assert done_on(2)[0] == [claims[0].id]
