"""An application is judged on documents valid on the day of each decision: a business
licence that expires while the application waits for review or runs its public notice
stops its approval and its admission (as it stops reinstatement), and the nightly job
that admits ended notices leaves such an agency for the auditor instead of admitting it
(and suspending it the same night) or failing for every other agency."""
from datetime import date, timedelta

import pytest

from marketplace.agencies import lifecycle, services
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, make_agency_profile, staff
from tests.integration.agencies.test_registry_services import upload


def expire_licence(profile):
    [licence] = profile.current_documents()
    licence.expires_on = date.today() - timedelta(days=1)
    db.session.flush()
    return licence


def test_an_application_whose_licence_expired_during_review_is_not_approved():
    auditor = staff("auditor")
    profile = make_agency_profile(status="submitted", auditor=auditor)
    expire_licence(profile)
    with pytest.raises(services.DocumentsExpired):
        services.decide(profile, auditor, "approve")
    assert profile.status == AgencyStatus.SUBMITTED
    services.decide(profile, auditor, "return", "营业执照已过期，请上传新的")
    assert profile.status == AgencyStatus.RETURNED


def test_an_agency_whose_licence_expired_during_the_notice_is_not_admitted():
    member = AgencyMemberFactory()
    auditor = staff("auditor")
    profile = make_agency_profile(member, status="public_notice", auditor=auditor)
    licence = expire_licence(profile)
    after_the_end = profile.notice_ends_dt + timedelta(minutes=1)
    with pytest.raises(services.DocumentsExpired):
        services.conclude_notice(profile, auditor, at=after_the_end)
    assert profile.status == AgencyStatus.PUBLIC_NOTICE
    upload(profile, member)
    services.withdraw_document(licence, member)
    services.conclude_notice(profile, auditor, at=after_the_end)
    assert profile.status == AgencyStatus.ADMITTED


def test_the_nightly_admission_skips_an_expired_licence_and_admits_the_others():
    lapsed = make_agency_profile(status="public_notice")
    ended = make_agency_profile(status="public_notice")
    expire_licence(lapsed)
    at = max(lapsed.notice_ends_dt, ended.notice_ends_dt) + timedelta(hours=1)
    db.session.commit()
    assert lifecycle.conclude_due_notices(at=at) == [ended.organisation_id]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AgencyProfile, lapsed.organisation_id).status == \
        AgencyStatus.PUBLIC_NOTICE
    assert db.session.get(AgencyProfile, ended.organisation_id).status == \
        AgencyStatus.ADMITTED
