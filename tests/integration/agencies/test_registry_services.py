"""The registry's lifecycle through its services: application, decision, public notice with
objections, admission, suspension, reinstatement, removal; the notifications and nightly
jobs. (Two auditors at once: test_registry_concurrency.py.)"""
import io
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.agencies import lifecycle, services
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, AgencyType,
                                         DocumentKind, ObjectionStatus, QualificationDocument)
from marketplace.core import outbox
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import (PDF_BYTES, AgencyMemberFactory, FirmMemberFactory,
                             make_agency_profile, staff)

LATER = timedelta(days=30)


def audit_actions(profile):
    return [r.action for r in db.session.execute(
        select(AuditRecord).where(AuditRecord.object_type == "AgencyProfile",
                                  AuditRecord.object_id == str(profile.organisation_id))
        .order_by(AuditRecord.id)).scalars()]


def notification_kinds(user):
    return [n.kind for n in db.session.execute(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id)).scalars()]


def relay():
    """Commit, then run the outbox messages (and the e-mails they queue) in-process."""
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()


def reload(profile):
    db.session.expire_all()
    return db.session.get(AgencyProfile, profile.organisation_id)


def upload(profile, member, kind=DocumentKind.BUSINESS_LICENCE, expires_on=None):
    return services.add_document(profile, member, kind=kind, title="营业执照（新）",
                                 expires_on=expires_on or date.today() + timedelta(days=700),
                                 stream=io.BytesIO(PDF_BYTES), original_name="new.pdf")


def test_an_application_goes_from_draft_through_the_notice_to_admission():
    member = AgencyMemberFactory()
    auditor = staff("auditor")
    profile = make_agency_profile(member, status="draft")
    assert profile.status == AgencyStatus.DRAFT and profile.is_editable
    services.submit(profile, member)
    assert profile.status == AgencyStatus.SUBMITTED and profile.submitted_dt is not None
    with pytest.raises(services.ProfileLocked):
        services.update_profile(profile, member, category_ids=[], staff_count=3)
    services.decide(profile, auditor, "approve")
    assert profile.status == AgencyStatus.PUBLIC_NOTICE
    assert profile.notice_ends_dt - profile.notice_opened_dt == timedelta(days=7)
    services.conclude_notice(profile, auditor, at=profile.notice_ends_dt)
    db.session.commit()
    profile = reload(profile)
    assert profile.status == AgencyStatus.ADMITTED and profile.admitted_dt is not None
    assert profile.reviewed_by_id == auditor.id
    assert audit_actions(profile) == ["edit_profile", "submit", "approve", "admit"]
    approve = db.session.execute(select(AuditRecord).where(
        AuditRecord.action == "approve", AuditRecord.object_type == "AgencyProfile")
    ).scalar_one()
    assert (approve.before_state, approve.after_state) == ("submitted", "public_notice")
    assert approve.actor_id == auditor.id and approve.data_dict["notice_days"] == 7


def test_the_notice_length_is_configurable(app):
    profile = make_agency_profile(status="submitted")
    app.config["AGENCY_NOTICE_DAYS"] = 3
    try:
        services.decide(profile, staff("auditor"), "approve")
    finally:
        app.config["AGENCY_NOTICE_DAYS"] = 7
    assert profile.notice_ends_dt - profile.notice_opened_dt == timedelta(days=3)


def test_submission_names_everything_still_missing():
    member = AgencyMemberFactory()
    profile = services.profile_of(member.organisation)
    with force_locale("en"), pytest.raises(services.ApplicationIncomplete) as refused:
        services.submit(profile, member)
    assert refused.value.details["missing"] == [
        "Choose at least one service category.",
        "Introduce the agency in at least 20 characters.",
        "Give the number of staff.",
        "Describe the fee schedule.",
        "Upload the business licence (or the registration certificate of a university or "
        "institute)."]
    assert profile.status == AgencyStatus.DRAFT


