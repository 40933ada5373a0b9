"""A claim's checks survive the faults of production: a broker that is down when the
claim is submitted, and a worker killed (SIGKILL) in the middle of the checks (all of a
round run in one transaction, so the kill undoes the round and the next worker runs it).

Each test runs a real Celery worker (the production entry point) against the test
database and the run's own Redis queue, as tests/integration/test_celery_worker.py does;
the test process publishes to Redis for the duration of each test.
"""
import os
import signal
import subprocess
from contextlib import contextmanager
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select, text

import config

from marketplace.claims import checks
from marketplace.claims.models import Claim, ClaimCheck, ClaimStatus
from marketplace.core import outbox
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from marketplace.notifications import services as notifications_service
from marketplace.notifications.models import Notification, SentMail
from tests.factories import staff
from tests.integration.claims.test_claim_workflow import accepted_claim
from tests.integration.test_celery_worker import ROOT, Worker, celery_executable, wait_for
from tests.support.ports import free_port
from tests.support.smtp import RecordingSMTPServer

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


@pytest.fixture
def mail_server():
    server = RecordingSMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery(app):
    celery = app.extensions["celery"]
    if not app.config.get("REDIS_URL") or not str(celery.conf.broker_url).startswith("redis"):
        pytest.skip("the app has no Redis broker (TEST_REDIS_URL)")
    if app.config["CELERY_QUEUE"] == config.Config.CELERY_QUEUE:
        pytest.skip("CELERY_QUEUE is the default queue; give the run its own "
                    "(scripts/run_tests.py does) so no other worker takes its tasks")
    celery.control.purge()  # nothing left over from earlier tests of this run
    eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = False  # publish to Redis, as production does
    yield celery
    celery.conf.task_always_eager = eager


