"""The registry's lifecycle: an agency's application, the auditor's decision, the public
notice with its objections, admission, suspension, reinstatement and removal.

Services flush and never commit; the request or task commits once. Each step goes
through ``AgencyProfile.TRANSITIONS`` (which writes the audit record) and emits an outbox
message the notification handlers turn into in-app messages and e-mails."""
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.agencies import signals
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, DocumentKind,
                                         Objection, ObjectionStatus, QualificationDocument,
                                         ServiceCategory)
from marketplace.core import audit, notices, outbox, storage
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.notices import NoticeStillRunning
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

PROFILE_FIELDS = ("agency_type", "in_city", "home_city", "introduction", "staff_count",
                  "qualified_staff_count", "staff_qualifications", "years_in_operation",
                  "fee_schedule")


class ProfileLocked(Conflict):
    code = "profile_locked"
    default_message = _l("The application can only be changed while it is a draft or "
                         "returned for correction.")


class ApplicationIncomplete(ValidationFailed):
    code = "application_incomplete"
    default_message = _l("The application is not complete yet.")


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    default_message = _l("Please give a reason.")


class ObjectionsOpen(Conflict):
    code = "objections_open"
    default_message = _l("Every objection must be resolved before admission.")


class DocumentsExpired(Conflict):
    code = "documents_expired"
    default_message = _l("A qualification document has expired; a current one must be "
                         "uploaded first.")


class ObjectionNotAllowed(Conflict):
    code = "objection_not_allowed"
    default_message = _l("Objections can only be filed during the public notice, and not "
                         "by the agency itself.")


# --- the agency's side ----------------------------------------------------------------

def profile_of(organisation):
    """The registry profile of an agency organisation, made as a draft on first use."""
    profile = db.session.get(AgencyProfile, organisation.id)
    if profile is None:
        profile = AgencyProfile(organisation_id=organisation.id, status=AgencyStatus.DRAFT,
                                in_city=organisation.district_id is not None)
        db.session.add(profile)
        db.session.flush()
    return profile


def update_profile(profile, actor, *, category_ids, **fields):
    if not profile.is_editable:
        raise ProfileLocked()
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields {sorted(unknown)}")
    if fields.get("in_city", profile.in_city):
        fields["home_city"] = None
    elif not (fields.get("home_city") or "").strip():
        raise ValidationFailed(_l("Name the city where an out-of-town agency is based."),
                               details={"field": "home_city"})
    before = {name: _plain(getattr(profile, name)) for name in fields}
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.categories = _categories(category_ids)
    profile.updated_dt = now_utc()
    changed = {name: _plain(getattr(profile, name)) for name in fields
               if before[name] != _plain(getattr(profile, name))}
    audit.record(profile, "edit_profile", actor=actor,
                 data={"changed": sorted(changed),
                       "categories": [c.code for c in profile.categories]})
    db.session.flush()
    return profile


def _plain(value):
    return getattr(value, "value", value)


def _categories(category_ids):
    ids = sorted({int(i) for i in category_ids or ()})
    if not ids:
        return []
    found = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.id.in_(ids), ServiceCategory.is_active.is_(True))).scalars().all()
    if len(found) != len(ids):
        raise ValidationFailed(_l("Choose service categories from the list."),
                               details={"field": "category_ids"})
    return found


def add_document(profile, actor, *, kind, title, expires_on, stream, original_name):
    if profile.status == AgencyStatus.REMOVED:
        raise InvalidTransition()
    if expires_on <= date.today():
        raise ValidationFailed(_l("The document has already expired."),
                               details={"field": "expires_on"})
    stored = storage.store(stream, original_name)
    # through the relationship, so profile.documents (if loaded) includes it at once
    document = QualificationDocument(agency=profile, kind=kind,
                                     title=title, expires_on=expires_on,
                                     uploaded_by_id=actor.id, **stored)
    db.session.add(document)
    db.session.flush()
    audit.record(document, "upload", actor=actor,
                 data={"agency_id": profile.organisation_id, "kind": _plain(kind),
                       "expires_on": expires_on, "sha256": stored["sha256"]})
    return document


