"""Outbox consumers of the expert pool's growth: tell the applicant, the auditors and the
expert what happened."""
from flask import current_app
from flask_babel import force_locale

from marketplace.accounts.models import Role, User
from marketplace.core import outbox
from marketplace.core.labels import label
from marketplace.experts.models import ExpertApplication, ExpertAssessment
from marketplace.experts.provinces import province_name
from marketplace.extensions import db
from marketplace.notifications.services import (active_staff, notify, notify_coalesced,
                                                send_mail)


@outbox.handler("experts.applied")
def tell_about_application(application_id):
    application = db.session.get(ExpertApplication, application_id)
    send_mail(to=application.email, template="expert_application_received",
              locale=application.locale, name=application.name)
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "expert_application_to_review",
                         link="/experts/applications", name=application.name,
                         province=province_name(application.province,
                                                auditor.locale or "zh"))


@outbox.handler("experts.admitted")
def tell_about_admission(application_id):
    application = db.session.get(ExpertApplication, application_id)
    user = db.session.get(User, application.expert_user_id)
    address = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/password/forgot"
    notify(user, "expert_admitted", link="/password/forgot", address=address)


@outbox.handler("experts.application_rejected")
def tell_about_rejection(application_id):
    application = db.session.get(ExpertApplication, application_id)
    send_mail(to=application.email, template="expert_application_rejected",
              locale=application.locale, name=application.name,
              reason=application.decision_reason)


@outbox.handler("experts.removed")
def tell_about_removal(expert_id):
    from marketplace.claims.expert_models import ExpertProfile

    profile = db.session.get(ExpertProfile, expert_id)
    notify(profile.user, "expert_removed", reason=profile.removal_reason or "-")


@outbox.handler("experts.assessed")
def tell_about_assessment(assessment_id):
    row = db.session.get(ExpertAssessment, assessment_id)
    user = row.expert.user
    with force_locale(user.locale or "zh"):
        grade = label(row.grade)
    notify(user, "expert_assessed", year=row.year, grade=grade, in_time=row.answered_in_time,
           invitations=row.invitations, no_shows=row.no_shows)
