"""The expert stage: draw a panel at random from the experts of the claim's field, never
anyone tied to either party; experts accept or decline within the response window (else
they count as a no-show and another is drawn), then score. When the panel has scored,
the mean and any outlier go with the claim to the supervisor. Three no-shows within a
year suspend an expert from draws (the bureau's entry and exit rule); a reinstatement starts
the count afresh.

Every answer, score and no-show takes the claim's row lock, then the invitation's (the
claim's lock order: claim, then what hangs on it), and reads the invitation's state under
it: two declines at once draw one replacement, a second score does not overwrite the
first, and a no-show is not recorded over an answer that came in meanwhile."""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.claims import signals
from marketplace.claims.expert_models import (ExpertConflict, ExpertInvitation,
                                              ExpertProfile, InvitationState, expert_fields)
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import local_year_start, now_utc
from marketplace.extensions import db

LIVE_STATES = (InvitationState.INVITED, InvitationState.ACCEPTED, InvitationState.SCORED)
OUTLIER_GAP_X100 = 150    # a mean 1.5 points away from the panel's is worth a look


class NotYourInvitation(PermissionDenied):
    code = "not_your_invitation"


def panel_size():
    return current_app.config.get("CLAIM_EXPERT_PANEL", 3)


def _field_ids(category):
    """The experts' fields are service categories: the offering's, and its parent."""
    return [category.id] + ([category.parent_id] if category.parent_id else [])


def _eligible(claim):
    """The experts who may be drawn for the claim: active, of its field, not drawn for it
    yet, tied to neither party."""
    already = select(ExpertInvitation.expert_id).where(ExpertInvitation.claim_id == claim.id)
    tied = select(ExpertConflict.expert_id).where(
        ExpertConflict.organisation_id.in_((claim.firm_id, claim.agency_id)))
    in_field = select(expert_fields.c.expert_id).where(
        expert_fields.c.category_id.in_(_field_ids(claim.contract.order.offering.category)))
    return select(ExpertProfile).join(User, User.id == ExpertProfile.user_id).where(
        ExpertProfile.is_suspended.is_(False), User.is_active_account.is_(True),
        ExpertProfile.user_id.in_(in_field), ExpertProfile.user_id.not_in(already),
        ExpertProfile.user_id.not_in(tied),
        func.coalesce(User.organisation_id, 0).not_in((claim.firm_id, claim.agency_id)),
        func.coalesce(ExpertProfile.organisation_id, 0).not_in(
            (claim.firm_id, claim.agency_id)))


def _outside():
    home = current_app.config["HOME_PROVINCE"]
    return (ExpertProfile.province.is_not(None)) & (ExpertProfile.province != home)


def _wants_an_outside_expert(claim):
    """The year's pool setting asks a large claim's panel (every claim the experts review
    is one) for an expert from outside the province, and the live panel has none yet. The
    setting is the experts domain's: it answers the question the draw asks."""
    if not signals.anyone_answers_yes(signals.outside_expert_wanted, claim,
                                      year=now_utc().year):
        return False
    return db.session.execute(
        select(ExpertInvitation.id).join(ExpertProfile).where(
            ExpertInvitation.claim_id == claim.id, ExpertInvitation.status.in_(LIVE_STATES),
            _outside())).first() is None


def draw(claim, count):
    """Invite up to ``count`` more experts, at random, from those eligible; the first from
    outside the province when the year's setting asks for one."""
    experts = []
    if count > 0 and _wants_an_outside_expert(claim):
        experts = db.session.execute(_eligible(claim).where(_outside())
                                     .order_by(func.random()).limit(1)).scalars().all()
        if not experts:
            audit.record(claim, "panel_without_outside_expert",
                         data={"reason": "no eligible expert from outside the province"})
    if count > len(experts):
        experts += db.session.execute(
            _eligible(claim).where(ExpertProfile.user_id.not_in([e.user_id for e in experts]))
            .order_by(func.random()).limit(count - len(experts))).scalars().all()
    hours = current_app.config.get("EXPERT_RESPONSE_HOURS", 48)
    invited = []
    for expert in experts:
        invitation = ExpertInvitation(claim_id=claim.id, expert_id=expert.user_id,
                                      respond_by_dt=now_utc() + timedelta(hours=hours))
        db.session.add(invitation)
        db.session.flush()
        audit.record(invitation, "invite", after=InvitationState.INVITED,
                     data={"claim_id": claim.id, "expert_id": expert.user_id})
        outbox.emit("claims.expert_invited", invitation_id=invitation.id)
        invited.append(invitation)
    if len(invited) < count:
        audit.record(claim, "panel_short", data={"wanted": count, "drawn": len(invited)})
    return invited


def draw_panel(claim):
    live = db.session.execute(select(func.count(ExpertInvitation.id)).where(
        ExpertInvitation.claim_id == claim.id,
        ExpertInvitation.status.in_(LIVE_STATES))).scalar_one()
    return draw(claim, max(panel_size() - live, 0))


