"""The audit log: an append-only, hash-chained record of every state change.

Services call :func:`record` while they work; the entries wait on the session and are
written just before the transaction commits, so an aborted change leaves no trace. A
writer only appends: its records get an id and their content, nothing that depends on
another writer, so write transactions never wait for each other here (the chain used to
be extended under one platform-wide lock, which capped every write path at PostgreSQL's
one-row ceiling).

The chain is made afterwards by one sealer at a time (:mod:`marketplace.core.audit_seal`:
after commits through the outbox, periodically by the beat, ``flask audit seal``): it
numbers the unsealed records with the next numbers of a gapless ``sequence`` in id order,
only up to an id below which every writer has ended, and gives each the hash of its
content and of the previous record's hash. Editing or deleting a sealed record breaks
every link after it, and a hole in the sequence is named as one.

Deleting the newest records breaks no link, though: the shorter chain is still a chain.
So its end is anchored: a checkpoint (sequence, head hash, time) is written at least
daily (:func:`write_checkpoint`, by the nightly job after sealing) and published outside
the table, on the public transparency page and by mail to the supervisors;
:func:`check_chain` finds the latest checkpoint's record (or one given from such a copy)
with the hash it had, and names a chain that now ends before it. Records not yet sealed
are counted, not proved: they become provable when sealed, seconds later.
"""
import functools
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timezone

from flask import current_app, g, has_request_context
from sqlalchemy import BigInteger, Integer, String, Text, event, func, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.core import outbox, savepoints
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
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
    # The writing transaction (PostgreSQL's xid8; None on SQLite): which records one
    # change wrote, for an investigator.
    writer_xid: Mapped[int | None] = mapped_column(BigInteger)
    # The three below are None until the sealer chains the record: 1, 2, 3... in chain
    # order without gaps, the previous record's hash, and this one's.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sequence: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                                 unique=True)

    __table_args__ = (
        db.Index("ix_audit_records_object", "object_type", "object_id"),
        # the sealer's work list, kept small: only the tail not yet chained
        db.Index("ix_audit_records_unsealed", "id", postgresql_where=text("sequence IS NULL"),
                 sqlite_where=text("sequence IS NULL")),
    )

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


def chain_head(session):
    """(sequence, hash) of the newest sealed record; (0, GENESIS_HASH) for an empty chain."""
    head = session.execute(select(AuditRecord.sequence, AuditRecord.hash)
                           .where(AuditRecord.sequence.is_not(None))
                           .order_by(AuditRecord.sequence.desc()).limit(1)).first()
    return (head.sequence, head.hash) if head else (0, GENESIS_HASH)


_ENTRY_COLUMNS = (("created_dt", "timestamptz"), ("actor_id", "integer"),
                  ("object_type", "text"), ("object_id", "text"), ("action", "text"),
                  ("before_state", "text"), ("after_state", "text"), ("data", "text"),
                  ("request_id", "text"))


@functools.lru_cache(maxsize=32)
def _records_with_writer_xid(count):
    """One INSERT of ``count`` records that takes the writing transaction's id itself
    (PostgreSQL's xid8), in the subquery scanned before any row is formed, so before the
    records' ids are drawn: the sealer's horizon (audit_seal) relies on a writer holding
    its xid before it takes an id. It was a SELECT of its own before each INSERT."""
    names = ", ".join(name for name, _type in _ENTRY_COLUMNS)
    rows = ", ".join("(" + ", ".join(f":{name}_{i}" for name, _type in _ENTRY_COLUMNS) + ")"
                     for i in range(count))
    casts = ", ".join(f"entries.{name}::{kind}" for name, kind in _ENTRY_COLUMNS)
    return text(f"INSERT INTO audit_records ({names}, writer_xid) "
                f"SELECT {casts}, writer.xid "
                f"FROM (SELECT pg_current_xact_id()::text::bigint AS xid) AS writer "
                f"CROSS JOIN (VALUES {rows}) AS entries ({names})")


savepoints.follow(_PENDING_KEY)


@event.listens_for(Session, "before_commit")
def _write_pending_entries(session):
    if savepoints.in_savepoint(session):   # written once, when the transaction commits
        return
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    session.flush()  # new objects get their ids before we name them in the log
    rows = []
    for entry in pending:
        object_id = entry.object_id or getattr(entry.target, "id", None)
        rows.append(dict(
            created_dt=entry.created_dt, actor_id=entry.actor_id,
            object_type=entry.object_type, object_id=str(object_id),
            action=entry.action, before_state=entry.before, after_state=entry.after,
            data=entry.data, request_id=entry.request_id))
    if session.get_bind().dialect.name == "postgresql":
        # one statement for all, ids in the order the entries were recorded (VALUES order)
        session.execute(_records_with_writer_xid(len(rows)), {
            f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in row})
    else:
        session.execute(insert(AuditRecord.__table__), rows)
    _ask_for_a_seal(session)


_last_seal_asked = [0.0]


def _ask_for_a_seal(session):
    """Have the sealer run after this commit (outbox ``audit.seal``), at most once per
    AUDIT_SEAL_ASK_SECONDS per process: in a burst one run seals many writers' records,
    and the beat's periodic seal takes whatever a skipped ask left."""
    interval = current_app.config.get("AUDIT_SEAL_ASK_SECONDS", 0)
    now = time.monotonic()
    if interval and now - _last_seal_asked[0] < interval:
        return
    _last_seal_asked[0] = now
    outbox.emit_in(session, "audit.seal")


