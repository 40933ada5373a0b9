"""Lists a session keeps until its commit (audit entries to write, outbox messages to
relay) that must follow savepoints.

SQLAlchemy fires ``before_commit``/``after_commit`` when a savepoint is released and
``after_rollback`` when one is rolled back, with ``session.in_nested_transaction()`` true.
A hook that acted on those as on the transaction's end wrote or relayed too early, or,
on a savepoint's rollback, dropped everything the transaction had queued before it: the
state changes of a claim whose one check failed in its savepoint lost their audit
records. So the owners of such lists ignore the savepoints' events, and here a
savepoint's rollback drops only what was queued inside it.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

_MARKS = "savepoint_marks"
_FOLLOWED = []


def follow(key):
    """``session.info[key]`` is a list appended to until commit: a savepoint rolled back
    takes back what was appended inside it."""
    if key not in _FOLLOWED:
        _FOLLOWED.append(key)


def in_savepoint(session):
    """Whether the transaction event being dispatched is a savepoint's, not the
    transaction's own."""
    return session.in_nested_transaction()


@event.listens_for(Session, "after_transaction_create")
def _mark(session, transaction):
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = {
            key: len(session.info.get(key) or ()) for key in _FOLLOWED}


@event.listens_for(Session, "after_rollback")
def _take_back(session):
    savepoint = session.get_nested_transaction()
    if savepoint is None:
        session.info.pop(_MARKS, None)
        return
    for key, length in session.info.get(_MARKS, {}).pop(savepoint, {}).items():
        queued = session.info.get(key)
        if queued:
            del queued[length:]


@event.listens_for(Session, "after_transaction_end")
def _forget_mark(session, transaction):
    if transaction.nested:
        session.info.get(_MARKS, {}).pop(transaction, None)


def bump_at_commit(flag, extension):
    """When a transaction that set ``session.info[flag]`` commits (its savepoints are not
    its end), call ``bump()`` on ``app.extensions[extension]``; a rollback forgets the flag.
    The caches that copy rows (pages, API tokens) publish their changes this way."""
    from flask import current_app, has_app_context

    @event.listens_for(Session, "after_commit")
    def _bump_after_commit(session):
        if in_savepoint(session) or not session.info.pop(flag, None):
            return
        if has_app_context():
            found = current_app.extensions.get(extension)
            if found is not None:
                found.bump()

    @event.listens_for(Session, "after_rollback")
    def _forget_changes(session):
        if not in_savepoint(session):
            session.info.pop(flag, None)
