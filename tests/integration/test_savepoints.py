"""A savepoint's release or rollback is not the transaction's end (core/savepoints.py):
what the transaction queued before a savepoint that rolls back is still written, what was
queued inside it is not, and nothing is written or relayed at a release."""
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core import audit, outbox
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from tests.factories import UserFactory


def _actions():
    return sorted(db.session.execute(select(AuditRecord.action)).scalars())


def test_a_rolled_back_savepoint_takes_back_only_its_own_audit_entries():
    user = UserFactory(role=Role.AUDITOR)
    db.session.commit()
    audit.record(user, "before_the_savepoint")
    with db.session.begin_nested() as savepoint:
        audit.record(user, "inside_the_rolled_back_one")
        savepoint.rollback()
    with db.session.begin_nested():
        audit.record(user, "inside_a_released_one")
    audit.record(user, "after_them")
    db.session.commit()
    assert _actions() == ["after_them", "before_the_savepoint", "inside_a_released_one"]


def test_a_released_savepoint_writes_nothing_before_the_transaction_commits():
    user = UserFactory(role=Role.AUDITOR)
    db.session.commit()
    audit.record(user, "queued")
    with db.session.begin_nested():
        audit.record(user, "queued_inside")
    db.session.rollback()           # the transaction itself ends without committing
    assert _actions() == []


def test_outbox_messages_follow_savepoints_and_are_relayed_after_the_commit():
    outbox._committed_ids.set(None)
    kept = outbox.emit("audit.seal")
    with db.session.begin_nested() as savepoint:
        outbox.emit("audit.seal")
        savepoint.rollback()
    with db.session.begin_nested():
        released = outbox.emit("audit.seal")
    assert outbox._committed_ids.get() is None, "a release is not the commit"
    db.session.commit()
    assert outbox._committed_ids.get() == [kept.id, released.id]
    outbox._committed_ids.set(None)