def invitations_of(claim):
    return db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.claim_id == claim.id).order_by(ExpertInvitation.id)).scalars().all()


def _own(invitation, expert_user):
    if invitation is None or invitation.expert_id != expert_user.id:
        raise NotYourInvitation()


def _locked(invitation):
    """The claim and the invitation under their row locks, in that order, the invitation
    re-read (its state may have changed since it was loaded)."""
    from marketplace.claims.services import lock_claim

    claim = lock_claim(invitation.claim_id)
    invitation = db.session.execute(for_update(
        select(ExpertInvitation).where(ExpertInvitation.id == invitation.id)
        .execution_options(populate_existing=True), of=ExpertInvitation)).unique().scalar_one()
    return claim, invitation


def respond(invitation, expert_user, accept):
    _own(invitation, expert_user)
    claim, invitation = _locked(invitation)
    transition(invitation, "accept" if accept else "decline", actor=expert_user)
    invitation.responded_dt = now_utc()
    if not accept:
        draw(claim, 1)
    db.session.flush()
    return invitation


def score(invitation, expert_user, *, necessity, price_reasonableness, delivery_quality,
          comment):
    _own(invitation, expert_user)
    values = (necessity, price_reasonableness, delivery_quality)
    if not all(isinstance(v, int) and 1 <= v <= 5 for v in values):
        raise ValidationFailed(_l("Score each criterion from 1 to 5."),
                               details={"field": "necessity"})
    if not (comment or "").strip():
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "comment"})
    claim, invitation = _locked(invitation)
    if claim.status != ClaimStatus.EXPERT_REVIEW:
        raise Conflict(_l("The claim is no longer with the experts."), code="stage_over")
    transition(invitation, "score", actor=expert_user,
               data=dict(zip(("necessity", "price_reasonableness", "delivery_quality"),
                             values)))
    (invitation.necessity, invitation.price_reasonableness,
     invitation.delivery_quality) = values
    invitation.comment = comment.strip()
    invitation.scored_dt = now_utc()
    db.session.flush()
    _finish_if_scored(claim)
    return invitation


def panel_summary(claim):
    scored = [i for i in invitations_of(claim) if i.status == InvitationState.SCORED]
    if not scored:
        return {"count": 0, "mean_x100": None, "outliers": []}
    mean = sum(i.mean_score_x100 for i in scored) // len(scored)
    return {"count": len(scored), "mean_x100": mean,
            "outliers": [i.expert_id for i in scored
                         if abs(i.mean_score_x100 - mean) >= OUTLIER_GAP_X100]}


def _finish_if_scored(claim):
    from marketplace.claims.services import _enter_stage

    """Move on once nobody is left to answer or score: normally a full panel has scored;
    if the pool ran dry the supervisor decides with the scores there are (the claim's
    audit trail says the panel was short)."""
    if claim.status != ClaimStatus.EXPERT_REVIEW:
        return
    states = [i.status for i in invitations_of(claim)]
    if InvitationState.INVITED in states or InvitationState.ACCEPTED in states:
        return
    summary = panel_summary(claim)
    transition(claim, "to_final", data={"panel": summary})
    _enter_stage(claim)
    outbox.emit("claims.stage_entered", claim_id=claim.id)


def no_shows_in_year(expert_id, at, since=None):
    """No-shows of the invitations sent in the 365 days before ``at`` (and, with ``since``,
    not before it)."""
    start = at - timedelta(days=365)
    if since is not None and since > start:
        start = since
    return db.session.execute(select(func.count(ExpertInvitation.id)).where(
        ExpertInvitation.expert_id == expert_id,
        ExpertInvitation.status == InvitationState.NO_SHOW,
        ExpertInvitation.invited_dt >= start)).scalar_one()


def no_shows_toward_suspension(expert, at):
    """What the automatic suspension counts: a reinstatement is a fresh start, so only the
    invitations sent since the latest one (and within the year)."""
    return no_shows_in_year(expert.user_id, at, since=expert.reinstated_dt)


@nightly_job
def expire_silent_experts(at=None):
    """Invitations not answered in time, and accepted ones not scored by the stage's
    deadline, become no-shows; another expert is drawn; repeat offenders are suspended."""
    at = at or now_utc()
    overdue = db.session.execute(select(ExpertInvitation.id).join(
        Claim, Claim.id == ExpertInvitation.claim_id).where(_overdue(at))).scalars().all()
    expired = []
    for invitation_id in overdue:
        claim, invitation = _locked(db.session.get(ExpertInvitation, invitation_id))
        if not _overdue_now(claim, invitation, at):
            continue   # answered or scored while the list was read
        expired.append(invitation.id)
        transition(invitation, "expire")
        expert = invitation.expert
        if not expert.is_suspended and no_shows_toward_suspension(expert, at) >= 3:
            transition(expert, "suspend", field="pool_status",
                       data={"reason": "three no-shows within a year"})
            expert.suspended_dt = at
            expert.suspension_reason = "three no-shows within a year"
        if not draw(claim, 1):
            _finish_if_scored(claim)
    return expired


