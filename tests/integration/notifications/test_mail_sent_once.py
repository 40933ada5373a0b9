"""A mail named by one key is sent once, however many workers hold its message at once:
the key is claimed in the statement that finds it taken, before the sending, so a second
worker waits for the first one's commit. Run against PostgreSQL, for real, several rounds."""
import threading

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.notifications import mail, services
from marketplace.notifications.models import SentMail

pytestmark = pytest.mark.postgres

ROUNDS = 4


@pytest.fixture
def deliveries(monkeypatch):
    """The mails handed to the SMTP server, as (recipient, subject)."""
    sent, lock = [], threading.Lock()

    def deliver(recipient, subject, body, message_id=None):
        with lock:
            sent.append((recipient, subject))

    monkeypatch.setattr(mail, "deliver", deliver)
    return sent


def _worker(app, key, claimed, release, outcome, answers, index):
    """One worker's transaction: send, say so, then end as ``outcome`` once released."""
    with app.app_context():
        try:
            answers[index] = services._send_once(key, "firm@example.com", "主题", "正文")
            claimed.set()
            release.wait(timeout=10)
            if outcome == "commit":
                db.session.commit()
            else:
                db.session.rollback()
        finally:
            db.session.remove()


def _race(app, key, first_outcome):
    """The first worker claims the key and holds its transaction open; the second starts
    meanwhile; then the first ends as ``first_outcome``. Returns both answers."""
    claimed, release, second_done = threading.Event(), threading.Event(), threading.Event()
    no_wait = threading.Event()
    no_wait.set()
    answers = [None, None]
    first = threading.Thread(target=_worker,
                             args=(app, key, claimed, release, first_outcome, answers, 0))
    second = threading.Thread(target=_worker,
                              args=(app, key, second_done, no_wait, "commit",
                                    answers, 1))
    first.start()
    assert claimed.wait(timeout=10)
    second.start()
    # the second must be waiting on the first's claim, not done already
    assert not second_done.wait(timeout=0.3)
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    return answers


def test_two_workers_on_one_mail_send_it_once(app, deliveries):
    db.session.commit()
    for round_ in range(ROUNDS):
        key = f"race:{round_}"
        assert _race(app, key, "commit") == [True, False]
        assert db.session.execute(select(func.count()).where(
            SentMail.dedupe_key == key)).scalar() == 1
    assert len(deliveries) == ROUNDS


def test_a_mail_whose_first_worker_failed_is_sent_by_the_second(app, deliveries):
    """A worker whose transaction rolls back (its sending failed, or it died) gives the key
    back: the waiting one sends."""
    db.session.commit()
    for round_ in range(ROUNDS):
        assert _race(app, f"retry:{round_}", "rollback") == [True, True]
    assert len(deliveries) == 2 * ROUNDS