def test_an_out_of_town_agency_names_its_city_and_an_in_city_one_keeps_none():
    member = AgencyMemberFactory()
    profile = services.profile_of(member.organisation)
    with pytest.raises(ValidationFailed) as refused:
        services.update_profile(profile, member, category_ids=[], in_city=False,
                                home_city="  ")
    assert refused.value.details == {"field": "home_city"}
    services.update_profile(profile, member, category_ids=[], in_city=False,
                            home_city="武汉", agency_type=AgencyType.UNIVERSITY)
    assert (profile.in_city, profile.home_city) == (False, "武汉")
    services.update_profile(profile, member, category_ids=[], in_city=True, home_city="武汉")
    assert (profile.in_city, profile.home_city) == (True, None)
    with pytest.raises(ValidationFailed) as unknown:
        services.update_profile(profile, member, category_ids=[987654])
    assert unknown.value.details == {"field": "category_ids"}


def test_reject_and_return_need_a_reason_and_a_returned_application_comes_back():
    member = AgencyMemberFactory()
    auditor = staff("auditor")
    profile = make_agency_profile(member, status="submitted")
    for decision in ("reject", "return"):
        with pytest.raises(services.ReasonRequired):
            services.decide(profile, auditor, decision, reason="   ")
    with pytest.raises(ValidationFailed):
        services.decide(profile, auditor, "shrug")
    assert profile.status == AgencyStatus.SUBMITTED
    services.decide(profile, auditor, "return", reason="请补充检测资质证书")
    assert profile.status == AgencyStatus.RETURNED
    assert profile.status_reason == "请补充检测资质证书"
    services.update_profile(profile, member, category_ids=[c.id for c in profile.categories],
                            staff_count=25)
    services.submit(profile, member)
    assert profile.status == AgencyStatus.SUBMITTED and profile.status_reason is None
    services.decide(profile, auditor, "reject", reason="经营范围不符")
    assert profile.status == AgencyStatus.REJECTED
    with pytest.raises(InvalidTransition):
        services.submit(profile, member)
    services.reopen(profile, member)
    assert profile.status == AgencyStatus.DRAFT and profile.is_editable
    db.session.commit()
    assert audit_actions(profile) == ["edit_profile", "submit", "return", "edit_profile",
                                      "submit", "reject", "reopen"]


def test_objections_only_during_the_notice_from_others_and_with_substance():
    member = AgencyMemberFactory()
    firm_member = FirmMemberFactory()
    profile = make_agency_profile(member, status="submitted")
    with pytest.raises(services.ObjectionNotAllowed):
        services.file_objection(profile, firm_member, "Before the notice opens.")
    services.decide(profile, staff("auditor"), "approve")
    with pytest.raises(ValidationFailed):
        services.file_objection(profile, firm_member, "too short")
    with pytest.raises(services.ObjectionNotAllowed):
        services.file_objection(profile, member, "We object to ourselves, oddly.")
    services.file_objection(profile, firm_member, "The lab named in the profile is closed.")
    profile.notice_ends_dt = now_utc() - timedelta(seconds=1)
    with pytest.raises(services.ObjectionNotAllowed):
        services.file_objection(profile, firm_member, "Filed after the notice ended.")
    assert len(services.objections_of(profile)) == 1


def test_an_upheld_objection_rejects_the_application():
    profile = make_agency_profile(status="public_notice")
    auditor = staff("auditor")
    objection = services.file_objection(profile, FirmMemberFactory(),
                                        "The accreditation certificate is forged.")
    with pytest.raises(services.ReasonRequired):
        services.resolve_objection(objection, auditor, "uphold", " ")
    services.resolve_objection(objection, auditor, "uphold", "证书经核实为伪造")
    db.session.commit()
    profile = reload(profile)
    assert objection.status == ObjectionStatus.UPHELD and objection.resolved_by_id == auditor.id
    assert profile.status == AgencyStatus.REJECTED
    assert profile.status_reason == "证书经核实为伪造"
    assert audit_actions(profile)[-1] == "reject"
    with pytest.raises(InvalidTransition):
        services.resolve_objection(objection, auditor, "dismiss", "second thoughts")


