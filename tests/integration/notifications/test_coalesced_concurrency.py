"""Two workers handling two queue items at once still leave one unread notice that counts
both, and queue one mail.

Each item is told in its own thread with its own app context, session and database
connection, released together, so the transactions overlap in PostgreSQL (the advisory
lock and the row lock are what is tested)."""
import queue
import threading

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

# each waiting thread holds a pooled connection: stay under the pool's 5 + 10 overflow
ITEMS = 10
LINK = "/registry/review?status=submitted"


def _tell(app, user_id, item, start_line, results):
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            start_line.wait(timeout=60)
            services.notify_coalesced(user, "agency_to_review", link=LINK, agency=f"机构{item}")
            db.session.commit()
            results.put("told")
        except Exception as error:  # noqa: BLE001 - reported to the test, not lost in a thread
            db.session.rollback()
            results.put(repr(error))
        finally:
            db.session.remove()


def test_items_told_at_once_make_one_unread_notice_counting_all_and_one_mail(app):
    auditor = UserFactory(role=Role.AUDITOR)
    db.session.commit()
    results = queue.Queue()
    start_line = threading.Barrier(ITEMS)
    threads = [threading.Thread(target=_tell, args=(app, auditor.id, item, start_line, results))
               for item in range(ITEMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [results.get_nowait() for _ in threads] == ["told"] * ITEMS
    db.session.expire_all()
    [notice] = db.session.execute(select(Notification).where(
        Notification.user_id == auditor.id)).scalars().all()
    assert notice.read_dt is None and notice.params_dict["count"] == ITEMS
    assert db.session.execute(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.topic == "notifications.email")).scalar_one() == 1
