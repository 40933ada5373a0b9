"""Joining the expert pool (入库): a person applies with their fields, title, employer,
province and declared ties; an auditor admits them (an expert account, their profile in
the pool, their ties recorded) or rejects the application with a reason. Services flush
and never commit."""
import secrets
import zlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts import uscc
from marketplace.accounts.models import Organisation, Role, lower_email
from marketplace.agencies.models import ServiceCategory
from marketplace.claims.expert_models import ExpertConflict, ExpertProfile, ExpertStatus
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.rows import for_update, hold_key
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.experts.models import ApplicationStatus, ExpertApplication
from marketplace.experts.profiles import organisation_by_code
from marketplace.experts.provinces import CODES
from marketplace.extensions import db


# core.rows.hold_key's namespace: one application of an address at a time
_APPLY_LOCK_NAMESPACE = 7_100_024


class AlreadyApplied(Conflict):
    code = "already_applied"
    default_message = _l("An application with this e-mail address is already waiting for "
                         "the bureau.")


class AlreadyInPool(Conflict):
    code = "already_in_pool"
    default_message = _l("This e-mail address belongs to an account that cannot join the "
                         "pool, or to an expert already in it.")


def _pending(email):
    return db.session.execute(select(ExpertApplication.id).where(
        ExpertApplication.email == email,
        ExpertApplication.status == ApplicationStatus.SUBMITTED)).first()


def _joinable(email):
    """The existing account of this address may join (an expert's, not in the pool or
    removed from it), or there is none."""
    user = accounts.find_user_by_email(email)
    if user is None:
        return True
    if user.role != Role.EXPERT:
        return False
    profile = db.session.get(ExpertProfile, user.id)
    return profile is None or profile.removed_dt is not None


def apply(*, email, name, title, organisation_name, province, category_ids,
          organisation_code=None, conflict_codes="", declared_conflicts="", locale="zh"):
    email = lower_email(email)
    if province not in CODES:
        raise ValidationFailed(_l("Choose a province from the list."),
                               details={"field": "province"})
    fields = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.id.in_(set(category_ids or ())))).scalars().all()
    if not fields:
        raise ValidationFailed(_l("Choose at least one field of expertise."),
                               code="fields_required", details={"field": "field_ids"})
    organisation = organisation_by_code(organisation_code, "organisation_code")
    # an application sent twice at once (a double click) would find none waiting twice
    # and make two: the second waits for the first here, then finds it (a checksum of the
    # address as the key; two addresses sharing one only wait for each other)
    hold_key(_APPLY_LOCK_NAMESPACE, zlib.crc32(email.encode()) - 2**31)
    if _pending(email):
        raise AlreadyApplied(details={"field": "email"})
    if not _joinable(email):
        raise AlreadyInPool(details={"field": "email"})
    application = ExpertApplication(
        email=email, name=name.strip(), title=title.strip(),
        organisation_name=organisation_name.strip(), province=province,
        organisation_id=organisation.id if organisation else None,
        conflict_codes="\n".join(uscc.codes_in(conflict_codes)),
        declared_conflicts=(declared_conflicts or "").strip(), locale=locale, fields=fields)
    db.session.add(application)
    db.session.flush()
    audit.record(application, "apply", after=ApplicationStatus.SUBMITTED,
                 data={"province": province, "fields": sorted(c.code for c in fields)})
    outbox.emit("experts.applied", application_id=application.id)
    return application


def declared_organisations(application):
    """``(found, unknown)``: the declared ties' organisations on the platform, and the
    codes no organisation on the platform has (they cannot meet in a draw)."""
    codes = application.codes
    found = db.session.execute(select(Organisation).where(
        Organisation.uscc.in_(codes))).scalars().all() if codes else []
    known = {o.uscc for o in found}
    return found, [code for code in codes if code not in known]


def _locked(application):
    db.session.flush()
    found = db.session.execute(for_update(
        select(ExpertApplication).where(ExpertApplication.id == application.id)
        .execution_options(populate_existing=True), of=ExpertApplication)).scalar_one()
    if found.status != ApplicationStatus.SUBMITTED:
        raise InvalidTransition(details={"state": found.status.value})
    return found


def admit(application, actor):
    """Admit the applicant: an expert account (they choose its password through "forgot
    password"), their profile in the pool and their declared ties recorded."""
    application = _locked(application)
    if not _joinable(application.email):
        raise AlreadyInPool()
    user = accounts.find_user_by_email(application.email)
    if user is None:
        user = accounts.create_staff_user(email=application.email, name=application.name,
                                          role=Role.EXPERT.value,
                                          password=secrets.token_urlsafe(32), actor=actor)
        user.locale = application.locale
    profile = db.session.get(ExpertProfile, user.id)
    if profile is None:
        profile = ExpertProfile(user_id=user.id)
        db.session.add(profile)
    profile.title = application.title
    profile.fields = list(application.fields)
    profile.organisation_id = application.organisation_id
    profile.province = application.province
    db.session.flush()
    if profile.pool_status == ExpertStatus.REMOVED:
        transition(profile, "readmit", actor=actor, field="pool_status",
                   data={"application_id": application.id})
    else:
        audit.record(profile, "create", actor=actor, after=ExpertStatus.ACTIVE,
                     data={"application_id": application.id, "province": profile.province})
    found, _unknown = declared_organisations(application)
    recorded = set(db.session.execute(select(ExpertConflict.organisation_id).where(
        ExpertConflict.expert_id == user.id)).scalars())
    for organisation in found:
        if organisation.id not in recorded:
            db.session.add(ExpertConflict(
                expert_id=user.id, organisation_id=organisation.id,
                note=application.declared_conflicts or str(_l("declared when applying"))))
    transition(application, "admit", actor=actor, data={"expert_id": user.id})
    application.expert_user_id = user.id
    application.decided_by_id, application.decided_dt = actor.id, now_utc()
    outbox.emit("experts.admitted", application_id=application.id)
    db.session.flush()
    return profile


def reject(application, actor, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "reason"})
    application = _locked(application)
    transition(application, "reject", actor=actor, data={"reason": reason})
    application.decision_reason = reason
    application.decided_by_id, application.decided_dt = actor.id, now_utc()
    outbox.emit("experts.application_rejected", application_id=application.id)
    db.session.flush()
    return application


def remove_from_pool(profile, actor, reason):
    """退库: out of the draws for good (unless admitted again), with the reason."""
    transition(profile, "remove", actor=actor, field="pool_status", data={"reason": reason})
    profile.removal_reason = reason
    outbox.emit("experts.removed", expert_id=profile.user_id)
    db.session.flush()
    return profile


def applications_query(status=ApplicationStatus.SUBMITTED):
    query = select(ExpertApplication)
    if status is not None:
        query = query.where(ExpertApplication.status == status)
    return query.order_by(ExpertApplication.created_dt, ExpertApplication.id)
