"""The expert pool (专家库) as the bureau keeps it: each expert's profile (fields of
expertise from the service categories, the organisation they work for), their recorded
ties to organisations, suspension and reinstatement (through the pool's transition
table, each audited), and each expert's record for the list. Services flush, never
commit."""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts import uscc
from marketplace.accounts.models import Organisation, Role, User
from marketplace.agencies.models import ServiceCategory
from marketplace.claims.expert_models import (ExpertConflict, ExpertInvitation,
                                              ExpertProfile, ExpertStatus, InvitationState,
                                              expert_fields)
from marketplace.core import audit
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.experts.provinces import CODES as PROVINCE_CODES
from marketplace.extensions import db

STATUSES = tuple(s.value for s in ExpertStatus)


# --- reads ---------------------------------------------------------------------------------

def pool_query(field_id=None, status=None):
    """Experts by name; ``field_id`` a service category, ``status`` active or suspended."""
    query = select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
    if field_id:
        query = query.where(ExpertProfile.user_id.in_(select(expert_fields.c.expert_id).where(
            expert_fields.c.category_id == field_id)))
    if status == ExpertStatus.REMOVED.value:
        query = query.where(ExpertProfile.removed_dt.is_not(None))
    elif status in STATUSES:
        query = query.where(ExpertProfile.is_suspended.is_(status == "suspended"),
                            ExpertProfile.removed_dt.is_(None))
    return query.order_by(User.name, User.id)


@dataclass(frozen=True)
class ExpertRecord:
    invitations: int
    accepted: int               # answered yes (scored, waiting to score, or silent after)
    declined: int
    no_shows_last_year: int
    mean_response_hours: float | None
    scored: int
    mean_score_x100: int | None
    # what the automatic suspension counts: the no-shows since the latest reinstatement
    # (within the year); differs from no_shows_last_year only after a reinstatement
    no_shows_counted: int = 0
    reinstated_dt: object | None = None

    @property
    def counts_fewer_no_shows(self):
        return self.no_shows_counted != self.no_shows_last_year


EMPTY_RECORD = ExpertRecord(0, 0, 0, 0, None, 0, None)


def records_of(expert_ids, at=None):
    """``{expert id: ExpertRecord}`` for a page of experts, from one query."""
    at = at or now_utc()
    rows = db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.expert_id.in_(set(expert_ids)))).scalars().all() if expert_ids else []
    by_expert = {}
    for row in rows:
        by_expert.setdefault(row.expert_id, []).append(row)
    reinstated = dict(db.session.execute(select(
        ExpertProfile.user_id, ExpertProfile.reinstated_dt).where(
        ExpertProfile.user_id.in_(set(by_expert)))).all()) if by_expert else {}
    year_ago = at - timedelta(days=365)
    found = {}
    for expert_id, invitations in by_expert.items():
        counted_from = max(year_ago, reinstated.get(expert_id) or year_ago)
        no_shows = [i for i in invitations if i.status == InvitationState.NO_SHOW]
        answered = [i for i in invitations if i.responded_dt is not None]
        hours = [(i.responded_dt - i.invited_dt).total_seconds() / 3600 for i in answered]
        scored = [i for i in invitations if i.status == InvitationState.SCORED]
        found[expert_id] = ExpertRecord(
            invitations=len(invitations),
            accepted=sum(i.status != InvitationState.DECLINED for i in answered),
            declined=sum(i.status == InvitationState.DECLINED for i in invitations),
            no_shows_last_year=sum(i.invited_dt >= year_ago for i in no_shows),
            no_shows_counted=sum(i.invited_dt >= counted_from for i in no_shows),
            reinstated_dt=reinstated.get(expert_id),
            mean_response_hours=round(sum(hours) / len(hours), 1) if hours else None,
            scored=len(scored),
            mean_score_x100=(sum(i.mean_score_x100 for i in scored) // len(scored)
                             if scored else None))
    return {expert_id: found.get(expert_id, EMPTY_RECORD) for expert_id in expert_ids}


def conflicts_of(profile):
    return db.session.execute(select(ExpertConflict).where(
        ExpertConflict.expert_id == profile.user_id).order_by(ExpertConflict.id)).scalars().all()


def organisations_by_id(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {o.id: o for o in db.session.execute(
        select(Organisation).where(Organisation.id.in_(ids))).scalars()}


def categories():
    return db.session.execute(select(ServiceCategory).order_by(
        ServiceCategory.sort_order, ServiceCategory.id)).scalars().all()


def organisation_by_code(code, field):
    """The organisation with this unified social credit code, or a form error."""
    code = uscc.normalise(code)
    if not code:
        return None
    found = db.session.execute(select(Organisation).where(
        Organisation.uscc == code)).scalar_one_or_none()
    if found is None:
        raise ValidationFailed(_l("No organisation on the platform has this credit code."),
                               code="organisation_unknown", details={"field": field})
    return found


# --- profiles ------------------------------------------------------------------------------

def _fields(category_ids):
    chosen = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.id.in_(set(category_ids or ())))).scalars().all()
    if not chosen:
        raise ValidationFailed(_l("Choose at least one field of expertise."),
                               code="fields_required", details={"field": "field_ids"})
    return chosen


