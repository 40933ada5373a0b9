"""The first five minutes: each role's home page says what to do next."""
import re
from datetime import timedelta

from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, make_agency_profile,
                             make_application, make_programme, make_voucher, staff)


def home(client, user):
    login(client, user.email)
    client.post("/language", data={"locale": "en"})
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_firm_without_a_voucher_is_led_to_apply_in_the_open_programme(client):
    programme = make_programme(name="Open call 2026")
    firm = FirmMemberFactory()
    db.session.commit()
    page = home(client, firm)
    assert 'data-step="apply"' in page
    assert f"/programmes/{programme.id}/apply" in page
    assert "You have no orders yet." in page     # an empty state, not an empty table


def test_a_firm_with_a_pending_application_is_told_it_is_being_reviewed(client):
    firm = FirmMemberFactory()
    application = make_application(make_programme(), firm)
    db.session.commit()
    page = home(client, firm)
    assert 'data-step="wait_application"' in page
    assert f"/vouchers/applications/{application.id}" in page


def test_a_firm_whose_application_is_returned_is_asked_to_correct_it(client):
    from marketplace.vouchers.services import decide_application

    firm = FirmMemberFactory()
    application = make_application(make_programme(name="Returned call"), firm)
    decide_application(application, actor=staff("auditor"), decision="return",
                       comment="请补充财务报表")
    db.session.commit()
    page = home(client, firm)
    assert 'data-step="wait_application"' in page
    assert "returned your application to Returned call for correction" in page


def test_a_firm_with_a_voucher_is_sent_to_the_catalogue_with_its_balance(client):
    firm = FirmMemberFactory()
    make_voucher(amount_fen=123_456_00, firm_member=firm)
    db.session.commit()
    page = home(client, firm)
    assert 'data-step="use_voucher"' in page
    assert "¥123,456.00" in page


def test_an_agency_not_yet_admitted_sees_its_admission_status(client):
    member = AgencyMemberFactory()
    make_agency_profile(member, status="submitted")
    db.session.commit()
    page = home(client, member)
    assert re.search(r'data-testid="home-registry-status">\s*submitted', page)
    assert 'data-testid="home-money"' not in page


def test_an_admitted_agency_sees_what_it_is_owed_and_its_scorecard(client):
    member = AgencyMemberFactory()
    make_agency_profile(member)
    db.session.commit()
    page = home(client, member)
    assert re.search(r'data-testid="home-payable">\s*¥0.00', page)
    assert 'data-testid="home-scorecard"' in page


def test_a_reviewer_sees_the_waiting_work_oldest_first(client):
    auditor = staff("auditor")
    programme = make_programme()
    newer = make_application(programme, FirmMemberFactory(organisation__name="Newer Ltd"))
    older = make_application(programme, FirmMemberFactory(organisation__name="Older Ltd"))
    older.submitted_dt = newer.submitted_dt - timedelta(days=3)
    admission = make_agency_profile(AgencyMemberFactory(organisation__name="Middle Lab"),
                                    status="submitted")
    admission.status_changed_dt = newer.submitted_dt - timedelta(days=1)
    db.session.commit()
    page = home(client, auditor)
    positions = [page.index(name) for name in ("Older Ltd", "Middle Lab", "Newer Ltd")]
    assert positions == sorted(positions)
    assert "3 waiting, the oldest first." in page


def test_a_reviewer_with_nothing_waiting_sees_an_empty_state(client):
    auditor = staff("auditor")
    db.session.commit()
    page = home(client, auditor)
    assert "Nothing is waiting for you." in page