@event.listens_for(Session, "after_rollback")
def _drop_pending_entries(session):
    if not savepoints.in_savepoint(session):   # a savepoint takes back only its own
        session.info.pop(_PENDING_KEY, None)


class AuditCheckpoint(db.Model):
    """The chain's head at a moment: its sequence and hash, published outside the table
    (the transparency page, the supervisors' mail) so a shortened chain is found."""
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                          nullable=False)
    head_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                               index=True)

    def describe(self):
        return f"checkpoint {self.id} of {self.created_dt.isoformat(timespec='seconds')}"


def write_checkpoint(session=None):
    """Record the chain's head as it stands (None while the chain is empty) and have it
    published (outbox ``audit.checkpoint_written``: the supervisors' mail). Reads only
    committed records, so it needs no lock: a writer committing after it extends a chain
    whose record at the checkpoint's sequence is the one seen. The nightly job calls it
    after sealing (``flask audit checkpoint`` too)."""
    session = session or db.session
    sequence, head_hash = chain_head(session)
    if sequence == 0:
        return None
    checkpoint = AuditCheckpoint(sequence=sequence, head_hash=head_hash, created_dt=now_utc())
    session.add(checkpoint)
    session.flush()
    outbox.emit("audit.checkpoint_written", checkpoint_id=checkpoint.id)
    return checkpoint


def latest_checkpoints(limit=1, session=None):
    session = session or db.session
    return session.execute(select(AuditCheckpoint).order_by(
        AuditCheckpoint.sequence.desc(), AuditCheckpoint.id.desc()).limit(limit)
    ).scalars().all()


class ChainBroken(Exception):
    """The first thing found wrong: ``record_id`` names the record where it shows (None
    when what is wrong is that records are missing at the end)."""

    def __init__(self, record_id, reason):
        self.record_id = record_id
        self.reason = reason
        where = f"audit record {record_id}" if record_id is not None else "audit chain"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Anchor:
    """A checkpoint's content, from the table or from a published copy of one."""
    sequence: int
    head_hash: str
    described: str


@dataclass(frozen=True)
class ChainState:
    count: int              # sealed records walked
    head_sequence: int      # 0 for an empty chain
    anchors: tuple          # the Anchors the chain was checked against
    unsealed: int = 0       # records written but not yet chained (not proved yet)


def check_chain(session=None, *, anchors=(), batch_size=5000):
    """Walk the sealed chain in sequence order and check every link, every hash, that the
    sequence has no hole, and that the chain reaches the latest checkpoint (and any
    ``anchors`` given, e.g. from a mailed checkpoint) with the hash it had then. Returns
    a :class:`ChainState` (with the count of records not yet sealed), or raises
    :class:`ChainBroken` naming the first fault."""
    session = session or db.session
    anchors = tuple(anchors) + tuple(
        Anchor(c.sequence, c.head_hash, c.describe()) for c in latest_checkpoints(1, session))
    expected = {anchor.sequence: anchor for anchor in anchors}
    prev_hash, sequence, count = GENESIS_HASH, 0, 0
    while True:
        rows = session.execute(
            select(AuditRecord.__table__).where(AuditRecord.sequence > sequence)
            .order_by(AuditRecord.sequence).limit(batch_size)).all()
        if not rows:
            break
        for row in rows:
            if row.sequence != sequence + 1:
                missing = (f"record {sequence + 1} is" if row.sequence == sequence + 2 else
                           f"records {sequence + 1} to {row.sequence - 1} are")
                raise ChainBroken(row.id, f"{missing} missing: the sequence goes from "
                                          f"{sequence} to {row.sequence}")
            if row.prev_hash != prev_hash:
                raise ChainBroken(row.id, "link to the previous record does not match "
                                          "(a record before it was removed or altered)")
            if chain_digest(row) != row.hash:
                raise ChainBroken(row.id, "content does not match its hash (record altered)")
            anchor = expected.get(row.sequence)
            if anchor is not None and anchor.head_hash != row.hash:
                raise ChainBroken(row.id, f"record {row.sequence} is not the one "
                                          f"{anchor.described} saw (the chain was rewritten "
                                          f"up to it)")
            prev_hash, sequence, count = row.hash, row.sequence, count + 1
    for anchor in sorted(anchors, key=lambda a: a.sequence, reverse=True):
        if anchor.sequence > sequence:
            raise ChainBroken(None, f"records after sequence {sequence} are missing: the "
                                    f"chain ends at {sequence} but {anchor.described} saw "
                                    f"{anchor.sequence}")
    return ChainState(count=count, head_sequence=sequence, anchors=anchors,
                      unsealed=count_unsealed(session))


def count_unsealed(session=None):
    session = session or db.session
    return session.execute(select(func.count()).select_from(AuditRecord)
                           .where(AuditRecord.sequence.is_(None))).scalar_one()


def verify_chain(session=None, batch_size=5000):
    """:func:`check_chain`; the number of sealed records, or raise :class:`ChainBroken`."""
    return check_chain(session, batch_size=batch_size).count


def new_request_id():
    return uuid.uuid4().hex
