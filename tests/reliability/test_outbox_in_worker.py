"""A worker handles its task's follow-up messages itself, within bounds, and sends the rest
(and anything that runs long, or failed) through the real broker: what goes through is
counted on the run's Redis queue, which no worker consumes during these tests."""
import pytest
from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.outbox import OutboxMessage
from marketplace.core.tasks import process_outbox_message
from marketplace.extensions import db
from tests.reliability.conftest import queued

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]

HANDLED = []


@outbox.handler("test.inline_fan_out")
def _fan_out(count, follow_up="test.inline_follow_up"):
    for n in range(count):
        outbox.emit(follow_up, n=n)


@outbox.handler("test.inline_follow_up")
def _follow_up(n):
    HANDLED.append(n)


@outbox.handler("test.inline_refused")
def _refused(n):
    raise RuntimeError(f"follow-up {n} refused")


@outbox.handler("test.inline_long", runs_long=True)
def _long(n):
    HANDLED.append(("long", n))


@pytest.fixture(autouse=True)
def _clean():
    HANDLED.clear()
    outbox._committed_ids.set(None)
    yield
    outbox._committed_ids.set(None)


def run_as_a_task(topic, **payload):
    """What a worker does with one delivered message: handle it, then its follow-ups."""
    message = outbox.emit(topic, **payload)
    db.session.commit()
    outbox._committed_ids.set(None)   # the web's relay already sent this one
    assert outbox.process_message(message.id)
    outbox.continue_in_worker(process_outbox_message)


def unprocessed(topic):
    db.session.rollback()
    return db.session.execute(select(OutboxMessage).where(
        OutboxMessage.topic == topic, OutboxMessage.processed_dt.is_(None))
    ).scalars().all()


def test_a_tasks_follow_ups_are_handled_in_the_worker_without_the_broker(
        publishing, run_queue):
    run_as_a_task("test.inline_fan_out", count=4)

    assert sorted(HANDLED) == [0, 1, 2, 3]
    assert unprocessed("test.inline_follow_up") == []
    assert queued(publishing, run_queue) == 0


@pytest.fixture
def drains(app, monkeypatch):
    """Committed messages are handed over in drains (OUTBOX_DRAIN, off by default)."""
    monkeypatch.setitem(app.config, "OUTBOX_DRAIN", True)


def test_past_the_bound_the_rest_go_through_the_broker_in_one_drain(
        publishing, run_queue, monkeypatch, drains):
    monkeypatch.setattr(outbox, "INLINE_MAX_MESSAGES", 3)

    run_as_a_task("test.inline_fan_out", count=5)

    assert sorted(HANDLED) == [0, 1, 2]
    assert len(unprocessed("test.inline_follow_up")) == 2
    assert queued(publishing, run_queue) == 1     # core.drain_outbox, for both


def test_without_drains_the_rest_go_through_the_broker_a_task_each(
        publishing, run_queue, monkeypatch):
    monkeypatch.setattr(outbox, "INLINE_MAX_MESSAGES", 3)

    run_as_a_task("test.inline_fan_out", count=5)

    assert sorted(HANDLED) == [0, 1, 2]
    assert len(unprocessed("test.inline_follow_up")) == 2
    assert queued(publishing, run_queue) == 2


def test_a_long_handler_always_gets_a_task_of_its_own(publishing, run_queue):
    run_as_a_task("test.inline_fan_out", count=1, follow_up="test.inline_long")

    assert HANDLED == []
    assert len(unprocessed("test.inline_long")) == 1
    assert queued(publishing, run_queue) == 1


def test_a_failed_follow_up_is_recorded_and_handed_to_the_broker_for_its_retries(
        publishing, run_queue):
    run_as_a_task("test.inline_fan_out", count=2, follow_up="test.inline_refused")

    refused = unprocessed("test.inline_refused")
    assert len(refused) == 2
    assert all(m.attempts == 1 and "refused" in m.last_error for m in refused)
    assert queued(publishing, run_queue) == 2


def run_a_drain(*messages):
    """What a worker does with a drain task: every committed, never-tried message."""
    from marketplace.core import outbox_drain
    from marketplace.core.tasks import drain_outbox

    for topic, payload in messages:
        outbox.emit(topic, **payload)
    db.session.commit()
    outbox._committed_ids.set(None)   # the web's relay asked for this drain
    return outbox_drain.drain(process_outbox_message, drain_outbox)


