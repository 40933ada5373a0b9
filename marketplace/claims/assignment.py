"""A supervisor moves a claim's first review to another auditor (issue 6, item 3)."""
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role, User
from marketplace.claims.models import ClaimStatus
from marketplace.claims.services import lock_claim
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

REASSIGNABLE = (ClaimStatus.SUBMITTED, ClaimStatus.CHECKING, ClaimStatus.FIRST_REVIEW)


class NotReassignable(Conflict):
    code = "claim_not_reassignable"
    default_message = _l("Only a claim before or at its first review can go to another "
                         "auditor.")


def reassign(claim, actor, auditor_id):
    """Give the claim to another active auditor; the stage's deadline stands. The new
    auditor is told once the claim is at first review."""
    if actor is None or actor.role != Role.SUPERVISOR:
        raise PermissionDenied()
    claim = lock_claim(claim.id)
    if claim.status not in REASSIGNABLE:
        raise NotReassignable(details={"status": claim.status.value})
    auditor = db.session.get(User, auditor_id) if auditor_id else None
    if auditor is None or auditor.role != Role.AUDITOR or not auditor.is_active_account:
        raise ValidationFailed(_l("Choose an active auditor."),
                               details={"field": "auditor"})
    if auditor.id == claim.assigned_auditor_id:
        raise ValidationFailed(_l("The claim is already assigned to this auditor."),
                               details={"field": "auditor"})
    previous = claim.assigned_auditor_id
    claim.assigned_auditor_id = auditor.id
    claim.updated_dt = now_utc()
    audit.record(claim, "reassign", actor=actor, data={"from": previous, "to": auditor.id})
    if claim.status == ClaimStatus.FIRST_REVIEW:
        outbox.emit("claims.stage_entered", claim_id=claim.id)
    return claim
