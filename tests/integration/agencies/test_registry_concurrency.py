"""Two auditors deciding the same agency: the decision re-reads the row under its lock,
so the second one sees what the first has done."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.agencies import services
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import InvalidTransition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import make_agency_profile, staff


def audit_actions(profile):
    return [r.action for r in db.session.execute(
        select(AuditRecord).where(AuditRecord.object_type == "AgencyProfile",
                                  AuditRecord.object_id == str(profile.organisation_id))
        .order_by(AuditRecord.id)).scalars()]


def reload(profile):
    db.session.expire_all()
    return db.session.get(AgencyProfile, profile.organisation_id)


def test_a_second_auditor_deciding_a_stale_application_is_refused():
    """The decision re-reads the row under its lock: an auditor whose page still shows
    "submitted" cannot reject what another has just approved."""
    profile = make_agency_profile(status="submitted")
    first, second = staff("auditor"), staff("auditor")
    db.session.commit()
    assert profile.status == AgencyStatus.SUBMITTED      # loaded: the second auditor's view
    with db.engine.begin() as connection:                  # the first auditor, elsewhere
        connection.execute(update(AgencyProfile).where(
            AgencyProfile.organisation_id == profile.organisation_id)
            .values(status=AgencyStatus.PUBLIC_NOTICE, notice_ends_dt=now_utc() + timedelta(days=7),
                    reviewed_by_id=first.id))
    for decision, reason in (("reject", "不符合条件"), ("approve", None)):
        with pytest.raises(InvalidTransition):
            services.decide(profile, second, decision, reason)
    db.session.rollback()
    profile = reload(profile)
    assert profile.status == AgencyStatus.PUBLIC_NOTICE and profile.reviewed_by_id == first.id


@pytest.mark.postgres
def test_two_auditors_deciding_at_once_on_two_connections_cannot_both_decide(app):
    profile = make_agency_profile(status="submitted")
    first, second = staff("auditor"), staff("auditor")
    db.session.commit()
    agency_id, first_id = profile.organisation_id, first.id
    locked, outcome = threading.Event(), {}

    def first_auditor():
        with app.app_context():
            try:
                found = db.session.get(AgencyProfile, agency_id)
                services.decide(found, db.session.get(User, first_id), "approve")
                locked.set()                    # holds the row lock until the commit
                threading.Event().wait(1.0)
                db.session.commit()
                outcome["first"] = "approved"
            except Exception as error:  # noqa: BLE001 - reported to the main thread
                outcome["first"] = repr(error)
                locked.set()
            finally:
                db.session.remove()

    worker = threading.Thread(target=first_auditor)
    worker.start()
    assert locked.wait(10)
    started = time.monotonic()
    with pytest.raises(InvalidTransition):    # waits for the lock, then sees the notice
        services.decide(profile, second, "reject", "不符合条件")
    assert time.monotonic() - started >= 0.5   # it really waited for the first auditor
    db.session.rollback()
    worker.join(10)
    assert outcome == {"first": "approved"}
    profile = reload(profile)
    assert profile.status == AgencyStatus.PUBLIC_NOTICE and profile.reviewed_by_id == first_id
    assert audit_actions(profile).count("approve") == 1
    assert "reject" not in audit_actions(profile)
