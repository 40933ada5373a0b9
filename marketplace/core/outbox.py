"""The transactional outbox.

A service announces work for later (a notification, a workflow step) with :func:`emit`;
the row is written in the same transaction as the change it announces. After the commit,
:func:`relay_pending` hands the new rows' ids to Celery; a beat tick (:func:`sweep`)
re-dispatches anything the relay could not hand over (broker down, process killed).
The consumer (:func:`process_message`) locks the row, runs the topic's handler and marks
the row processed in one transaction, so a message is acted on once however often it is
delivered.
"""
import json
import logging
import time
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import BigInteger, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.core import savepoints
from marketplace.core.rows import for_update
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

log = logging.getLogger(__name__)

_HANDLERS = {}
_RUNS_LONG = set()
# A task's follow-up messages are handled in the same worker up to these bounds; the rest
# go through the broker like any other message.
INLINE_MAX_MESSAGES = 50
INLINE_MAX_SECONDS = 2.0
_NEW_IN_SESSION = "outbox_new"
_committed_ids: ContextVar[list | None] = ContextVar("outbox_committed_ids", default=None)
# those of them whose topic runs long: always a task of their own
_committed_long: ContextVar[set] = ContextVar("outbox_committed_long")
_relaying: ContextVar[bool] = ContextVar("outbox_relaying", default=False)
_current_message: ContextVar[int | None] = ContextVar("outbox_current_message", default=None)


def current_message_id():
    """The id of the outbox message being handled (a natural de-duplication key)."""
    return _current_message.get()


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    dispatched_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    processed_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        db.Index("ix_outbox_messages_unprocessed", "processed_dt", "created_dt"),
    )

    @property
    def payload_dict(self):
        return json.loads(self.payload)


def handler(topic, *, runs_long=False):
    """Register the consumer of ``topic``. It gets the payload dict and must be idempotent
    with respect to anything outside the database. ``runs_long``: the handler may take
    minutes (an import), so it always gets a task of its own, never a worker's spare turn
    after another message (:func:`continue_in_worker`)."""
    def register(func):
        if topic in _HANDLERS:
            raise RuntimeError(f"outbox topic {topic!r} already has a handler")
        _HANDLERS[topic] = func
        if runs_long:
            _RUNS_LONG.add(topic)
        return func
    return register


def registered_topics():
    return sorted(_HANDLERS)


def registered_handlers():
    return dict(_HANDLERS)


def long_running_topics():
    return frozenset(_RUNS_LONG)


def emit(topic, **payload):
    """Write an outbox row in the current transaction. Payloads hold ids, never objects."""
    return emit_in(db.session, topic, **payload)


def emit_in(session, topic, **payload):
    """:func:`emit` in a given session (a session event's, e.g. before its commit)."""
    message = OutboxMessage(topic=topic, payload=json.dumps(payload, sort_keys=True,
                                                            default=str))
    session.add(message)
    session.info.setdefault(_NEW_IN_SESSION, []).append(message)
    return message


savepoints.follow(_NEW_IN_SESSION)


@event.listens_for(Session, "after_commit")
def _remember_committed(session):
    if savepoints.in_savepoint(session):   # relayed once the transaction has committed
        return
    new = session.info.pop(_NEW_IN_SESSION, None)
    if not new:
        return
    ids = _committed_ids.get()
    if ids is None:
        ids = []
        _committed_ids.set(ids)
    ids.extend(message.id for message in new if message.id is not None)
    _long_ids().update(message.id for message in new
                       if message.id is not None and message.topic in _RUNS_LONG)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    if not savepoints.in_savepoint(session):   # a savepoint takes back only its own
        session.info.pop(_NEW_IN_SESSION, None)


def _long_ids():
    long_ids = _committed_long.get(None)
    if long_ids is None:
        long_ids = set()
        _committed_long.set(long_ids)
    return long_ids


def forget_committed(process_outbox_message):
    """A drain has read the messages committed so far: they are handled, except the
    long-running ones (a drain leaves them), which get their tasks now."""
    ids = _committed_ids.get() or []
    long_ids = _long_ids()
    own_tasks = [message_id for message_id in ids if message_id in long_ids]
    ids.clear()
    long_ids.clear()
    for message_id in own_tasks:
        _dispatch_or_leave(process_outbox_message, message_id)


def relay_pending():
    """Hand every message committed by this thread so far to the task queue.

    Called after the request's commit, after each task and after CLI commands. A failure
    to reach the broker is logged and left for :func:`sweep`.
    """
    from marketplace.core.tasks import process_outbox_message

    if _relaying.get():
        # Tasks run in-process: a task's own relay would recurse one level per chained
        # message; the outer loop below picks its messages up from the same list instead.
        return
    token = _relaying.set(True)
    try:
        _relay(process_outbox_message)
    finally:
        _relaying.reset(token)


