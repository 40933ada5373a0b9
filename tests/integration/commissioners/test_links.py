"""Every link a commissioners' notice carries opens a page for the person told."""
from datetime import date

from marketplace.commissioners import activity
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import login
from tests.factories import FirmMemberFactory, staff
from tests.integration.claims.test_claim_workflow import settle
from tests.integration.commissioners.builders import log, recognised


def test_the_notices_of_a_village_service_and_a_firm_request_open_pages(app):
    auditor = staff("auditor")
    commissioner = recognised(auditor=auditor)
    village = activity.pair(commissioner, auditor, kind="village", place_name="光明村")
    log(commissioner, village, date.today())
    member = FirmMemberFactory()
    activity.request_pairing(commissioner, member, "请指导")
    settle(commissioner)
    for user in (auditor, commissioner.user):
        notices = db.session.query(Notification).filter_by(user_id=user.id).all()
        assert notices
        browser = app.test_client()
        login(browser, user.email)
        for notice in notices:
            assert browser.get(notice.link).status_code == 200, (user.role, notice.link)
