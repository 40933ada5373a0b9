"""A commissioner's recognition: the application, the bureau's decision, the public
notice with its objections (the registry's, shared), recognition and withdrawal."""
from datetime import timedelta

import pytest

from marketplace.commissioners import services
from marketplace.commissioners.models import CommissionerStatus, PairingStatus
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.core.notices import NoticeStillRunning
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.commissioners.builders import applied, paired, recognised


def test_an_approved_application_goes_on_notice_and_is_recognised_after_it(app, auditor):
    commissioner = applied()
    assert commissioner.status == CommissionerStatus.SUBMITTED
    services.decide(commissioner, auditor, "approve")
    assert commissioner.status == CommissionerStatus.PUBLIC_NOTICE
    days = app.config["COMMISSIONER_NOTICE_DAYS"]
    assert commissioner.notice_ends_dt - commissioner.notice_opened_dt == timedelta(days=days)
    with pytest.raises(NoticeStillRunning):
        services.conclude_notice(commissioner, auditor)
    services.conclude_notice(commissioner, auditor, at=now_utc() + timedelta(days=days))
    assert commissioner.status == CommissionerStatus.RECOGNISED
    assert commissioner.recognised_until.month == 12
    db.session.commit()    # the audit records are written with the commit
    actions = [r.action for r in db.session.query(AuditRecord).filter_by(
        object_type="Commissioner", object_id=str(commissioner.id)).order_by(AuditRecord.id)]
    assert actions == ["apply", "approve", "recognise"]


def test_an_open_objection_holds_the_recognition_until_it_is_settled(auditor):
    commissioner = services.decide(applied(), auditor, "approve")
    objector = FirmMemberFactory()
    objection = services.file_objection(commissioner, objector, "此人并非该研究所在职人员。")
    later = now_utc() + timedelta(days=30)
    with pytest.raises(services.ObjectionsOpen):
        services.conclude_notice(commissioner, auditor, at=later)
    assert services.due_notices(later) == []
    services.resolve_objection(objection, auditor, "dismiss", "经核实，此人为在职研究员。")
    assert services.due_notices(later) == [commissioner]
    services.conclude_notice(commissioner, None, at=later)
    assert commissioner.status == CommissionerStatus.RECOGNISED


def test_an_upheld_objection_rejects_the_application(auditor):
    commissioner = services.decide(applied(), auditor, "approve")
    objection = services.file_objection(commissioner, FirmMemberFactory(),
                                        "资质证书系伪造，请核查。")
    services.resolve_objection(objection, auditor, "uphold", "证书编号查无此证。")
    assert commissioner.status == CommissionerStatus.REJECTED
    assert commissioner.status_reason == "证书编号查无此证。"


def test_an_objection_is_settled_by_someone_other_than_who_filed_it(auditor):
    """An auditor may object like anyone signed in, but then does not judge their own
    objection: upheld, it rejects the application on their word alone."""
    from marketplace.core.errors import PermissionDenied
    from tests.factories import staff

    commissioner = services.decide(applied(), auditor, "approve")
    objection = services.file_objection(commissioner, auditor, "资质证书系伪造，请核查。")
    with pytest.raises(PermissionDenied):
        services.resolve_objection(objection, auditor, "uphold", "证书编号查无此证。")
    assert commissioner.status == CommissionerStatus.PUBLIC_NOTICE
    services.resolve_objection(objection, staff("auditor"), "uphold", "证书编号查无此证。")
    assert commissioner.status == CommissionerStatus.REJECTED


def test_the_applicant_cannot_object_to_their_own_recognition(auditor):
    commissioner = services.decide(applied(), auditor, "approve")
    with pytest.raises(services.ObjectionNotAllowed):
        services.file_objection(commissioner, commissioner.user, "我对自己有异议，测试。")


def test_a_returned_application_is_corrected_and_submitted_again(auditor):
    commissioner = applied()
    with pytest.raises(ValidationFailed):
        services.decide(commissioner, auditor, "return", "")
    services.decide(commissioner, auditor, "return", "请补充服务区域。")
    assert commissioner.status == CommissionerStatus.RETURNED
    again = applied(commissioner.user, service_areas="进贤县与南昌县的乡村")
    assert again.id == commissioner.id
    assert (again.status, again.service_areas) == (CommissionerStatus.SUBMITTED,
                                                   "进贤县与南昌县的乡村")


def test_an_application_under_review_cannot_be_changed():
    commissioner = applied()
    with pytest.raises(services.ApplicationLocked):
        applied(commissioner.user, title="教授")


def test_only_a_submitted_application_is_decided(auditor):
    commissioner = recognised(auditor=auditor)
    with pytest.raises(InvalidTransition):
        services.decide(commissioner, auditor, "reject", "重复")


def test_a_withdrawal_ends_the_pairings_and_allows_a_new_application(auditor):
    commissioner = recognised(auditor=auditor)
    pairing = paired(commissioner, FirmMemberFactory())
    services.withdraw(commissioner, auditor, "长期未开展服务")
    assert commissioner.status == CommissionerStatus.WITHDRAWN
    assert pairing.status == PairingStatus.ENDED
    assert applied(commissioner.user).status == CommissionerStatus.SUBMITTED


def test_an_unknown_field_or_district_is_refused():
    user = AgencyMemberFactory()
    with pytest.raises(ValidationFailed) as refused:
        applied(user, field_code="alchemy")
    assert refused.value.details["field"] == "field_code"
    with pytest.raises(ValidationFailed) as refused:
        applied(user, district_id=987654)
    assert refused.value.details["field"] == "district_id"
