"""A commissioner's recognition: the application, the bureau's decision, the public notice
with its objections (the registry's, through core.notices), recognition, the yearly
renewal and withdrawal.

Services flush and never commit; every step goes through ``Commissioner.TRANSITIONS``
(which audits it) and announces itself through the outbox."""
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import District, User
from marketplace.commissioners.models import (Commissioner, CommissionerObjection,
                                              CommissionerStatus)
from marketplace.core import audit, notices, outbox
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.notices import NoticeStillRunning, ObjectionStatus
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.technology_fields.services import field_codes

APPLICATION_FIELDS = ("field_code", "organisation_name", "title", "qualifications",
                      "expertise", "service_areas", "district_id")


class ApplicationLocked(Conflict):
    code = "application_locked"
    default_message = _l("Your application is with the bureau; it can be changed only "
                         "once it is returned, rejected or withdrawn.")


class ObjectionNotAllowed(Conflict):
    code = "objection_not_allowed"
    default_message = _l("Objections can only be filed during the public notice, and not "
                         "by the applicant.")


class ObjectionsOpen(Conflict):
    code = "objections_open"
    default_message = _l("Every objection must be resolved before recognition.")


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "reason"})
    return reason


def _locked(commissioner):
    """Re-read under a row lock, so two reviewers cannot both decide it."""
    db.session.flush()
    return db.session.execute(for_update(
        select(Commissioner).where(Commissioner.id == commissioner.id)
        .execution_options(populate_existing=True), of=Commissioner)).scalar_one()


# --- the applicant ------------------------------------------------------------------------