def _overdue(at):
    """Invitations not answered in time, or accepted and not scored by the stage's
    deadline, of a claim still with the experts (over the joined claim)."""
    return (Claim.status == ClaimStatus.EXPERT_REVIEW) & (
        ((ExpertInvitation.status == InvitationState.INVITED)
         & (ExpertInvitation.respond_by_dt <= at))
        | ((ExpertInvitation.status == InvitationState.ACCEPTED)
           & (Claim.stage_due_on < at.date())))


def _overdue_now(claim, invitation, at):
    """:func:`_overdue` again, on the rows as read under their locks."""
    if claim.status != ClaimStatus.EXPERT_REVIEW:
        return False
    if invitation.status == InvitationState.INVITED:
        return invitation.respond_by_dt <= at
    return invitation.status == InvitationState.ACCEPTED and claim.stage_due_on < at.date()


def expert_record(expert_id):
    """Response time, declines and no-shows: the expert's record for the bureau."""
    rows = db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.expert_id == expert_id)).scalars().all()
    answered = [i for i in rows if i.responded_dt is not None]
    hours = [(i.responded_dt - i.invited_dt).total_seconds() / 3600 for i in answered]
    return {"invitations": len(rows),
            "declines": sum(i.status == InvitationState.DECLINED for i in rows),
            "no_shows": sum(i.status == InvitationState.NO_SHOW for i in rows),
            "scored": sum(i.status == InvitationState.SCORED for i in rows),
            "median_response_hours": (sorted(hours)[len(hours) // 2] if hours else None)}


def assessment_inputs(year):
    """What an expert's yearly assessment reads from the invitations sent in ``year``:
    ``{expert id: {invitations, answered_in_time, no_shows, scored, distances_x100,
    late_conflicts}}``. An invitation still open within its time does not count yet;
    a distance is how far the expert's mean score lies from the mean of the claim's whole
    scored panel (panels of two or more); a late conflict is a claim drawn for the expert,
    and not declined by them, whose firm or agency is now known to be tied to them (a
    recorded tie or their employer), which the draw would have avoided."""
    start = local_year_start(year)
    end = local_year_start(year + 1)
    now = now_utc()
    sent = db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.invited_dt >= start, ExpertInvitation.invited_dt < end)
    ).scalars().all()
    settled = [i for i in sent if not (i.status == InvitationState.INVITED
                                       and i.respond_by_dt > now)]
    claim_ids = {i.claim_id for i in settled}
    panels = {}
    for row in db.session.execute(select(ExpertInvitation).where(
            ExpertInvitation.claim_id.in_(claim_ids),
            ExpertInvitation.status == InvitationState.SCORED)).scalars():
        panels.setdefault(row.claim_id, []).append(row.mean_score_x100)
    parties = {row.id: (row.firm_id, row.agency_id) for row in db.session.execute(
        select(Claim.id, Claim.firm_id, Claim.agency_id).where(Claim.id.in_(claim_ids)))}
    expert_ids = {i.expert_id for i in settled}
    ties = {}
    for expert_id, organisation_id in db.session.execute(
            select(ExpertConflict.expert_id, ExpertConflict.organisation_id)
            .where(ExpertConflict.expert_id.in_(expert_ids))):
        ties.setdefault(expert_id, set()).add(organisation_id)
    for expert_id, organisation_id in db.session.execute(
            select(ExpertProfile.user_id, ExpertProfile.organisation_id)
            .where(ExpertProfile.user_id.in_(expert_ids))):
        if organisation_id:
            ties.setdefault(expert_id, set()).add(organisation_id)
    found = {}
    for invitation in settled:
        figures = found.setdefault(invitation.expert_id, {
            "invitations": 0, "answered_in_time": 0, "no_shows": 0, "scored": 0,
            "distances_x100": [], "late_conflicts": 0})
        figures["invitations"] += 1
        if invitation.responded_dt is not None \
                and invitation.responded_dt <= invitation.respond_by_dt:
            figures["answered_in_time"] += 1
        if invitation.status == InvitationState.NO_SHOW:
            figures["no_shows"] += 1
        if invitation.status == InvitationState.SCORED:
            figures["scored"] += 1
            panel = panels.get(invitation.claim_id, [])
            if len(panel) >= 2:
                figures["distances_x100"].append(
                    abs(invitation.mean_score_x100 - sum(panel) // len(panel)))
        # declining is how an expert steps aside from a party they are tied to: a tie
        # recorded after that is their disclosure, not a conflict found later
        tied = set(parties.get(invitation.claim_id, ())) & ties.get(invitation.expert_id,
                                                                      set())
        if tied and invitation.status != InvitationState.DECLINED:
            figures["late_conflicts"] += 1
    return found
