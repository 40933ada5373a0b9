"""The outbox through a real broker and a real Celery worker process.

The worker (``celery -A celery_worker worker``) is the production entry point, started
with the test database, the test Redis and the run's own queue; it delivers mail to a
loopback SMTP server. The test process publishes to Redis (not in-process) for the
duration of this module.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import config

from marketplace.core import outbox, outbox_drain
from marketplace.core.outbox import OutboxMessage
from marketplace.core.tasks import process_outbox_message
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.notifications.models import SentMail
from tests.support.smtp import RecordingSMTPServer

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
# How long a real worker may take to show it did something. Waits end as soon as it has,
# so this is only how long a failure takes to report: on a machine at load 5 (four test
# runs beside this one) a worker's first task took more than 20 s to reach its INSERT.
WAIT_SECONDS = 60


def celery_executable():
    for candidate in (Path(sys.executable).with_name("celery"), ROOT / ".venv/bin/celery"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("celery")
    if not found:
        pytest.skip("the celery command is not installed")
    return found


class Worker:
    def __init__(self, process, log_path, nodename):
        self.process = process
        self.log_path = log_path
        self.nodename = nodename

    def log(self):
        return self.log_path.read_text(errors="replace")

    def tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finish the task in hand
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def wait_for(predicate, what, worker, timeout=WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for "
                        f"{what}:\n{worker.tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout}s; worker log:\n{worker.tail()}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def mail_server():
    server = RecordingSMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(app, mail_server, tmp_path_factory):
    celery = app.extensions["celery"]
    redis_url = app.config.get("REDIS_URL")
    if not redis_url or not str(celery.conf.broker_url).startswith("redis"):
        pytest.skip("the app has no Redis broker (TEST_REDIS_URL)")
    queue = app.config["CELERY_QUEUE"]
    if queue == config.Config.CELERY_QUEUE:
        pytest.skip("CELERY_QUEUE is the default queue; give the run its own "
                    "(scripts/run_tests.py does) so no other worker takes its tasks")
    database_url = os.environ["TEST_DATABASE_URL"]
    env = dict(os.environ,
               MARKETPLACE_CONFIG="testing",
               DATABASE_URL=database_url, TEST_DATABASE_URL=database_url,
               REDIS_URL=redis_url, TEST_REDIS_URL=redis_url,
               CELERY_QUEUE=queue, TASKS_IN_PROCESS="false",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail_server.port),
               PYTHONUNBUFFERED="1")
    celery.control.purge()  # nothing left over from earlier tests of this run
    with app.app_context():
        outbox_drain.forget_request()   # a purged drain's flag must not hold back the next
    nodename = f"{queue}@%h"
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [celery_executable(), "-A", "celery_worker", "worker", "--pool=solo",
             "--concurrency=1", "-Q", queue, "--loglevel=info", "-n", nodename,
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    handle = Worker(process, log_path, nodename)
    eager = celery.conf.task_always_eager
    try:
        wait_for(lambda: " ready." in handle.log(), "worker start-up", handle, timeout=30)
        celery.conf.task_always_eager = False  # publish to Redis, as production does
        yield handle
    finally:
        celery.conf.task_always_eager = eager
        handle.stop()


def processed_dt(message_id):
    db.session.rollback()  # a fresh snapshot: the worker commits from another process
    return db.session.execute(select(OutboxMessage.processed_dt)
                              .where(OutboxMessage.id == message_id)).scalar_one()


def queue_mail(to, name):
    notifications.send_mail(to=to, template="password_reset", locale="en", name=name,
                            link="http://localhost/password/reset/token")
    message = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())
                                 .limit(1)).scalar_one()
    db.session.commit()
    return message.id


def test_a_committed_message_is_handled_exactly_once_by_the_worker(worker, mail_server):
    message_id = queue_mail("ada@example.com", "Ada")
    outbox.relay_pending()

    wait_for(lambda: processed_dt(message_id), "processed outbox message", worker)
    [mail] = wait_for(lambda: mail_server.to("ada@example.com"), "e-mail", worker)
    assert mail["Subject"] == "Reset your password"
    assert "Hello Ada" in mail_server.body(mail)
    sent = db.session.execute(select(SentMail)).scalars().all()
    assert [(s.dedupe_key, s.recipient) for s in sent] == [(f"outbox:{message_id}",
                                                           "ada@example.com")]
    assert db.session.get(OutboxMessage, message_id).attempts == 1

    # A second delivery of the same message (a broker redelivery) changes nothing; the
    # queue is FIFO and the worker takes one task at a time, so once a later message is
    # handled the duplicate has been too.
    process_outbox_message.delay(message_id)
    marker_id = queue_mail("bob@example.com", "Bob")
    outbox.relay_pending()
    wait_for(lambda: processed_dt(marker_id), "processed marker message", worker)
    wait_for(lambda: mail_server.to("bob@example.com"), "marker e-mail", worker)
    assert len(mail_server.to("ada@example.com")) == 1
    assert db.session.execute(select(func.count(SentMail.id))).scalar_one() == 2
    assert db.session.get(OutboxMessage, message_id).attempts == 1
    assert "core.process_outbox_message[" in worker.log()  # the worker ran them


def test_the_sweep_hands_a_message_whose_relay_was_lost_to_the_worker(worker, mail_server):
    message_id = queue_mail("carol@example.com", "Carol")
    outbox._committed_ids.set(None)  # the process died between commit and relay
    time.sleep(0.5)
    assert processed_dt(message_id) is None and not mail_server.to("carol@example.com")

    assert outbox.sweep(older_than_seconds=0) == 1

    wait_for(lambda: processed_dt(message_id), "processed outbox message", worker)
    assert len(wait_for(lambda: mail_server.to("carol@example.com"), "e-mail", worker)) == 1
    db.session.rollback()
    message = db.session.get(OutboxMessage, message_id)
    assert message.dispatched_dt is not None and message.attempts == 1
    assert outbox.sweep(older_than_seconds=0) == 0


def test_a_burst_from_many_writers_is_drained_in_few_tasks_and_none_is_left(
        app, worker, mail_server, monkeypatch):
    """Writers committing at once each ask for a drain; a flag in the broker's Redis makes
    most of them publish nothing, and no message waits for the sweep: every one is
    handled within seconds (this worker runs no sweep), each once. Several rounds: a message
    stranded between a drain's last read and its writer's request shows up as a miss."""
    import threading

    monkeypatch.setitem(app.config, "OUTBOX_DRAIN", True)   # off by default
    rounds, writers, per_writer = 3, 4, 10
    tasks_before = worker.log().count("core.drain_outbox[")
    for round_ in range(rounds):
        made, lock = [], threading.Lock()

        def write(index, made=made, lock=lock, round_=round_):
            with app.app_context():
                for number in range(per_writer):
                    to = f"burst-{round_}-{index}-{number}@example.com"
                    message_id = queue_mail(to, "Burst")
                    outbox.relay_pending()
                    with lock:
                        made.append((message_id, to))
                db.session.remove()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(made) == writers * per_writer
        wait_for(lambda: all(processed_dt(message_id) for message_id, _to in made),
                 f"every message of round {round_} handled", worker)
        for _message_id, to in made:
            assert len(wait_for(lambda to=to: mail_server.to(to), f"mail to {to}",
                                worker)) == 1
    drains = worker.log().count("core.drain_outbox[") - tasks_before
    # a drain's "received" and "succeeded" lines: fewer drains than messages
    assert 0 < drains / 2 < rounds * writers * per_writer