def test_a_drain_handles_the_follow_ups_too_and_gives_long_ones_their_tasks(
        publishing, run_queue):
    run_a_drain(("test.inline_fan_out", {"count": 2}),
                ("test.inline_fan_out", {"count": 1, "follow_up": "test.inline_long"}))

    assert sorted(HANDLED) == [0, 1]
    assert unprocessed("test.inline_fan_out") == []
    assert unprocessed("test.inline_follow_up") == []
    # the long one is not the drain's: it went to the broker in a task of its own
    assert len(unprocessed("test.inline_long")) == 1
    assert queued(publishing, run_queue) == 1


def test_a_drain_leaves_a_failed_message_to_its_own_retrying_task(publishing, run_queue):
    run_a_drain(("test.inline_refused", {"n": 1}), ("test.inline_follow_up", {"n": 2}))

    assert HANDLED == [2]
    [refused] = unprocessed("test.inline_refused")
    assert refused.attempts == 1 and "refused" in refused.last_error
    assert queued(publishing, run_queue) == 1      # its retry
    # a later drain does not take it again: its retries are its task's
    HANDLED.clear()
    run_a_drain(("test.inline_follow_up", {"n": 3}))
    assert HANDLED == [3]
    assert unprocessed("test.inline_refused")[0].attempts == 1


@outbox.handler("test.drain_poison")
def _poison(n):
    # stands for a handler that kills its worker (out of memory, the hard time limit): it
    # is no Exception, so nothing records it as a failure and its transaction rolls back
    raise SystemExit(f"message {n} killed the worker")


def test_a_message_that_kills_workers_holds_the_drains_only_until_it_is_the_sweeps(
        publishing, run_queue):
    from datetime import timedelta

    from marketplace.core.timeutil import now_utc

    with pytest.raises(SystemExit):
        run_a_drain(("test.drain_poison", {"n": 1}), ("test.inline_follow_up", {"n": 2}))
    db.session.rollback()
    [poison] = unprocessed("test.drain_poison")
    assert poison.attempts == 0 and HANDLED == []
    # once older than the sweep's age it is the sweep's, in a task of its own: the drains
    # go past it instead of dying on it again
    poison.created_dt = now_utc() - timedelta(seconds=outbox.SWEEP_AFTER_SECONDS + 1)
    db.session.commit()
    run_a_drain()
    assert HANDLED == [2]
    assert len(unprocessed("test.drain_poison")) == 1


def test_a_drain_request_whose_answer_was_lost_still_queues_a_drain(
        publishing, run_queue, monkeypatch, drains):
    """The flag's SET may reach Redis while its answer times out: the other writers then
    see a flag. A drain must be behind it."""
    import redis

    from marketplace.core import outbox_drain
    from marketplace.core.tasks import drain_outbox

    client = outbox_drain._redis(drain_outbox)
    set_flag = client.set

    def set_and_lose_the_answer(*args, **kwargs):
        set_flag(*args, **kwargs)
        raise redis.TimeoutError("the answer was lost")

    monkeypatch.setattr(client, "set", set_and_lose_the_answer)
    outbox.emit("test.inline_follow_up", n=1)
    db.session.commit()
    outbox.relay_pending()
    monkeypatch.setattr(client, "set", set_flag)
    # the writer's own message in a task of its own, and a drain for whoever sees the flag
    assert queued(publishing, run_queue) == 2
    assert client.exists(outbox_drain._flag(drain_outbox))


def test_a_drain_that_could_not_clear_the_flag_asks_for_another_after_it_expires(
        publishing, run_queue, monkeypatch):
    import redis

    from marketplace.core import outbox_drain
    from marketplace.core.tasks import drain_outbox

    client = outbox_drain._redis(drain_outbox)

    def refuse(*args, **kwargs):
        raise redis.ConnectionError("the flag could not be cleared")

    monkeypatch.setattr(client, "delete", refuse)
    run_a_drain(("test.inline_follow_up", {"n": 1}))
    assert HANDLED == [1]
    assert queued(publishing, run_queue) == 1     # one more drain, delayed
