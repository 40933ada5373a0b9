"""Who hears of each step of a claim."""
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.notifications.services import notify


def _members(organisation_id):
    return db.session.execute(select(User).where(
        User.organisation_id == organisation_id, User.is_active_account.is_(True))
        .order_by(User.id)).scalars().all()


def _role(role):
    return db.session.execute(select(User).where(
        User.role == role, User.is_active_account.is_(True)).order_by(User.id)).scalars().all()


def tell_stage_reviewers(claim_id):
    claim = db.session.get(Claim, claim_id)
    params = {"claim": claim.id, "amount": format_fen(claim.amount_fen),
              "firm": claim.order.firm.name}
    link = f"/claims/{claim.id}"
    if claim.status == ClaimStatus.FIRST_REVIEW:
        reviewers = ([db.session.get(User, claim.assigned_auditor_id)]
                     if claim.assigned_auditor_id else _role(Role.AUDITOR))
        kind = "claim_blocked_to_review" if claim.is_blocked else "claim_to_review"
    elif claim.status == ClaimStatus.FINAL_APPROVAL:
        reviewers = [u for u in _role(Role.SUPERVISOR) if u.id != claim.first_reviewer_id]
        kind = "claim_to_approve"
    else:
        return
    for reviewer in reviewers:
        notify(reviewer, kind, link=link, **params)


def tell_decision(claim_id, stage, decision):
    claim = db.session.get(Claim, claim_id)
    params = {"claim": claim.id, "amount": format_fen(claim.amount_fen),
              "comment": claim.return_comment or "-"}
    link = f"/claims/{claim.id}"
    if decision == "approve" and claim.status in (ClaimStatus.EXPERT_REVIEW,
                                                  ClaimStatus.FINAL_APPROVAL):
        tell_stage_reviewers(claim_id)
        return
    kind = {"approve": "claim_approved", "reject": "claim_rejected",
            "return": "claim_returned"}[decision]
    for organisation_id in (claim.firm_id, claim.agency_id):
        for member in _members(organisation_id):
            notify(member, kind, link=link, **params)
