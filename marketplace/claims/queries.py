"""What the claim pages and the API read: each user's list, the SLA clock, the checks with
their evidence, the timeline from the audit log. Reads only."""
import json
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import (is_agency_member, is_auditor, is_firm_member,
                                              is_supervisor)
from marketplace.accounts.timeline import timeline as audit_timeline
from marketplace.claims import labels, services
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.sla import working_days_between
from marketplace.core.labels import label
from marketplace.core.money import format_fen
from marketplace.extensions import db

PROBLEMS = ("blocked", "flagged", "clean")

# the stage a claim waits at, by status (the API's "stage"; None once it is closed)
STAGES = {
    ClaimStatus.SUBMITTED: "checks", ClaimStatus.CHECKING: "checks",
    ClaimStatus.FIRST_REVIEW: "first_review", ClaimStatus.EXPERT_REVIEW: "expert_review",
    ClaimStatus.FINAL_APPROVAL: "final_approval", ClaimStatus.RETURNED: "correction",
    ClaimStatus.APPROVED: "disbursement",
}


def stage_of(claim):
    return STAGES.get(claim.status)


def claims_for(user, status=None, problem=None):
    """The claims ``user`` sees listed: a firm or an agency its own (newest first), an
    auditor the claims assigned to them, a supervisor every claim but those they reviewed
    first (both oldest stage first), the admin every claim. ``status`` None is the
    reviewer's queue (an auditor's first reviews, a supervisor's final approvals), "all"
    every status."""
    everything = status == "all"
    status = None if everything else status
    if is_firm_member(user) or is_agency_member(user):
        column = Claim.firm_id if is_firm_member(user) else Claim.agency_id
        query = select(Claim).where(column == user.organisation_id)
        if status:
            query = query.where(Claim.status == status)
        query = query.order_by(Claim.submitted_dt.desc(), Claim.id.desc())
    elif everything and is_auditor(user):
        query = select(Claim).where(Claim.assigned_auditor_id == user.id) \
            .order_by(Claim.stage_started_dt, Claim.id)
    elif everything and is_supervisor(user):
        query = select(Claim).where(or_(Claim.first_reviewer_id.is_(None),
                                        Claim.first_reviewer_id != user.id)) \
            .order_by(Claim.stage_started_dt, Claim.id)
    else:
        query = services.queue_for(user, status)
    if problem == "blocked":
        query = query.where(Claim.is_blocked.is_(True))
    elif problem == "flagged":
        query = query.where(Claim.is_flagged.is_(True))
    elif problem == "clean":
        query = query.where(Claim.is_blocked.is_(False), Claim.is_flagged.is_(False))
    return query


# --- the SLA clock ----------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    due_on: date
    days_left: int       # working days; negative once past the deadline
    is_overdue: bool     # from the due date on (the day the supervisors are told)


def clock_of(claim, today=None):
    """The review deadline of the claim's current stage, or None outside review."""
    if claim.status not in services.REVIEW_STAGES or claim.stage_due_on is None:
        return None
    today = today or date.today()
    due = claim.stage_due_on
    left = working_days_between(today, due) if due >= today \
        else -working_days_between(due, today)
    return Clock(due_on=due, days_left=left, is_overdue=today >= due)


# --- people -----------------------------------------------------------------------------

def active_auditors():
    return db.session.execute(select(User).where(
        User.role == Role.AUDITOR, User.is_active_account.is_(True))
        .order_by(User.name, User.id)).scalars().all()


# --- checks and their evidence ------------------------------------------------------------

@dataclass(frozen=True)
class CheckView:
    name: str
    title: str
    result: str          # pass | flag | block
    result_title: str
    evidence: dict


def evidence_of(check):
    try:
        found = json.loads(check.evidence or "{}")
    except ValueError:
        return {"raw": check.evidence}
    return found if isinstance(found, dict) else {"value": found}


def checks_view(claim):
    return [CheckView(name=c.name, title=labels.check_name(c.name), result=c.result.value,
                      result_title=labels.check_result(c.result), evidence=evidence_of(c))
            for c in services.checks_of(claim)]


# --- the timeline -----------------------------------------------------------------------

def _detail(action, data, users):
    if action in ("start_checks", "checks_done") and data.get("round"):
        names = [labels.check_name(n) for n in data.get("blocked", []) + data.get("flagged", [])]
        text = str(_l("Round %(round)s", round=data["round"]))
        return f"{text}: {', '.join(names)}" if names else text
    if action in ("assign", "reassign"):
        auditor = users.get(data.get("auditor_id") or data.get("to"))
        return auditor.name if auditor else None
    if action == "create" and data.get("amount_fen"):
        return format_fen(data["amount_fen"])
    if action == "disburse" and data.get("batch_id"):
        return str(_l("Batch #%(id)s", id=data["batch_id"]))
    if action == "escalate" and data.get("stage"):
        return label(data["stage"])
    for key in ("comment", "note"):
        if data.get(key):
            return data[key]
    return None


def timeline(claim):
    return audit_timeline("Claim", claim.id, labels.ACTIONS, _detail,
                          named_in_data=lambda data: [data.get("auditor_id") or data.get("to")])


# --- the expert stage -----------------------------------------------------------------------

INVITATION_STATES = {
    "invited": _l("invited"),
    "accepted": _l("accepted, to score"),
    "declined": _l("declined"),
    "no_show": _l("no-show"),
    "scored": _l("scored"),
}


def invitations_for(user, *, done):
    """An expert's invitations, newest first: the open ones (to answer, to score), or the
    statement of the done ones (declined, no-show, scored), which grow with every year on
    the pool and so are shown by pages."""
    from marketplace.claims.expert_models import ExpertInvitation, InvitationState

    open_states = (InvitationState.INVITED, InvitationState.ACCEPTED)
    statement = select(ExpertInvitation).where(
        ExpertInvitation.expert_id == user.id,
        ExpertInvitation.status.not_in(open_states) if done
        else ExpertInvitation.status.in_(open_states)).order_by(
        ExpertInvitation.invited_dt.desc(), ExpertInvitation.id.desc())
    return statement if done else db.session.execute(statement).scalars().all()


def claims_by_id(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {c.id: c for c in db.session.execute(
        select(Claim).where(Claim.id.in_(ids))).scalars()}


@dataclass
class PanelView:
    invitations: list
    count: int
    mean_x100: int | None
    outliers: list


def panel_of(claim):
    """The claim's expert panel for the bureau: every invitation (expert, status, scores,
    comment) and the summary of the scores (mean, outliers); None if no expert was drawn."""
    from marketplace.claims import experts

    invitations = experts.invitations_of(claim)
    if not invitations:
        return None
    summary = experts.panel_summary(claim)
    return PanelView(invitations=invitations, count=summary["count"],
                     mean_x100=summary["mean_x100"], outliers=summary["outliers"])