def withdraw_document(document, actor):
    """An outdated document leaves the application; the row and file stay for the record."""
    if document.is_withdrawn:
        return document
    profile = document.agency
    if not profile.is_editable and not _replaced(document):
        raise Conflict(_l("A document of an application under review or in the registry "
                          "can only be withdrawn once a newer one of its kind is "
                          "uploaded."), code="document_needed")
    document.is_withdrawn = True
    audit.record(document, "withdraw", actor=actor, data={"agency_id": document.agency_id})
    db.session.flush()
    return document


def _replaced(document):
    return any(other.id != document.id and other.kind == document.kind
               and not other.is_withdrawn and other.expires_on > document.expires_on
               for other in document.agency.documents)


def missing_for_submission(profile):
    """What still stops the application from being submitted, as messages."""
    missing = []
    if not profile.categories:
        missing.append(_l("Choose at least one service category."))
    if len(profile.introduction.strip()) < 20:
        missing.append(_l("Introduce the agency in at least 20 characters."))
    if profile.staff_count < 1:
        missing.append(_l("Give the number of staff."))
    if not profile.fee_schedule.strip():
        missing.append(_l("Describe the fee schedule."))
    current = [d for d in profile.current_documents() if d.expires_on > date.today()]
    if not any(d.kind == DocumentKind.BUSINESS_LICENCE for d in current):
        missing.append(_l("Upload the business licence (or the registration certificate "
                          "of a university or institute)."))
    return missing


def submit(profile, actor):
    missing = missing_for_submission(profile)
    if missing:
        raise ApplicationIncomplete(details={"missing": [str(m) for m in missing]})
    transition(profile, "submit", actor=actor)
    profile.submitted_dt = profile.status_changed_dt = now_utc()
    profile.status_reason = None
    outbox.emit("agencies.submitted", agency_id=profile.organisation_id)
    db.session.flush()
    return profile


def reopen(profile, actor):
    """A rejected agency corrects its application to apply again."""
    transition(profile, "reopen", actor=actor)
    profile.status_changed_dt = now_utc()
    db.session.flush()
    return profile


# --- the auditor's side ---------------------------------------------------------------

def _locked(profile):
    """Re-read the profile under a row lock, so two auditors cannot both decide it."""
    db.session.flush()
    return db.session.execute(for_update(
        select(AgencyProfile).where(AgencyProfile.organisation_id == profile.organisation_id)
        .execution_options(populate_existing=True), of=AgencyProfile)).scalar_one()


def _change_status(profile, action, actor, reason=None, data=None):
    transition(profile, action, actor=actor, data={"reason": reason, **(data or {})})
    profile.status_changed_dt = now_utc()
    profile.status_reason = reason
    profile.reviewed_by_id = getattr(actor, "id", None)
    outbox.emit("agencies.status_changed", agency_id=profile.organisation_id, action=action)
    if action in ("suspend", "remove"):
        # a domain event for whoever keeps work with the agency (the orders domain flags
        # its open orders)
        outbox.emit("agencies.left_registry", agency_id=profile.organisation_id,
                    action=action)
    db.session.flush()
    return profile


