"""Process fixtures of the reliability suite: the app under gunicorn, Celery workers,
private Redis and localstripe servers. Each test starts what it needs on the run's
throwaway database; the shared servers are never stopped (private ones are)."""
import os

import pytest
from sqlalchemy import select

import config

from marketplace.core import outbox, outbox_drain
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from tests.support import services as procs
from tests.support.smtp import RecordingSMTPServer


@pytest.fixture
def run_queue(app):
    """The run's own Celery queue on the run's Redis (scripts/run_tests.py sets both)."""
    if not app.config.get("REDIS_URL"):
        pytest.skip("needs Redis (TEST_REDIS_URL): run `make test`")
    queue = app.config["CELERY_QUEUE"]
    if queue == config.Config.CELERY_QUEUE:
        pytest.skip("CELERY_QUEUE is the default queue; give the run its own "
                    "(scripts/run_tests.py does) so no other worker takes its tasks")
    return queue


@pytest.fixture
def publishing(app, run_queue):
    """This process publishes tasks to Redis (as the web processes do) instead of running
    them in-process, for the length of the test."""
    celery = app.extensions["celery"]
    celery.control.purge()
    with app.app_context():
        outbox_drain.forget_request()   # a purged drain's flag must not hold back the next
    eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = False
    yield celery
    celery.conf.task_always_eager = eager


@pytest.fixture
def mail_server():
    server = RecordingSMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def started(tmp_path):
    """``started(process)`` starts a ServiceProcess and stops it after the test."""
    processes = []

    def start(process, **kwargs):
        processes.append(process)
        # celery_worker() hands back a running worker: starting it again would leave the
        # first process running after the test
        return process if process.alive() else process.start(**kwargs)
    yield start
    for process in processes:      # all at once: each may take a few seconds to wind down
        if process.alive():
            process.process.terminate()
    for process in reversed(processes):
        process.stop()


def unprocessed_outbox():
    db.session.rollback()  # a fresh snapshot: other processes commit
    return db.session.execute(select(OutboxMessage.id).where(
        OutboxMessage.processed_dt.is_(None))).scalars().all()


def queued(celery, queue):
    """Tasks waiting in ``queue`` on the broker ``celery`` publishes to."""
    with celery.connection_for_write() as connection:
        return connection.default_channel.client.llen(queue)


def drain_outbox(workers, timeout=120):
    """Wait until every outbox message is processed by ``workers``. When the queue is
    empty but messages are left, sweep them (the beat's job in production): their relay
    was lost. Sweeping what is still queued would only send it twice."""
    import time

    from flask import current_app

    celery = current_app.extensions["celery"]
    queue = current_app.config["CELERY_QUEUE"]
    deadline = time.monotonic() + timeout
    idle_since = None
    while unprocessed_outbox():
        for worker in workers:
            if not worker.alive():
                raise AssertionError(f"{worker.name} died:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not drained in {timeout}s: "
                                 f"{unprocessed_outbox()[:20]}\n{workers[0].tail()}")
        if queued(celery, queue):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 2:
            outbox.sweep(older_than_seconds=0)
            idle_since = None
        time.sleep(0.2)


@pytest.fixture
def app_env(app, run_queue, tmp_path):
    """``app_env(**overrides)``: the environment of an app process on the run's database,
    Redis queue and (when running) localstripe."""
    def make(**overrides):
        values = dict(database_url=os.environ["TEST_DATABASE_URL"],
                      redis_url=app.config["REDIS_URL"], queue=run_queue,
                      stripe_base=os.environ.get("TEST_STRIPE_API_BASE"),
                      upload_dir=tmp_path / "uploads")
        values.update(overrides)
        return procs.app_environment(**values)
    return make
