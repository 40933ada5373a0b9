"""Outbox consumers of the commissioners' domain (tell people what happened) and its
nightly job (conclude the notices that ran out without objection)."""
from datetime import date

from flask_babel import force_locale

from marketplace.accounts.models import Role
from marketplace.commissioners import services
from marketplace.commissioners.assessment import (expected_by, required_served,
                                                   required_services)
from marketplace.commissioners.models import (Commissioner, CommissionerAssessment,
                                              CommissionerObjection, CommissionerService,
                                              Pairing, PairingKind)
from marketplace.commissioners.monitoring import figures_for, rules_for
from marketplace.core import outbox
from marketplace.core.labels import label
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import local_date
from marketplace.extensions import db
from marketplace.notifications.services import (active_members, active_staff, notify,
                                                notify_coalesced)
from marketplace.technology_fields.services import field_label

MINE = "/commissioners/mine"
STATUS_MESSAGES = {"approve": "commissioner_notice_opened", "return": "commissioner_returned",
                   "reject": "commissioner_rejected", "recognise": "commissioner_recognised",
                   "renew": "commissioner_renewed", "withdraw": "commissioner_withdrawn"}


def _word(user, value):
    """An enum value's name in the recipient's language (notices keep their text)."""
    with force_locale(user.locale or "zh"):
        return label(value)


def _field_name(user, code):
    """A technology field's name in the recipient's language (the fields are a table, not
    labels: ``label`` would give the code, new_materials)."""
    with force_locale(user.locale or "zh"):
        return field_label(code)


@outbox.handler("commissioners.submitted")
def tell_about_application(commissioner_id):
    commissioner = db.session.get(Commissioner, commissioner_id)
    notify(commissioner.user, "commissioner_submitted", link=MINE,
           field=_field_name(commissioner.user, commissioner.field_code))
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "commissioner_to_review",
                         link="/commissioners/review?status=submitted",
                         name=commissioner.name)


@outbox.handler("commissioners.status_changed")
def tell_about_status(commissioner_id, action):
    commissioner = db.session.get(Commissioner, commissioner_id)
    kind = STATUS_MESSAGES.get(action)
    if kind is None:
        return
    notify(commissioner.user, kind, link=MINE, reason=commissioner.status_reason or "-",
           notice_ends=(local_date(commissioner.notice_ends_dt).isoformat()
                        if commissioner.notice_ends_dt else "-"),
           until=(commissioner.recognised_until.isoformat()
                  if commissioner.recognised_until else "-"))


@outbox.handler("commissioners.objection_filed")
def tell_about_objection(objection_id):
    objection = db.session.get(CommissionerObjection, objection_id)
    for auditor in active_staff(Role.AUDITOR):
        notify(auditor, "commissioner_objection_filed", name=objection.commissioner.name,
               link=f"/commissioners/review/{objection.commissioner_id}")


@outbox.handler("commissioners.objection_resolved")
def tell_about_resolution(objection_id):
    objection = db.session.get(CommissionerObjection, objection_id)
    notify(objection.filed_by, "commissioner_objection_resolved",
           name=objection.commissioner.name, resolution=objection.resolution or "",
           status=_word(objection.filed_by, objection.status),
           link=f"/commissioners/{objection.commissioner_id}")


@outbox.handler("commissioners.pairing_requested")
def tell_about_request(pairing_id):
    pairing = db.session.get(Pairing, pairing_id)
    notify(pairing.commissioner.user, "commissioner_pairing_requested", link=MINE,
           firm=pairing.served_name, note=pairing.note or "-")


@outbox.handler("commissioners.pairing_changed")
def tell_about_pairing(pairing_id, action):
    pairing = db.session.get(Pairing, pairing_id)
    people = [pairing.commissioner.user]
    if pairing.kind == PairingKind.FIRM:
        people += active_members(pairing.firm_id)
    for person in people:
        link = MINE if person.id == pairing.commissioner.user_id else "/commissioners/firm"
        notify(person, "commissioner_pairing_changed", link=link,
               commissioner=pairing.commissioner.name, served=pairing.served_name,
               status=_word(person, pairing.status))


@outbox.handler("commissioners.service_logged")
def tell_about_service(service_id):
    service = db.session.get(CommissionerService, service_id)
    pairing = service.pairing
    if pairing.kind == PairingKind.FIRM:
        people, link = active_members(pairing.firm_id), "/commissioners/firm"
    else:
        people = active_staff(Role.AUDITOR)
        link = f"/commissioners/review/{pairing.commissioner_id}"
    for person in people:
        notify(person, "commissioner_service_logged", link=link,
               commissioner=pairing.commissioner.name, date=service.service_on.isoformat(),
               work=service.work_done[:200])


@outbox.handler("commissioners.service_answered")
def tell_about_answer(service_id):
    service = db.session.get(CommissionerService, service_id)
    user = service.pairing.commissioner.user
    notify(user, "commissioner_service_answered", link=MINE,
           date=service.service_on.isoformat(), served=service.pairing.served_name,
           status=_word(user, service.status), reason=service.dispute_reason or "")


@outbox.handler("commissioners.reminder")
def remind(commissioner_id, reason):
    commissioner = db.session.get(Commissioner, commissioner_id)
    today = date.today()
    rules = rules_for(today.year)
    recognised_on = local_date(commissioner.recognised_dt)
    figures = figures_for([commissioner.id], today.year)[commissioner.id]
    required = required_services(rules, today.year, recognised_on)
    if reason == "silent":
        since = figures.last_service_on or recognised_on
        notify(commissioner.user, "commissioner_reminder_silent", link=MINE,
               days=(today - since).days, since=since.isoformat(), required=required)
    else:
        notify(commissioner.user, "commissioner_reminder_behind", link=MINE,
               confirmed=figures.confirmed, required=required,
               expected=expected_by(rules, today, recognised_on),
               served=required_served(rules, today.year, recognised_on))


@outbox.handler("commissioners.assessed")
def tell_about_assessment(assessment_id):
    row = db.session.get(CommissionerAssessment, assessment_id)
    user = row.commissioner.user
    notify(user, "commissioner_assessed", link=MINE, year=row.year,
           grade=_word(user, row.grade), confirmed=row.confirmed, served=row.served)


@nightly_job
def conclude_due_commissioner_notices(at=None):
    """Recognise each commissioner whose notice has ended with no objection open."""
    due = services.due_notices(at)
    for commissioner in due:
        services.conclude_notice(commissioner, actor=None, at=at)
    return [c.id for c in due]