def _required(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(details={"field": "reason"})
    return reason


def decide(profile, actor, decision, reason=None):
    """approve (opens the public notice), reject or return (both need a reason)."""
    profile = _locked(profile)
    # "reject" is also a step out of the public notice (an upheld objection): a second
    # auditor deciding an application the first has just approved must not reject it.
    if profile.status != AgencyStatus.SUBMITTED:
        raise InvalidTransition(details={"state": profile.status.value, "action": decision})
    if decision == "approve":
        _refuse_if_barred(profile)
        _refuse_if_documents_expired(profile)
        days = current_app.config["AGENCY_NOTICE_DAYS"]
        notices.open_notice(profile, days)
        return _change_status(profile, "approve", actor, (reason or "").strip() or None,
                              data={"notice_days": days})
    if decision in ("reject", "return"):
        return _change_status(profile, decision, actor, _required(reason))
    raise ValidationFailed(details={"field": "decision"})


def _refuse_if_documents_expired(profile):
    """Approval, admission and reinstatement each judge the documents valid that day: a
    licence that lapsed while the application waited (or during the notice) must be
    replaced first, or the agency would be admitted and suspended the same night."""
    if expired_documents(profile):
        raise DocumentsExpired()


def _refuse_if_barred(profile):
    """Admission refuses an agency on the integrity list, or one whose people are."""
    from marketplace.accounts.versions import current_version
    from marketplace.integrity import barred

    barred.refuse_if_barred({"agency": current_version(profile.organisation)})


def open_objections(profile):
    return db.session.execute(select(Objection).where(
        Objection.agency_id == profile.organisation_id,
        Objection.status == ObjectionStatus.OPEN).order_by(Objection.id)).scalars().all()


def objections_of(profile):
    return db.session.execute(select(Objection).where(
        Objection.agency_id == profile.organisation_id).order_by(Objection.id)).scalars().all()


def notice_is_running(profile, at=None):
    return notices.notice_is_running(profile, profile.status == AgencyStatus.PUBLIC_NOTICE, at)


def file_objection(profile, actor, text):
    text = notices.objection_text(text)
    if not notice_is_running(profile) or actor.organisation_id == profile.organisation_id:
        raise ObjectionNotAllowed()
    objection = notices.file_objection(Objection, actor, text,
                                       agency_id=profile.organisation_id)
    outbox.emit("agencies.objection_filed", objection_id=objection.id)
    return objection


def resolve_objection(objection, actor, decision, resolution):
    """Dismiss the objection, or uphold it, which rejects the application."""
    _required(resolution)
    profile = _locked(objection.agency)
    # re-read under the profile's lock: another auditor may have resolved it meanwhile
    db.session.refresh(objection)
    action = notices.settle_objection(objection, actor, decision, resolution)
    outbox.emit("agencies.objection_resolved", objection_id=objection.id)
    if action == "uphold" and profile.status == AgencyStatus.PUBLIC_NOTICE:
        _change_status(profile, "reject", actor, objection.resolution,
                       data={"objection_id": objection.id})
    db.session.flush()
    return objection


def conclude_notice(profile, actor=None, at=None):
    """Admit the agency once its notice has run its course with no objection open."""
    profile = _locked(profile)
    if profile.status != AgencyStatus.PUBLIC_NOTICE:
        raise InvalidTransition(details={"state": profile.status.value, "action": "admit"})
    if notice_is_running(profile, at):
        raise NoticeStillRunning(details={"notice_ends_dt": profile.notice_ends_dt})
    if open_objections(profile):
        raise ObjectionsOpen()
    _refuse_if_barred(profile)
    _refuse_if_documents_expired(profile)
    profile.admitted_dt = profile.admitted_dt or now_utc()
    _change_status(profile, "admit", actor)
    signals.agency_admitted.send(profile)    # in this transaction: the agency's scorecard
    return profile


def suspend(profile, actor, reason):
    return _change_status(_locked(profile), "suspend", actor, _required(reason))


def reinstate(profile, actor, reason=None):
    profile = _locked(profile)
    _refuse_if_documents_expired(profile)
    return _change_status(profile, "reinstate", actor, (reason or "").strip() or None)


def remove(profile, actor, reason):
    return _change_status(_locked(profile), "remove", actor, _required(reason))


def expired_documents(profile, today=None):
    today = today or date.today()
    return [d for d in profile.current_documents() if d.expires_on <= today]


# --- lists ----------------------------------------------------------------------------

def review_queue(status=None):
    """Agencies waiting for the bureau, the oldest first, with their open objections."""
    statuses = [status] if status else [AgencyStatus.SUBMITTED, AgencyStatus.PUBLIC_NOTICE]
    objections = (select(func.count(Objection.id))
                  .where(Objection.agency_id == AgencyProfile.organisation_id,
                         Objection.status == ObjectionStatus.OPEN)
                  .correlate(AgencyProfile).scalar_subquery())
    return (select(AgencyProfile, objections.label("open_objections"))
            .where(AgencyProfile.status.in_(statuses))
            .order_by(AgencyProfile.status_changed_dt, AgencyProfile.organisation_id))


def agencies_on_notice():
    return db.session.execute(
        select(AgencyProfile).where(AgencyProfile.status == AgencyStatus.PUBLIC_NOTICE)
        .order_by(AgencyProfile.notice_ends_dt, AgencyProfile.organisation_id)
    ).scalars().all()