def test_the_notice_concludes_neither_early_nor_with_an_open_objection():
    profile = make_agency_profile(status="public_notice")
    auditor = staff("auditor")
    with pytest.raises(services.NoticeStillRunning):
        services.conclude_notice(profile, auditor)
    objection = services.file_objection(profile, FirmMemberFactory(),
                                        "The staff numbers are inflated.")
    after_the_end = profile.notice_ends_dt + timedelta(minutes=1)
    with pytest.raises(services.ObjectionsOpen):
        services.conclude_notice(profile, auditor, at=after_the_end)
    services.resolve_objection(objection, auditor, "dismiss", "人数经社保记录核实")
    services.conclude_notice(profile, auditor, at=after_the_end)
    assert profile.status == AgencyStatus.ADMITTED
    with pytest.raises(InvalidTransition):
        services.conclude_notice(profile, auditor, at=after_the_end)


def test_suspend_reinstate_and_remove_with_reasons():
    member = AgencyMemberFactory()
    auditor = staff("auditor")
    profile = make_agency_profile(member, status="admitted", auditor=auditor)
    with pytest.raises(services.ReasonRequired):
        services.suspend(profile, auditor, "")
    services.suspend(profile, auditor, "投诉核查中")
    assert profile.status == AgencyStatus.SUSPENDED and profile.status_reason == "投诉核查中"
    with pytest.raises(InvalidTransition):
        services.suspend(profile, auditor, "again")
    services.reinstate(profile, auditor)
    assert profile.status == AgencyStatus.ADMITTED and profile.status_reason is None
    with pytest.raises(services.ReasonRequired):
        services.remove(profile, auditor, None)
    services.remove(profile, auditor, "严重违规")
    assert profile.status == AgencyStatus.REMOVED
    for step in (lambda: services.reinstate(profile, auditor),
                 lambda: services.suspend(profile, auditor, "x"),
                 lambda: upload(profile, member)):
        with pytest.raises(InvalidTransition):
            step()
    db.session.commit()
    assert audit_actions(profile)[-4:] == ["admit", "suspend", "reinstate", "remove"]


def test_reinstatement_is_refused_while_a_document_has_expired():
    member = AgencyMemberFactory()
    auditor = staff("auditor")
    profile = make_agency_profile(member, status="suspended", auditor=auditor)
    [licence] = profile.documents
    licence.expires_on = date.today() - timedelta(days=1)
    with pytest.raises(services.DocumentsExpired):
        services.reinstate(profile, auditor)
    assert profile.status == AgencyStatus.SUSPENDED
    with pytest.raises(Conflict) as locked:    # the only licence cannot just be withdrawn
        services.withdraw_document(licence, member)
    assert locked.value.code == "document_needed"
    upload(profile, member)
    services.withdraw_document(licence, member)
    services.reinstate(profile, auditor)
    assert profile.status == AgencyStatus.ADMITTED


def test_each_step_tells_the_agency_in_the_inbox_and_by_email(smtp_server):
    member = AgencyMemberFactory(email="owner@agency.example", locale="en")
    colleague = AgencyMemberFactory(organisation=member.organisation, is_owner=False,
                                    email="colleague@agency.example")
    auditor = staff("auditor")
    objector = FirmMemberFactory(email="objector@firm.example", locale="en")
    profile = make_agency_profile(member, status="submitted", auditor=auditor)
    relay()
    assert notification_kinds(auditor) == ["agency_to_review"]
    services.decide(profile, auditor, "approve")
    relay()
    objection = services.file_objection(reload(profile), objector,
                                        "The fee schedule hides extra charges.")
    relay()
    services.resolve_objection(objection, auditor, "dismiss", "收费已在报价中列明")
    relay()
    services.conclude_notice(reload(profile), auditor, at=now_utc() + LATER)
    relay()
    steps = ["agency_submitted", "agency_notice_opened", "agency_objection_received",
             "agency_admitted"]
    assert notification_kinds(member) == steps
    assert notification_kinds(colleague) == steps
    assert notification_kinds(auditor) == ["agency_to_review", "agency_objection_filed"]
    assert notification_kinds(objector) == ["objection_dismissed"]
    subjects = [m["Subject"] for m in smtp_server.to("owner@agency.example")]
    assert len(subjects) == 4 and len(smtp_server.to("colleague@agency.example")) == 4
    assert "admitted" in subjects[-1].lower()
    [verdict] = smtp_server.to("objector@firm.example")
    assert "收费已在报价中列明" in smtp_server.body(verdict)


