"""The audit log: an append-only, hash-chained record of every state change.

Services call :func:`record` while they work; the entries wait on the session and are
written just before the transaction commits, so an aborted change leaves no trace and
the chain is extended by one writer at a time (a transaction-scoped advisory lock on
PostgreSQL; SQLite serialises writers anyway). Each row's hash covers its content and the
previous row's hash, so editing or deleting any row breaks every link after it.
"""
import hashlib
import json
import uuid
from datetime import timezone

from flask import g, has_request_context
from sqlalchemy import BigInteger, Integer, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
_AUDIT_LOCK_KEY = 724_001  # any constant shared by every writer of the chain
_PENDING_KEY = "audit_pending"


class AuditRecord(db.Model):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    before_state: Mapped[str | None] = mapped_column(String(64))
    after_state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    __table_args__ = (db.Index("ix_audit_records_object", "object_type", "object_id"),)

    def content_digest(self):
        return chain_digest(self)

    @property
    def data_dict(self):
        return json.loads(self.data or "{}")


_HASHED_FIELDS = ("actor_id", "object_type", "object_id", "action", "before_state",
                  "after_state", "data", "request_id")


def chain_digest(row):
    """SHA-256 over the previous hash and the row's content (ORM object or result row)."""
    payload = {name: getattr(row, name) for name in _HASHED_FIELDS}
    created = row.created_dt
    if created.tzinfo is None:  # plain result rows from SQLite come back naive
        created = created.replace(tzinfo=timezone.utc)
    payload["created_dt"] = created.astimezone(timezone.utc).isoformat()
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((row.prev_hash + canonical).encode("utf-8")).hexdigest()


class _PendingEntry:
    __slots__ = ("target", "object_type", "object_id", "action", "before", "after", "actor_id",
                 "data", "created_dt", "request_id")


def current_request_id():
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


def record(obj, action, *, actor=None, before=None, after=None, data=None, object_type=None):
    """Queue an audit entry for ``obj``; it is written when the transaction commits."""
    entry = _PendingEntry()
    entry.target = obj
    entry.object_type = object_type or type(obj).__name__
    entry.object_id = None
    entry.action = action
    entry.before = _state_name(before)
    entry.after = _state_name(after)
    entry.actor_id = actor if isinstance(actor, int) or actor is None else actor.id
    entry.data = json.dumps(data or {}, sort_keys=True, ensure_ascii=False, default=str)
    entry.created_dt = now_utc()
    entry.request_id = current_request_id()
    db.session.info.setdefault(_PENDING_KEY, []).append(entry)
    return entry


def _state_name(state):
    if state is None:
        return None
    return getattr(state, "value", str(state))


def _lock_chain(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})


def _last_hash(session):
    last = session.execute(
        select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS_HASH


@event.listens_for(Session, "before_commit")
def _write_pending_entries(session):
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    session.flush()  # new objects get their ids before we name them in the log
    _lock_chain(session)
    prev_hash = _last_hash(session)
    for entry in pending:
        object_id = entry.object_id or getattr(entry.target, "id", None)
        row = AuditRecord(
            created_dt=entry.created_dt, actor_id=entry.actor_id,
            object_type=entry.object_type, object_id=str(object_id),
            action=entry.action, before_state=entry.before, after_state=entry.after,
            data=entry.data, request_id=entry.request_id, prev_hash=prev_hash,
        )
        row.hash = row.content_digest()
        prev_hash = row.hash
        session.add(row)
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending_entries(session):
    session.info.pop(_PENDING_KEY, None)


class ChainBroken(Exception):
    def __init__(self, record_id, reason):
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"audit record {record_id}: {reason}")


def verify_chain(session=None, batch_size=5000):
    """Walk the chain in order; return the number of records, or raise :class:`ChainBroken`
    naming the first record whose link or content does not match."""
    session = session or db.session
    prev_hash = GENESIS_HASH
    count = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditRecord.__table__).where(AuditRecord.id > last_id)
            .order_by(AuditRecord.id).limit(batch_size)
        ).all()
        if not rows:
            return count
        for row in rows:
            if row.prev_hash != prev_hash:
                raise ChainBroken(row.id, "link to the previous record does not match "
                                          "(a record before it was removed or altered)")
            if chain_digest(row) != row.hash:
                raise ChainBroken(row.id, "content does not match its hash (record altered)")
            prev_hash = row.hash
            count += 1
            last_id = row.id


def new_request_id():
    return uuid.uuid4().hex