def create_profile(actor, *, email, name, password, title, category_ids,
                   organisation_code=None, province=None):
    """A new expert: an existing expert account without a profile, or a new account."""
    fields = _fields(category_ids)
    organisation = organisation_by_code(organisation_code, "organisation_code")
    user = accounts.find_user_by_email(email)
    if user is None:
        if not password:
            raise ValidationFailed(_l("Give an initial password for the new account."),
                                   code="password_required", details={"field": "password"})
        user = accounts.create_staff_user(email=email, name=name, role=Role.EXPERT.value,
                                          password=password, actor=actor)
    elif user.role != Role.EXPERT:
        raise ValidationFailed(_l("This account is not an expert's."), code="not_an_expert",
                               details={"field": "email"})
    elif db.session.get(ExpertProfile, user.id) is not None:
        raise Conflict(_l("This expert is already in the pool."), code="already_in_pool",
                       details={"field": "email"})
    profile = ExpertProfile(user_id=user.id, title=(title or "").strip(), fields=fields,
                            organisation_id=organisation.id if organisation else None,
                            province=_province(province))
    db.session.add(profile)
    db.session.flush()
    audit.record(profile, "create", actor=actor, after=ExpertStatus.ACTIVE,
                 data=_profile_data(profile))
    return profile


def update_profile(actor, profile, *, title, category_ids, organisation_code=None,
                   province=None):
    fields = _fields(category_ids)
    organisation = organisation_by_code(organisation_code, "organisation_code")
    before = _profile_data(profile)
    profile.title = (title or "").strip()
    profile.fields = fields
    profile.organisation_id = organisation.id if organisation else None
    profile.province = _province(province)
    db.session.flush()
    audit.record(profile, "update", actor=actor,
                 data={"before": before, "after": _profile_data(profile)})
    return profile


def _profile_data(profile):
    return {"title": profile.title, "fields": sorted(c.code for c in profile.fields),
            "organisation_id": profile.organisation_id, "province": profile.province}


def _province(code):
    if code and code not in PROVINCE_CODES:
        raise ValidationFailed(_l("Choose a province from the list."),
                               details={"field": "province"})
    return code or None


# --- conflicts -----------------------------------------------------------------------------

def record_conflict(actor, profile, *, organisation_code, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "reason"})
    organisation = organisation_by_code(organisation_code, "organisation_code")
    if organisation is None:
        raise ValidationFailed(_l("Give the organisation's credit code."),
                               code="organisation_required",
                               details={"field": "organisation_code"})
    exists = db.session.execute(select(ExpertConflict.id).where(
        ExpertConflict.expert_id == profile.user_id,
        ExpertConflict.organisation_id == organisation.id)).first()
    if exists:
        raise Conflict(_l("This tie is already recorded."), code="conflict_exists",
                       details={"field": "organisation_code"})
    conflict = ExpertConflict(expert_id=profile.user_id, organisation_id=organisation.id,
                              note=reason)
    db.session.add(conflict)
    db.session.flush()
    audit.record(profile, "record_conflict", actor=actor,
                 data={"organisation_id": organisation.id, "reason": reason})
    return conflict


def remove_conflict(actor, conflict):
    profile = db.session.get(ExpertProfile, conflict.expert_id)
    audit.record(profile, "remove_conflict", actor=actor,
                 data={"organisation_id": conflict.organisation_id, "reason": conflict.note})
    db.session.delete(conflict)
    db.session.flush()


# --- suspension ----------------------------------------------------------------------------

class WrongPoolState(Conflict):
    code = "invalid_transition"


def _move(actor, profile, action, reason, message):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "reason"})
    try:
        transition(profile, action, actor=actor, field="pool_status",
                   data={"reason": reason})
    except InvalidTransition:
        raise WrongPoolState(message) from None
    db.session.flush()
    return profile


def suspend(actor, profile, reason):
    """Out of the draws until reinstated (invitations already sent stand)."""
    _move(actor, profile, "suspend", reason, _l("This expert is already suspended."))
    profile.suspended_dt = now_utc()
    profile.suspension_reason = reason.strip()
    return profile


def reinstate(actor, profile, reason):
    """Back into the draws: an explicit, confirmed step with its reason in the audit log."""
    _move(actor, profile, "reinstate", reason, _l("This expert is not suspended."))
    profile.suspended_dt = None
    profile.suspension_reason = None
    profile.reinstated_dt = now_utc()
    return profile
