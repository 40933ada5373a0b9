"""Committed outbox messages handed to the workers in bursts, not one task each.

Sent one task per message, every message cost its writer a publish (kombu builds the
message and talks to the broker: ~1.5 ms of a voucher application's ~10) and the worker a
delivery, an acknowledgement and the task machinery (about as much again as the handler
of a notice). In a rush of thousands of applications that was most of the work.

Instead a writer, after its commit, asks for a *drain*: it sets a flag in Redis, and only
if the flag was not set already does it publish one ``core.drain_outbox`` task. The task
clears the flag first, then handles every committed, never-tried message in id order,
each in its own transaction as before (:func:`outbox.process_message`), until it finds
none. No message is stranded: a writer that found the flag set committed before the
drain that will clear it, and that drain reads the table only after clearing it, so it
sees the message; a writer that commits after the flag was cleared sets it again and
publishes another drain. Losing the flag or the task (Redis restarted, a worker killed)
leaves the message to the sweep, as a lost per-message task did.

A drain takes only messages younger than the sweep's age (``outbox.SWEEP_AFTER_SECONDS``)
and is acknowledged on receipt: a message whose handler kills its worker stays untried,
and would otherwise be every drain's first item for ever; past that age it is the sweep's,
in a task of its own, as before drains.

Unchanged: the row lock that makes a message run once, the retries of a failed message
in a task of its own (:func:`outbox.hand_back`; a drain never takes a message that was
tried), ``runs_long`` topics in tasks of their own, and in-process tasks (development and
the tests without a worker) handled one by one right after the commit.
"""
import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

log = logging.getLogger(__name__)

BATCH = 50
# bounds of one drain: past them it asks for another, so one worker does not hold a
# burst that the others could share, and a soft time limit is never near
DRAIN_MAX_MESSAGES = 500
DRAIN_MAX_SECONDS = 20.0
# A flag outliving a lost drain task (its queue purged, say) would stop every writer from
# asking for another: it expires soon. A flag that expires while its drain waits in the
# queue costs one more drain task, which finds little to do.
FLAG_SECONDS = 2

_clients = {}


def _redis(task):
    """The broker's Redis: the flag says something of the broker's queue, so it lives
    where every publisher and worker of that queue looks (and fails when the queue is
    unreachable, as a publish would)."""
    url = str(task.app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        import redis
        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5,
                                                      socket_timeout=0.5)
    return client


def _flag(task):
    return "hc-outbox-drain-" + task.app.conf.task_default_queue


def enabled(task):
    """Drains are for a real worker; in-process tasks handle each message at once."""
    return (current_app.config.get("OUTBOX_DRAIN", False)
            and not task.app.conf.task_always_eager and _redis(task) is not None)


def request(drain_task):
    """Ask for a drain after a commit. False when the broker's Redis could not be asked
    (the caller then hands its messages over one by one)."""
    try:
        newly_set = _redis(drain_task).set(_flag(drain_task), "1", nx=True,
                                           ex=FLAG_SECONDS)
    except Exception as exc:
        log.warning("outbox: could not ask for a drain (%s); sending messages one by one",
                    exc)
        # The SET may have reached Redis although its answer did not: then other writers
        # see a flag with no drain behind it. A spare drain costs little.
        _publish_anyway(drain_task)
        return False
    if newly_set:
        try:
            drain_task.delay()
        except Exception as exc:   # broker unreachable: the sweep will pick them up
            log.warning("outbox relay could not dispatch a drain: %s", exc)
            forget_request(drain_task)
    return True


def forget_request(drain_task=None):
    """No drain is asked for any more (the first step of a drain; and after a queue's
    tasks were purged). False when Redis could not be told."""
    if drain_task is None:
        from marketplace.core.tasks import drain_outbox as drain_task
    client = _redis(drain_task)
    if client is None:
        return True
    try:
        client.delete(_flag(drain_task))
    except Exception as exc:
        log.warning("outbox: could not clear the drain flag (%s); it expires in %ss",
                    exc, FLAG_SECONDS)
        return False
    return True


def _never_tried_after(cursor):
    """The next young messages no one has tried. Young only: a message whose handler kills
    its worker (it rolls back, so it stays untried) must not be every drain's first item
    for ever; once older than the sweep's age it is the sweep's, in a task of its own, and
    the drains go past it."""
    young = now_utc() - timedelta(seconds=outbox.SWEEP_AFTER_SECONDS)
    message = outbox.OutboxMessage
    rows = db.session.execute(
        select(message.id)
        .where(message.processed_dt.is_(None), message.created_dt > young,
               message.id > cursor, message.attempts == 0,
               message.topic.not_in(sorted(outbox.long_running_topics())))
        .order_by(message.id).limit(BATCH)).scalars().all()
    db.session.rollback()   # the read's snapshot must not outlive it
    return rows


def drain(process_outbox_message, drain_task):
    """Handle the committed messages no one has tried yet; the number handled here."""
    # first: a commit from now on asks for a drain of its own
    flag_cleared = forget_request(drain_task)
    cursor, handled = 0, 0
    deadline = time.monotonic() + DRAIN_MAX_SECONDS
    while handled < DRAIN_MAX_MESSAGES and time.monotonic() < deadline:
        batch = _never_tried_after(cursor)
        if not batch:
            # what the handlers committed was read by the loop: nothing is left to relay
            outbox.forget_committed(process_outbox_message)
            if not flag_cleared:
                # writers may have seen the old flag after this drain's last read: one
                # more drain once it has expired
                _publish_anyway(drain_task, countdown=FLAG_SECONDS)
            return handled
        for message_id in batch:
            cursor = message_id
            handled += 1
            try:
                outbox.process_message(message_id)
            except Exception as exc:
                outbox.hand_back(process_outbox_message, message_id, exc)
    outbox.forget_committed(process_outbox_message)
    request(drain_task) or _publish_anyway(drain_task)
    return handled


def _publish_anyway(drain_task, countdown=None):
    try:
        drain_task.apply_async(countdown=countdown)
    except Exception as exc:
        log.warning("outbox relay could not dispatch a drain: %s", exc)