def continue_in_worker(process_outbox_message):
    """In a Celery worker, after a task: handle the messages the task committed (the
    e-mails a notification queued, the checks a claim queued) right here, each in its own
    transaction, instead of sending each through the broker to come back as a task.

    A task's follow-ups are small and many (a voucher application's handler queues an
    e-mail per person told); through the broker each costs a publish, a delivery, an ack and
    the task machinery, about as much CPU as the work itself. Handled here they keep every
    guarantee of the outbox: the row lock makes each run once, a failure is recorded and
    handed to the broker for the usual retries, and a worker that dies leaves the rest
    unprocessed for the sweep. Bounded (:data:`INLINE_MAX_MESSAGES`,
    :data:`INLINE_MAX_SECONDS`) so a large fan-out is still spread over the workers; what
    is left over, and any ``runs_long`` topic, goes through the broker.
    """
    ids = _committed_ids.get()
    if not ids:
        return
    # whatever the task left uncommitted is not the follow-ups' to commit
    db.session.rollback()
    token = _relaying.set(True)
    handled, deadline = 0, time.monotonic() + INLINE_MAX_SECONDS
    try:
        while ids and handled < INLINE_MAX_MESSAGES and time.monotonic() < deadline:
            message_id = ids.pop(0)
            handled += 1
            try:
                # its own follow-ups join ``ids``
                if process_message(message_id, unless_topics=_RUNS_LONG) is LEFT_FOR_A_TASK:
                    _dispatch_or_leave(process_outbox_message, message_id)
            except Exception as exc:
                hand_back(process_outbox_message, message_id, exc)
    except Exception:
        # a soft time limit or a lost database mid-way: the task itself succeeded and stays so;
        # what is left goes through the broker (or, failing that, the sweep)
        log.exception("outbox follow-ups stopped early; the rest go through the queue")
        db.session.rollback()
    finally:
        try:
            _relay(process_outbox_message)
        finally:
            _relaying.reset(token)


def hand_back(process_outbox_message, message_id, error):
    """A follow-up failed: note it on its row (best effort) and queue it for the retries of
    a task of its own."""
    log.exception("outbox message %s failed; handed to the queue for a retry", message_id)
    db.session.rollback()
    try:
        record_failure(message_id, error)
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of outbox message %s", message_id)
    _dispatch_or_leave(process_outbox_message, message_id, countdown=1)


def _dispatch_or_leave(process_outbox_message, message_id, countdown=None):
    try:
        process_outbox_message.apply_async((message_id,), countdown=countdown)
    except Exception as exc:  # broker unreachable: the sweep will pick it up
        log.warning("outbox could not dispatch message %s: %s", message_id, exc)


def _relay(process_outbox_message):
    ids = _committed_ids.get()
    if ids and _relayed_by_drain(process_outbox_message, ids):
        return
    _long_ids().clear()   # one by one, long or not
    while ids:
        message_id = ids.pop(0)
        try:
            process_outbox_message.delay(message_id)
        except Exception as exc:  # broker unreachable: the sweep will pick it up
            log.warning("outbox relay could not dispatch message %s: %s", message_id, exc)
            ids.clear()
            return


def _relayed_by_drain(process_outbox_message, ids):
    """With a real worker, ask for a drain (core/outbox_drain.py) instead of a task per
    message; the long-running ones still get theirs. False: hand them over one by one."""
    from marketplace.core import outbox_drain
    from marketplace.core.tasks import drain_outbox

    if not outbox_drain.enabled(process_outbox_message):
        return False
    long_ids = _long_ids()
    if any(message_id not in long_ids for message_id in ids) \
            and not outbox_drain.request(drain_outbox):
        return False
    forget_committed(process_outbox_message)   # the drain has the rest
    return True


LEFT_FOR_A_TASK = "left for a task"


def process_message(message_id, unless_topics=()):
    """Run the handler of one message exactly once. Returns True if it ran now; a message
    of one of ``unless_topics`` is left untouched (returns :data:`LEFT_FOR_A_TASK`)."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.processed_dt.is_(None))
    message = db.session.execute(for_update(query, skip_locked=True)).scalar_one_or_none()
    if message is None:
        db.session.rollback()
        return False  # already processed, or another worker holds it right now
    if message.topic in unless_topics:
        db.session.rollback()
        return LEFT_FOR_A_TASK
    topic_handler = _HANDLERS.get(message.topic)
    if topic_handler is None:
        raise RuntimeError(f"no handler registered for outbox topic {message.topic!r}")
    token = _current_message.set(message.id)
    try:
        topic_handler(**message.payload_dict)
    finally:
        _current_message.reset(token)
    # Counted with the outcome, in one UPDATE: counted before the handler, the first query
    # of the handler flushed it in an UPDATE of its own. A failed attempt rolls back and
    # is counted by record_failure.
    message.attempts += 1
    message.processed_dt = now_utc()
    db.session.commit()
    return True


def record_failure(message_id, error):
    message = db.session.get(OutboxMessage, message_id)
    if message is not None and message.processed_dt is None:
        message.attempts += 1
        message.last_error = str(error)[:2000]
        db.session.commit()


# Unprocessed this long, a message is the sweep's (and no longer a drain's).
SWEEP_AFTER_SECONDS = 30


def sweep(older_than_seconds=SWEEP_AFTER_SECONDS, limit=500):
    """Re-dispatch unprocessed messages the relay may have lost. Returns how many."""
    from marketplace.core.tasks import process_outbox_message

    cutoff = now_utc() - timedelta(seconds=older_than_seconds)
    ids = db.session.execute(
        select(OutboxMessage.id)
        .where(OutboxMessage.processed_dt.is_(None), OutboxMessage.created_dt <= cutoff)
        .order_by(OutboxMessage.id).limit(limit)
    ).scalars().all()
    if not ids:
        return 0
    # Stamp and commit before dispatching: were the stamp's row locks still held when a
    # worker took the task, its SELECT ... SKIP LOCKED would skip the message until the
    # next sweep. (A failed dispatch leaves the stamp; the next sweep still retries.)
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.id.in_(ids))
        .values(dispatched_dt=now_utc())
    )
    db.session.commit()
    dispatched = 0
    for message_id in ids:
        try:
            process_outbox_message.delay(message_id)
            dispatched += 1
        except Exception as exc:
            log.warning("outbox sweep could not dispatch message %s: %s", message_id, exc)
            break
    return dispatched
