"""Who may do what with redemption claims and disbursement batches: one named predicate per
rule, shared by the pages and the API."""
from marketplace.accounts.permissions import (is_admin, is_agency_member, is_auditor,
                                              is_expert, is_firm_member, is_reviewer,
                                              is_supervisor)
from marketplace.claims.models import ClaimStatus
from marketplace.core.permissions import predicate


@predicate
def is_claimant_of(user, claim):
    """A member of the firm that filed the claim."""
    return claim is not None and is_firm_member(user) and user.organisation_id == claim.firm_id


@predicate
def is_payee_of(user, claim):
    """A member of the agency the claim pays."""
    return (claim is not None and is_agency_member(user)
            and user.organisation_id == claim.agency_id)


def _invitation_of(user, claim):
    from sqlalchemy import select

    from marketplace.claims.expert_models import ExpertInvitation
    from marketplace.extensions import db

    return db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.claim_id == claim.id,
        ExpertInvitation.expert_id == user.id)).scalar_one_or_none()


@predicate
def is_invited_expert_of(user, claim):
    """An expert drawn for the claim who has not declined (invited, accepted, scored or
    no-show): they see the claim page, with the checks' results only (like the parties)."""
    from marketplace.claims.expert_models import InvitationState

    if claim is None or not is_expert(user) or _tied_to_a_party(user, claim):
        return False
    invitation = _invitation_of(user, claim)
    return invitation is not None and invitation.status != InvitationState.DECLINED


def _tied_to_a_party(user, claim):
    """A tie recorded for the expert (ExpertConflict) or their own organisation is the
    firm or the agency; also when it became known after the expert was drawn."""
    from sqlalchemy import select

    from marketplace.claims.expert_models import ExpertConflict, ExpertProfile
    from marketplace.extensions import db

    parties = (claim.firm_id, claim.agency_id)
    if user.organisation_id in parties:
        return True
    employer = db.session.execute(select(ExpertProfile.organisation_id).where(
        ExpertProfile.user_id == user.id)).scalar_one_or_none()
    return employer in parties or db.session.execute(select(ExpertConflict.id).where(
        ExpertConflict.expert_id == user.id,
        ExpertConflict.organisation_id.in_(parties))).first() is not None


@predicate
def can_view_claim(user, claim):
    """The two parties, the bureau's reviewers, the admin and the experts drawn for it."""
    return claim is not None and (is_claimant_of(user, claim) or is_payee_of(user, claim)
                                  or is_reviewer(user) or is_admin(user)
                                  or is_invited_expert_of(user, claim))


@predicate
def can_open_claims(user, obj=None):
    """Who may ask for a claim page at all: those who list claims, and experts (each sees
    only the claims they are drawn for; 404 for the rest)."""
    return can_list_claims(user) or is_expert(user)


@predicate
def can_answer_invitation(user, invitation):
    """Only the invited expert answers and scores an invitation."""
    return (invitation is not None and is_expert(user)
            and invitation.expert_id == user.id)


@predicate
def can_score_claim(user, claim):
    """An expert who accepted the claim's invitation, while the claim is with the experts."""
    from marketplace.claims.expert_models import InvitationState

    if claim is None or not is_expert(user) or claim.status != ClaimStatus.EXPERT_REVIEW \
            or _tied_to_a_party(user, claim):
        return False
    invitation = _invitation_of(user, claim)
    return invitation is not None and invitation.status == InvitationState.ACCEPTED


@predicate
def can_view_panel(user, claim=None):
    """The expert panel's names, scores and comments: the bureau's reviewers and the
    admin."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_view_check_evidence(user, claim=None):
    """The evidence of the checks names both parties' private data (bank accounts,
    addresses, the voucher's balances): the bureau's reviewers and the admin only; the
    parties see each check's result."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_list_claims(user, obj=None):
    """The claims page and list: each party its own, reviewers their queue, admin all."""
    return is_firm_member(user) or is_agency_member(user) or is_reviewer(user) \
        or is_admin(user)


@predicate
def can_review_claims(user, obj=None):
    """The bureau's claim reviewers: auditors (first review), supervisors (final)."""
    return is_reviewer(user)


@predicate
def can_decide_claim(user, claim=None):
    """The reviewer of the claim's current stage: its auditor at first review (any auditor
    while unassigned), a supervisor at final approval who did not review its first stage
    (four eyes). Without a claim: whoever may decide some claim."""
    if claim is None:
        return can_review_claims(user)
    if claim.status == ClaimStatus.FIRST_REVIEW:
        return is_auditor(user) and claim.assigned_auditor_id in (None, user.id)
    if claim.status == ClaimStatus.FINAL_APPROVAL:
        return is_supervisor(user) and claim.first_reviewer_id != user.id
    return False


@predicate
def can_resubmit_claim(user, claim):
    """Only the claiming firm answers a return (the claim's state is the service's rule)."""
    return is_claimant_of(user, claim)


@predicate
def can_reassign_claims(user, obj=None):
    """Supervisors move a claim to another auditor."""
    return is_supervisor(user)


@predicate
def can_manage_disbursements(user, obj=None):
    """Supervisors gather approved claims into batches and record the treasury's payment."""
    return is_supervisor(user)


@predicate
def can_export_bank_file(user, batch=None):
    """Supervisors download a batch's bank batch-payment file (it names payees' accounts,
    so no one else does)."""
    return is_supervisor(user)


@predicate
def can_import_bank_result(user, batch=None):
    """Supervisors read the bank's result file back into a batch (it posts payments)."""
    return is_supervisor(user)


@predicate
def can_view_overdue(user, obj=None):
    """The bureau's overdue list: those who may open every claim on it."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_view_expert_pool(user, obj=None):
    """The expert pool with each expert's record: the admin keeps it, supervisors read it
    (they weigh the panels' scores), auditors read it (they admit experts to it)."""
    return is_admin(user) or is_reviewer(user)


@predicate
def can_manage_expert_pool(user, obj=None):
    """Profiles, ties to organisations, suspension and reinstatement: the admin."""
    return is_admin(user)


@predicate
def can_override_block(user, claim):
    """A supervisor who is neither the claim's first reviewer nor its assigned auditor may
    override its blocking checks with a written reason, while it is under review."""
    from marketplace.claims.services import REVIEW_STAGES

    return (claim is not None and is_supervisor(user) and claim.is_blocked
            and claim.status in REVIEW_STAGES
            and user.id not in (claim.first_reviewer_id, claim.assigned_auditor_id))
