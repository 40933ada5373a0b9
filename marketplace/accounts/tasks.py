"""Outbox consumers of the identity workflow: auditors hear of change requests (one
counting notice), the requester of the decision."""
from marketplace.core import outbox


@outbox.handler("identity.change_requested")
def tell_auditors_of_change_request(request_id):
    from marketplace.accounts.models import Role
    from marketplace.accounts.version_models import ChangeRequest
    from marketplace.extensions import db
    from marketplace.notifications.services import active_staff, notify_coalesced

    request = db.session.get(ChangeRequest, request_id)
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "identity_change_to_review", link="/identity/changes",
                         organisation=request.organisation.name)


@outbox.handler("identity.change_decided")
def tell_requester_of_decision(request_id):
    from marketplace.accounts.version_models import ChangeRequest, ChangeRequestStatus
    from marketplace.extensions import db
    from marketplace.notifications.services import notify

    request = db.session.get(ChangeRequest, request_id)
    requester = request.requested_by
    if requester is None or not requester.is_active_account:
        return
    approved = request.status == ChangeRequestStatus.APPROVED
    version = request.organisation.current_version if approved else None
    notify(requester, "identity_change_approved" if approved else "identity_change_rejected",
           link=f"/organisation/changes/{request.id}", request=request.id,
           organisation=request.organisation.name,
           version=version.number if version is not None else "-",
           comment=request.decision_comment or "")