@pytest.fixture
def start_worker(app, celery, mail_server, tmp_path):
    """Start a worker process; ``wait_ready`` waits for it. Stopped after the test."""
    started = []
    queue = app.config["CELERY_QUEUE"]
    database_url = os.environ["TEST_DATABASE_URL"]
    redis_url = app.config["REDIS_URL"]
    env = dict(os.environ,
               MARKETPLACE_CONFIG="testing",
               DATABASE_URL=database_url, TEST_DATABASE_URL=database_url,
               REDIS_URL=redis_url, TEST_REDIS_URL=redis_url,
               CELERY_QUEUE=queue, TASKS_IN_PROCESS="false",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail_server.port),
               PYTHONUNBUFFERED="1")

    def start():
        number = len(started) + 1
        log_path = tmp_path / f"worker-{number}.log"
        nodename = f"{queue}-{number}@%h"
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [celery_executable(), "-A", "celery_worker", "worker", "--pool=solo",
                 "--concurrency=1", "-Q", queue, "--loglevel=info", "-n", nodename,
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        worker = Worker(process, log_path, nodename)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_ready(worker):
    wait_for(lambda: " ready." in worker.log(), "worker start-up", worker, timeout=30)


@contextmanager
def broker_unreachable(celery):
    """Point this process's publisher at a closed port (Redis down, as far as it can tell),
    dropping the cached connection pools so the next publish really tries to connect."""
    def reset_pools():
        celery._pool = None
        celery.amqp._producer_pool = None

    broker_url = celery.conf.broker_url
    celery.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    reset_pools()
    try:
        yield
    finally:
        celery.conf.broker_url = broker_url
        reset_pools()


def fresh(claim_id):
    db.session.rollback()  # a fresh snapshot: the worker commits from another process
    return db.session.get(Claim, claim_id, populate_existing=True)


def unprocessed(topic=None):
    query = select(OutboxMessage.id).where(OutboxMessage.processed_dt.is_(None))
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return db.session.execute(query.order_by(OutboxMessage.id)).scalars().all()


def check_names(claim_id, round_=1):
    return sorted(db.session.execute(select(ClaimCheck.name).where(
        ClaimCheck.claim_id == claim_id, ClaimCheck.round == round_)).scalars())


def settled(claim_id):
    """The claim is at first review and every outbox message is handled (the reviewer's
    notice and its mail follow from messages committed with the stage change)."""
    return fresh(claim_id).status == ClaimStatus.FIRST_REVIEW and not unprocessed()


def assert_checked_and_told_once(claim_id, auditor, mail_server):
    assert check_names(claim_id) == sorted(checks.CHECKS)  # one row per check, no more
    notifications = db.session.execute(select(Notification).where(
        Notification.kind == "claim_to_review")).scalars().all()
    assert [n.user_id for n in notifications] == [auditor.id]
    [notification] = notifications
    assert notification.emailed_dt is not None
    assert db.session.execute(select(func.count(SentMail.id)).where(
        SentMail.dedupe_key == f"notification:{notification.id}")).scalar_one() == 1
    subject, _ = notifications_service.rendered(notification, auditor.locale)
    subjects = [str(make_header(decode_header(m["Subject"])))
                for m in mail_server.to(auditor.email)]
    assert subjects.count(subject) == 1


def queue_length(app, celery):
    with celery.connection_for_write() as connection:
        return connection.default_channel.client.llen(app.config["CELERY_QUEUE"])


def test_a_claim_accepted_while_redis_is_down_is_checked_once_it_is_back(
        app, celery, start_worker, mail_server, caplog):
    worker = start_worker()  # starts up while the claim is made
    auditor = staff("auditor")
    db.session.commit()
    with broker_unreachable(celery):
        claim = accepted_claim()
        db.session.commit()      # the acceptance commits although Redis is unreachable
        outbox.relay_pending()   # and the relay after the commit fails quietly
    claim_id = claim.id
    assert "outbox relay could not dispatch" in caplog.text
    assert queue_length(app, celery) == 0  # nothing reached the real Redis
    submitted = unprocessed("claims.submitted")
    assert len(submitted) == 1
    assert fresh(claim_id).status == ClaimStatus.SUBMITTED
    assert check_names(claim_id) == []

    wait_ready(worker)
    assert outbox.sweep(older_than_seconds=0) >= 1  # the beat's sweep, with Redis back

    wait_for(lambda: settled(claim_id), "checked claim", worker)
    claim = fresh(claim_id)
    assert claim.check_round == 1 and claim.assigned_auditor_id == auditor.id
    assert_checked_and_told_once(claim_id, auditor, mail_server)
    assert outbox.sweep(older_than_seconds=0) == 0


def _backends_waiting_for_a_lock():
    """Read in a transaction of its own: pg_stat_activity is read once per transaction,
    so polling it in one transaction never saw a worker that connected after the first
    look (the test failed at load 5 when the first look came before the worker's)."""
    db.session.rollback()
    return db.session.execute(text(
        "SELECT DISTINCT a.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.datname = current_database() "
        "AND a.pid <> pg_backend_pid()")).scalars().all()


def test_a_worker_killed_mid_checks_leaves_them_to_the_next_worker(
        app, celery, start_worker, mail_server):
    from marketplace.core.tasks import process_outbox_message

    first = start_worker()
    auditor = staff("auditor")
    claim_id = accepted_claim().id
    db.session.commit()
    outbox._committed_ids.set(None)  # the set-up's messages wait for the sweep below
    [submitted_id] = unprocessed("claims.submitted")
    wait_ready(first)

    # Hold the results' table: the worker takes the claim's message, starts the round
    # (submitted -> checking), runs the first check and then waits to write its result,
    # all in the one open transaction of the round, holding the message's row lock.
    holder = db.engine.connect()
    holding = holder.begin()
    try:
        holder.execute(text("LOCK TABLE claim_checks IN EXCLUSIVE MODE"))
        process_outbox_message.delay(submitted_id)
        blocked = wait_for(_backends_waiting_for_a_lock,
                           "the worker blocked on the results' table", first)
        [waiting] = db.session.execute(text(
            "SELECT query FROM pg_stat_activity WHERE pid = ANY(:pids)"),
            {"pids": blocked}).scalars().all()
        assert waiting.startswith("INSERT INTO claim_checks")  # mid-check
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        assert first.process.returncode == -signal.SIGKILL
    finally:
        holding.rollback()
        holder.close()

    # The dead worker's database session ends with its connection: the whole round is
    # rolled back (the claim is submitted again, no result kept) and the row lock on its
    # outbox message released.
    def backend_gone():
        db.session.rollback()
        return not db.session.execute(text(
            "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(:pids)"),
            {"pids": blocked}).first()
    wait_for(backend_gone, "the killed worker's database session to end", _Dead(first))
    assert check_names(claim_id) == []
    assert fresh(claim_id).status == ClaimStatus.SUBMITTED
    assert submitted_id in unprocessed()

    second = start_worker()
    wait_ready(second)
    # the beat's sweep re-dispatches every unprocessed message, the claim's among them
    assert outbox.sweep(older_than_seconds=0) >= 1

    wait_for(lambda: settled(claim_id), "checked claim", second)
    wait_for(lambda: queue_length(app, celery) == 0, "an empty queue", second)
    assert_checked_and_told_once(claim_id, auditor, mail_server)
    assert fresh(claim_id).check_round == 1     # one round, not one per delivery
    assert "core.process_outbox_message[" in second.log()


class _Dead:
    """wait_for's ``worker`` for a wait after the worker was killed on purpose: its exit
    is expected, its log still helps."""

    def __init__(self, worker):
        self._worker = worker
        self.process = self

    def poll(self):
        return None

    def tail(self, lines=40):
        return self._worker.tail(lines)
