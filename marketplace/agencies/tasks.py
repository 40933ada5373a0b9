"""Outbox consumers of the registry: tell the agency of every step, and the auditors of
what waits for them."""
from marketplace.accounts.models import Role
from marketplace.agencies.models import AgencyProfile, Objection, QualificationDocument
from marketplace.core import outbox
from marketplace.core.timeutil import local_date
from marketplace.extensions import db
from marketplace.notifications.services import (active_members, active_staff, notify,
                                                notify_coalesced)

STATUS_MESSAGES = {
    "approve": "agency_notice_opened", "reject": "agency_rejected",
    "return": "agency_returned", "admit": "agency_admitted", "suspend": "agency_suspended",
    "reinstate": "agency_reinstated", "remove": "agency_removed",
}


@outbox.handler("agencies.submitted")
def tell_about_submission(agency_id):
    profile = db.session.get(AgencyProfile, agency_id)
    for member in active_members(agency_id):
        notify(member, "agency_submitted", link="/registry/application", agency=profile.name)
    # a call for agencies brings many at once: each auditor gets one notice counting them
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "agency_to_review", link="/registry/review?status=submitted",
                         agency=profile.name)


@outbox.handler("agencies.status_changed")
def tell_about_status(agency_id, action):
    profile = db.session.get(AgencyProfile, agency_id)
    kind = STATUS_MESSAGES.get(action)
    if kind is None:
        return
    params = {"agency": profile.name, "reason": profile.status_reason or "-",
              "notice_ends": (local_date(profile.notice_ends_dt).isoformat()
                              if profile.notice_ends_dt else "-")}
    for member in active_members(agency_id):
        notify(member, kind, link="/registry/application", **params)


@outbox.handler("agencies.objection_filed")
def tell_about_objection(objection_id):
    objection = db.session.get(Objection, objection_id)
    name = objection.agency.name
    for auditor in active_staff(Role.AUDITOR):
        notify(auditor, "agency_objection_filed", agency=name,
               link=f"/registry/review/{objection.agency_id}")
    for member in active_members(objection.agency_id):
        notify(member, "agency_objection_received", agency=name, link="/registry/application")


@outbox.handler("agencies.objection_resolved")
def tell_about_resolution(objection_id):
    objection = db.session.get(Objection, objection_id)
    notify(objection.filed_by, f"objection_{objection.status.value}",
           agency=objection.agency.name, resolution=objection.resolution or "",
           link=f"/registry/notices/{objection.agency_id}")


@outbox.handler("agencies.document_expiring")
def tell_about_expiring_document(document_id):
    document = db.session.get(QualificationDocument, document_id)
    for member in active_members(document.agency_id):
        notify(member, "document_expiring", title=document.title,
               expires_on=document.expires_on.isoformat(), link="/registry/application")
