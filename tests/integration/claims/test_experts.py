"""The expert stage: random panels from the claim's field, nobody tied to a party,
no-shows redrawn and counted, scores summarised for the supervisor."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.agencies.models import ServiceCategory
from marketplace.claims import experts, services
from marketplace.claims.expert_models import (ExpertConflict, ExpertProfile,
                                              InvitationState)
from marketplace.claims.models import ClaimStatus
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import staff
from tests.integration.claims.test_claim_workflow import accepted_claim, settle


def make_expert(field="testing"):
    user = staff("expert")
    category = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == field)).scalar_one()
    profile = ExpertProfile(user_id=user.id, title="教授", fields=[category])
    db.session.add(profile)
    db.session.flush()
    return profile


def first_reviewer(claim):
    from marketplace.accounts.models import User

    return db.session.get(User, claim.assigned_auditor_id)


def large_claim_at_experts(auditor, invoice="FP-1"):
    claim = settle(accepted_claim(amount_fen=200_000_00, invoice=invoice))
    services.decide(claim, first_reviewer(claim), "approve")
    return claim


def test_a_panel_of_three_is_drawn_from_the_field_excluding_tied_experts(auditor):
    in_field = [make_expert() for _ in range(4)]
    make_expert("ip")                                    # another field: never drawn
    claim = settle(accepted_claim(amount_fen=200_000_00))
    db.session.add(ExpertConflict(expert_id=in_field[0].user_id,
                                  organisation_id=claim.agency_id, note="曾任职"))
    services.decide(claim, first_reviewer(claim), "approve")
    drawn = {i.expert_id for i in experts.invitations_of(claim)}
    assert claim.status == ClaimStatus.EXPERT_REVIEW
    assert drawn == {p.user_id for p in in_field[1:]}


def test_a_decline_draws_another_and_scores_move_the_claim_on(auditor):
    pool = [make_expert() for _ in range(4)]
    claim = large_claim_at_experts(auditor)
    invitations = experts.invitations_of(claim)
    experts.respond(invitations[0], invitations[0].expert.user, accept=False)
    panel = [i for i in experts.invitations_of(claim) if i.status == InvitationState.INVITED]
    assert len(panel) == 3 and len(pool) == 4
    for invitation, marks in zip(panel, [(4, 4, 4), (4, 4, 4), (1, 1, 1)]):
        experts.respond(invitation, invitation.expert.user, accept=True)
        experts.score(invitation, invitation.expert.user, necessity=marks[0],
                      price_reasonableness=marks[1], delivery_quality=marks[2],
                      comment="意见")
    assert claim.status == ClaimStatus.FINAL_APPROVAL
    summary = experts.panel_summary(claim)
    assert summary["mean_x100"] == 300
    assert summary["outliers"] == [panel[2].expert_id]   # 1.00 is 2.00 below the mean


def test_only_the_invited_expert_may_answer(auditor):
    make_expert()
    claim = large_claim_at_experts(auditor)
    invitation = experts.invitations_of(claim)[0]
    with pytest.raises(experts.NotYourInvitation):
        experts.respond(invitation, staff("expert"), accept=True)


def test_silence_is_a_no_show_and_three_in_a_year_suspend_the_expert(auditor):
    lazy = make_expert()
    for round_ in range(3):
        claim = large_claim_at_experts(auditor, invoice=f"NS-{round_}")
        experts.expire_silent_experts(at=now_utc() + timedelta(hours=49))
    db.session.refresh(lazy)
    assert lazy.is_suspended
    record = experts.expert_record(lazy.user_id)
    assert record["no_shows"] == 3 and record["invitations"] == 3
    # nobody left to draw: the claim goes on to the supervisor with an empty panel
    assert claim.status == ClaimStatus.FINAL_APPROVAL


def test_with_no_expert_in_the_field_the_supervisor_decides(auditor):
    claim = large_claim_at_experts(auditor)
    assert claim.status == ClaimStatus.FINAL_APPROVAL
