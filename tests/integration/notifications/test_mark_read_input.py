"""The inbox's "mark as read" form takes notification ids as typed in a POST: an id that
is not a plain number, or one past any database integer, marks nothing and is never a
server error; nor does a form of only bad ids mark every notice read."""
import pytest

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify
from tests.conftest import login
from tests.factories import FirmMemberFactory


@pytest.mark.parametrize("bad_id", ["²", str(10**20), "abc"])
def test_a_bad_notification_id_marks_nothing_and_is_no_server_error(app, bad_id):
    member = FirmMemberFactory(is_owner=True)
    db.session.flush()
    notify(member, "voucher_expiring", days=7, expires_on="2030-01-01", available="¥1.00",
           link="/vouchers/1")
    db.session.commit()
    client = app.test_client()
    login(client, member.email)
    response = client.post("/inbox/read", data={"id": bad_id})
    assert response.status_code < 500
    db.session.expire_all()
    assert db.session.query(Notification).filter(Notification.user_id == member.id,
                                                 Notification.read_dt.is_(None)).count() == 1