def test_the_nightly_job_admits_only_ended_notices_without_open_objections():
    ended = make_agency_profile(status="public_notice")
    disputed = make_agency_profile(status="public_notice")
    running = make_agency_profile(status="public_notice")
    services.file_objection(disputed, FirmMemberFactory(), "Their address is a mailbox.")
    at = ended.notice_ends_dt + timedelta(hours=1)
    running.notice_ends_dt = at + timedelta(days=2)
    db.session.commit()
    assert lifecycle.conclude_due_notices(at=at) == [ended.organisation_id]
    db.session.commit()
    assert [reload(p).status for p in (ended, disputed, running)] == [
        AgencyStatus.ADMITTED, AgencyStatus.PUBLIC_NOTICE, AgencyStatus.PUBLIC_NOTICE]
    assert lifecycle.conclude_due_notices(at=at) == []


def test_the_expiry_watch_warns_once_30_days_ahead():
    member = AgencyMemberFactory()
    expires = date.today() + timedelta(days=100)
    profile = make_agency_profile(member, status="admitted", licence_expires_on=expires)
    [licence] = profile.documents
    db.session.commit()
    assert lifecycle.watch_document_expiry(today=expires - timedelta(days=31)) == {
        "warned": [], "suspended": []}
    assert lifecycle.watch_document_expiry(today=expires - timedelta(days=30)) == {
        "warned": [licence.id], "suspended": []}
    relay()
    assert lifecycle.watch_document_expiry(today=expires - timedelta(days=29)) == {
        "warned": [], "suspended": []}
    relay()
    assert notification_kinds(member).count("document_expiring") == 1
    assert reload(profile).status == AgencyStatus.ADMITTED


def test_the_expiry_watch_suspends_an_admitted_agency_whose_document_expired():
    member = AgencyMemberFactory(locale="en")
    expires = date.today() + timedelta(days=100)
    profile = make_agency_profile(member, status="admitted", licence_expires_on=expires)
    current = make_agency_profile(status="admitted")
    db.session.commit()
    result = lifecycle.watch_document_expiry(today=expires)
    assert result["suspended"] == [profile.organisation_id]
    relay()
    profile = reload(profile)
    assert profile.status == AgencyStatus.SUSPENDED
    assert "营业执照" in profile.status_reason
    assert reload(current).status == AgencyStatus.ADMITTED
    assert "agency_suspended" in notification_kinds(member)
    assert audit_actions(profile)[-1] == "suspend"


def test_the_expiry_watch_only_warns_when_suspension_is_switched_off(app):
    expires = date.today() + timedelta(days=100)
    profile = make_agency_profile(status="admitted", licence_expires_on=expires)
    db.session.commit()
    app.config["SUSPEND_ON_EXPIRED_DOCUMENT"] = False
    try:
        assert lifecycle.watch_document_expiry(today=expires)["suspended"] == []
    finally:
        app.config["SUSPEND_ON_EXPIRED_DOCUMENT"] = True
    assert reload(profile).status == AgencyStatus.ADMITTED


def test_documents_outside_the_application_are_not_counted():
    member = AgencyMemberFactory()
    profile = make_agency_profile(member, status="draft")
    [licence] = profile.documents
    services.withdraw_document(licence, member)       # a draft may withdraw freely
    assert licence.is_withdrawn and profile.current_documents() == []
    assert any("business licence" in str(m) for m in
               _english(services.missing_for_submission(profile)))
    assert db.session.execute(select(QualificationDocument)).scalars().all() == [licence]


def _english(messages):
    with force_locale("en"):
        return [str(m) for m in messages]
