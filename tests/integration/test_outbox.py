"""The outbox: written with the change, relayed after commit, consumed exactly once."""
from datetime import timedelta

from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.outbox import OutboxMessage
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

HANDLED = []


@outbox.handler("test.record")
def _record(value):
    HANDLED.append(value)


def setup_function():
    HANDLED.clear()


def test_a_message_is_only_written_with_the_change_that_commits():
    outbox.emit("test.record", value="lost")
    db.session.rollback()
    assert db.session.query(OutboxMessage).count() == 0
    assert outbox._committed_ids.get() in (None, [])


def test_after_commit_the_relay_runs_the_handler_once(app):
    # The testing config has no broker: tasks run in-process, as on a laptop.
    outbox.emit("test.record", value="hello")
    db.session.commit()
    outbox.relay_pending()
    assert HANDLED == ["hello"]
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.processed_dt is not None and message.attempts == 1


def test_redelivery_of_a_processed_message_does_nothing():
    message = outbox.emit("test.record", value="once")
    db.session.commit()
    message_id = message.id
    assert outbox.process_message(message_id) is True
    assert outbox.process_message(message_id) is False
    assert HANDLED == ["once"]


def test_the_sweep_dispatches_what_the_relay_lost():
    message = outbox.emit("test.record", value="late")
    db.session.commit()
    outbox._committed_ids.set(None)  # as if the process died before relaying
    message.created_dt = now_utc() - timedelta(minutes=5)
    db.session.commit()
    assert outbox.sweep(older_than_seconds=30) == 1
    assert HANDLED == ["late"]
    assert outbox.sweep(older_than_seconds=0) == 0


def test_a_failing_handler_leaves_the_message_for_a_retry(app):
    calls = []

    @outbox.handler("test.fails_once")
    def _fails_once(**_):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")

    message = outbox.emit("test.fails_once")
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.processed_dt is None and "boom" in stored.last_error
    assert outbox.process_message(message.id) is True
    assert len(calls) == 2
    outbox._HANDLERS.pop("test.fails_once")


CHAIN = []


@outbox.handler("test.chain")
def _chain(step, last):
    CHAIN.append(step)
    if step < last:
        outbox.emit("test.chain", step=step + 1, last=last)


def test_a_long_chain_of_in_process_messages_runs_without_recursion(app):
    """With tasks in-process, each message's task relays the next: the relay must loop,
    not recurse, or a few hundred chained messages exhaust the stack."""
    CHAIN.clear()
    last = 300    # each nested relay costs dozens of frames: 300 levels would overflow
    outbox.emit("test.chain", step=1, last=last)
    db.session.commit()
    outbox.relay_pending()
    assert CHAIN == list(range(1, last + 1))
    assert db.session.execute(select(OutboxMessage.id).where(
        OutboxMessage.processed_dt.is_(None))).first() is None
