"""Steps sent twice at once (a double click, or two people at the same moment) that create
a row: the second must wait for the first and be answered as any later request is, never
break a unique key with a 500."""
from datetime import date

import pytest

from marketplace.accounts.models import User
from marketplace.commissioners import activity, monitoring, services
from marketplace.commissioners.models import (Commissioner, CommissionerAssessment, Pairing)
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.commissioners.builders import application_fields, recognised
from tests.support.races import at_once

pytestmark = pytest.mark.postgres


def _user(user_id):
    return lambda: (db.session.get(User, user_id),)


def test_an_application_sent_twice_at_once_is_one_application(app):
    applicant = AgencyMemberFactory()
    db.session.commit()
    fields = application_fields()
    outcomes = at_once(app, [(_user(applicant.id),
                              lambda user: services.apply(user, **fields))] * 2)
    assert sorted(outcomes) == ["application_locked", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(Commissioner).filter_by(user_id=applicant.id).count() == 1


def test_a_pairing_asked_twice_at_once_is_one_request(app, auditor):
    commissioner = recognised(auditor=auditor)
    member = FirmMemberFactory()
    db.session.commit()
    commissioner_id, member_id = commissioner.id, member.id

    def load():
        return db.session.get(Commissioner, commissioner_id), db.session.get(User, member_id)

    outcomes = at_once(app, [(load, lambda c, u: activity.request_pairing(c, u, "请指导"))] * 2)
    assert sorted(outcomes) == ["already_paired", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(Pairing).filter_by(commissioner_id=commissioner_id).count() == 1


def test_the_years_assessments_computed_twice_at_once_are_one_each(app, auditor):
    recognised(auditor=auditor, since_days=400)
    db.session.commit()
    year = date.today().year - 1
    outcomes = at_once(app, [(_user(auditor.id),
                              lambda user: monitoring.compute_assessments(year, user))] * 2)
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(CommissionerAssessment).filter_by(year=year).count() == 1