def application_of(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(select(Commissioner).where(
        Commissioner.user_id == user.id)).scalar_one_or_none()


def _checked(fields):
    unknown = set(fields) - set(APPLICATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown application fields {sorted(unknown)}")
    if fields["field_code"] not in field_codes():
        raise ValidationFailed(_l("Choose a technology field from the list."),
                               details={"field": "field_code"})
    district = db.session.get(District, fields["district_id"])
    if district is None or not district.is_active:
        raise ValidationFailed(_l("Choose a district from the list."),
                               details={"field": "district_id"})
    cleaned = {name: (value.strip() if isinstance(value, str) else value)
               for name, value in fields.items()}
    for name in APPLICATION_FIELDS:
        if cleaned[name] in ("", None):
            raise ValidationFailed(_l("This field is required."), details={"field": name})
    return cleaned


def apply(user, **fields):
    """Submit (or, when returned, rejected or withdrawn, submit again) the user's
    application to be a commissioner."""
    fields = _checked(fields)
    # the applicant's row first: an application sent twice at once (a double click)
    # would find none twice, and the second insert break the one-per-person key; the
    # second now waits and finds the first, with the bureau
    db.session.execute(for_update(select(User.id).where(User.id == user.id), of=User))
    commissioner = application_of(user)
    if commissioner is None:
        commissioner = Commissioner(user_id=user.id, status=CommissionerStatus.SUBMITTED,
                                    organisation_id=user.organisation_id, **fields)
        db.session.add(commissioner)
        db.session.flush()
        audit.record(commissioner, "apply", actor=user, after=CommissionerStatus.SUBMITTED,
                     data={"field_code": fields["field_code"]})
    else:
        commissioner = _locked(commissioner)
        if not commissioner.is_editable:
            raise ApplicationLocked(details={"status": commissioner.status.value})
        for name, value in fields.items():
            setattr(commissioner, name, value)
        commissioner.organisation_id = user.organisation_id
        transition(commissioner, "submit", actor=user, data={"changed": sorted(fields)})
    commissioner.submitted_dt = commissioner.status_changed_dt = now_utc()
    commissioner.status_reason = None
    outbox.emit("commissioners.submitted", commissioner_id=commissioner.id)
    db.session.flush()
    return commissioner


# --- the bureau ---------------------------------------------------------------------------

def _change(commissioner, action, actor, reason=None, data=None):
    transition(commissioner, action, actor=actor, data={"reason": reason, **(data or {})})
    commissioner.status_changed_dt = now_utc()
    commissioner.status_reason = reason
    commissioner.reviewed_by_id = getattr(actor, "id", None)
    outbox.emit("commissioners.status_changed", commissioner_id=commissioner.id,
                action=action)
    db.session.flush()
    return commissioner


def decide(commissioner, actor, decision, reason=None):
    """approve (opens the public notice), return for correction or reject (with a reason)."""
    commissioner = _locked(commissioner)
    if commissioner.status != CommissionerStatus.SUBMITTED:
        raise InvalidTransition(details={"state": commissioner.status.value,
                                         "action": decision})
    if decision == "approve":
        days = current_app.config["COMMISSIONER_NOTICE_DAYS"]
        notices.open_notice(commissioner, days)
        return _change(commissioner, "approve", actor, (reason or "").strip() or None,
                       data={"notice_days": days})
    if decision in ("return", "reject"):
        return _change(commissioner, decision, actor, _reason(reason))
    raise ValidationFailed(details={"field": "decision"})


def notice_is_running(commissioner, at=None):
    return notices.notice_is_running(
        commissioner, commissioner.status == CommissionerStatus.PUBLIC_NOTICE, at)


def objections_of(commissioner):
    return db.session.execute(select(CommissionerObjection).where(
        CommissionerObjection.commissioner_id == commissioner.id)
        .order_by(CommissionerObjection.id)).scalars().all()


def file_objection(commissioner, actor, text):
    text = notices.objection_text(text)
    if not notice_is_running(commissioner) or actor.id == commissioner.user_id:
        raise ObjectionNotAllowed()
    objection = notices.file_objection(CommissionerObjection, actor, text,
                                       commissioner_id=commissioner.id)
    outbox.emit("commissioners.objection_filed", objection_id=objection.id)
    return objection


def resolve_objection(objection, actor, decision, resolution):
    """Dismiss the objection, or uphold it, which rejects the application."""
    commissioner = _locked(objection.commissioner)
    db.session.refresh(objection)
    action = notices.settle_objection(objection, actor, decision, resolution)
    outbox.emit("commissioners.objection_resolved", objection_id=objection.id)
    if action == "uphold" and commissioner.status == CommissionerStatus.PUBLIC_NOTICE:
        _change(commissioner, "reject", actor, objection.resolution,
                data={"objection_id": objection.id})
    db.session.flush()
    return objection


def conclude_notice(commissioner, actor=None, at=None):
    """Recognise the commissioner once the notice has run with no objection open; the
    recognition runs to the end of the year and is renewed by the yearly assessment."""
    commissioner = _locked(commissioner)
    if commissioner.status != CommissionerStatus.PUBLIC_NOTICE:
        raise InvalidTransition(details={"state": commissioner.status.value,
                                         "action": "recognise"})
    if notice_is_running(commissioner, at):
        raise NoticeStillRunning(details={"notice_ends_dt": commissioner.notice_ends_dt})
    if notices.open_objections_count(CommissionerObjection.commissioner_id, commissioner.id):
        raise ObjectionsOpen()
    recognised = at or now_utc()
    commissioner.recognised_dt = recognised
    commissioner.recognised_until = date(recognised.year, 12, 31)
    return _change(commissioner, "recognise", actor)


def renew(commissioner, actor, year):
    """The year's assessment passed: recognised through the next year."""
    commissioner = _locked(commissioner)
    commissioner.recognised_until = date(year + 1, 12, 31)
    return _change(commissioner, "renew", actor, data={"year": year})


def withdraw(commissioner, actor, reason):
    """Out of the directory (not competent in the year's assessment, or by the bureau);
    the commissioner's pairings end and they may apply again."""
    from marketplace.commissioners.activity import end_pairings_of

    commissioner = _locked(commissioner)
    _change(commissioner, "withdraw", actor, _reason(reason))
    end_pairings_of(commissioner, actor)
    return commissioner


def review_queue(status=None):
    """Applications waiting for the bureau, the oldest first."""
    statuses = [status] if status else [CommissionerStatus.SUBMITTED,
                                        CommissionerStatus.PUBLIC_NOTICE]
    return (select(Commissioner).where(Commissioner.status.in_(statuses))
            .order_by(Commissioner.status_changed_dt, Commissioner.id))


def on_notice():
    """Commissioners whose recognition is on public notice, the soonest ending first."""
    return db.session.execute(select(Commissioner).where(
        Commissioner.status == CommissionerStatus.PUBLIC_NOTICE)
        .order_by(Commissioner.notice_ends_dt, Commissioner.id)).scalars().all()


def due_notices(at=None):
    """Notices that ended with no objection open: the nightly job concludes them."""
    at = at or now_utc()
    open_objection = select(CommissionerObjection.id).where(
        CommissionerObjection.commissioner_id == Commissioner.id,
        CommissionerObjection.status == ObjectionStatus.OPEN).exists()
    return db.session.execute(select(Commissioner).where(
        Commissioner.status == CommissionerStatus.PUBLIC_NOTICE,
        Commissioner.notice_ends_dt <= at, ~open_objection)).scalars().all()
