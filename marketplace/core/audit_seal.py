"""The audit chain's sealer: one at a time, it chains the records writers appended.

Writers append audit records without a lock (:mod:`marketplace.core.audit`); their ids
come from a sequence, and ids are not commit order: a writer may take id 7, a second
writer id 8 and commit first. Sealing 8 while 7 is still in flight would either leave 7
out of the chain or put it after 8. So the sealer chains in id order only up to a
*horizon*, an id below which every writer has ended:

1. it reads the id sequence's last value H (ids handed out so far, committed or not),
   then the database's snapshot S (which transactions are in flight);
2. any writer that holds an id <= H took its xid before its id (the writer asks for its
   xid first) and so before S was taken: it is in S's list of transactions in flight, or
   already ended;
3. once every transaction in S's list has ended, each id <= H is final: committed and
   visible, or rolled back and never to appear. Those records are chained in id order.
   (Only this database's transactions are waited for: the snapshot lists the cluster's.)

The horizon is kept in ``audit_seal_state`` between runs, so a writer still in flight
only delays the records after it, never loses them. On SQLite writers are serialised by
the database and every committed record is final at once.

The sealer's lease is the row lock on the single ``audit_seal_state`` row, taken with
SKIP LOCKED: a second sealer finds it held and leaves. Each batch is one transaction
(records chained, sequence numbers given, the horizon kept) that commits or vanishes as a
whole, so a sealer killed midway loses nothing and seals nothing twice: the next run
starts from the last committed head. The unique ``sequence`` and ``hash`` and the
``sequence IS NULL`` condition of each update make a double seal an error, not a fork.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, Text, bindparam, func, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.audit import AuditRecord, chain_digest, chain_head
from marketplace.core.rows import for_update, insert_unless_present
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

log = logging.getLogger(__name__)

BATCH_SIZE = 500
_STATE_ID = 1


class AuditSealState(db.Model):
    """The sealer's one row: its lease (the row lock) and the horizon it waits on."""
    __tablename__ = "audit_seal_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # ids up to here are final once every transaction in flight at horizon_snapshot ended
    horizon_id: Mapped[int | None] = mapped_column(BigInteger)
    horizon_snapshot: Mapped[str | None] = mapped_column(Text)   # pg_snapshot as text
    sealed_dt: Mapped[object | None] = mapped_column(UTCDateTime)


@dataclass
class SealRun:
    sealed: int = 0         # records chained by this run
    batches: int = 0        # transactions that chained something
    busy: bool = False      # another sealer held the lease


def seal(session=None, *, batch_size=BATCH_SIZE, max_batches=None, commit=True,
         after_batch=None):
    """Chain every final unsealed record, ``batch_size`` per transaction, until none is
    left or ``max_batches`` were sealed. ``commit=False`` runs in the caller's transaction
    (the outbox handler's) and leaves the commit to it. ``after_batch(run)`` is called
    after each committed batch (the CLI's progress line). Returns a :class:`SealRun`."""
    session = session or db.session
    run = SealRun()
    while max_batches is None or run.batches < max_batches:
        sealed = seal_batch(session, batch_size)
        if sealed is None:
            run.busy = True
            if commit:
                session.rollback()
            break
        if commit:
            session.commit()
        if not sealed:
            break
        run.sealed += sealed
        run.batches += 1
        if after_batch is not None:
            after_batch(run)
    return run


def seal_batch(session, batch_size=BATCH_SIZE):
    """One batch in the current transaction: the number of records chained (0 when none
    is final yet), or None when another sealer holds the lease."""
    state = _take_lease(session)
    if state is None:
        return None
    postgres = session.get_bind().dialect.name == "postgresql"
    for _attempt in range(2):
        if state.horizon_id is None:
            _move_horizon(session, state, postgres)
        if postgres and not _horizon_is_final(session, state.horizon_snapshot):
            return 0   # a writer that may hold an id <= the horizon is still in flight
        rows = session.execute(
            select(AuditRecord.__table__)
            .where(AuditRecord.sequence.is_(None), AuditRecord.id <= state.horizon_id)
            .order_by(AuditRecord.id).limit(batch_size)).all()
        if rows:
            _chain(session, rows)
            state.sealed_dt = now_utc()
            session.flush()
            return len(rows)
        # all sealed up to the horizon: move it to now and look once more
        state.horizon_id = None
    session.flush()
    return 0


def _take_lease(session):
    query = for_update(select(AuditSealState).where(AuditSealState.id == _STATE_ID),
                       skip_locked=True)
    state = session.execute(query).scalar_one_or_none()
    if state is not None:
        return state
    exists = session.execute(select(AuditSealState.id).where(AuditSealState.id == _STATE_ID)
                             ).first() is not None
    if exists:
        return None   # another sealer holds it (asking to insert it would wait for that one)
    if insert_unless_present(AuditSealState.__table__, ["id"], id=_STATE_ID):
        return session.execute(query).scalar_one_or_none()  # our new row: ours to lock
    return None


def _move_horizon(session, state, postgres):
    if not postgres:
        state.horizon_id = session.execute(select(func.coalesce(func.max(AuditRecord.id), 0))
                                           ).scalar_one()
        state.horizon_snapshot = None
        return
    # two statements, in this order: the ids handed out, then who is in flight (read
    # committed: the second statement's snapshot is taken after the first has read)
    state.horizon_id = session.execute(text(
        "SELECT coalesce(pg_sequence_last_value("
        "pg_get_serial_sequence('audit_records', 'id')::regclass), 0)")).scalar_one()
    state.horizon_snapshot = session.execute(text(
        "SELECT pg_current_snapshot()::text")).scalar_one()


def _horizon_is_final(session, snapshot):
    """Whether every transaction of this database that was in flight at ``snapshot`` has
    ended (other than the sealer's own). The snapshot lists the whole cluster's
    transactions; a transaction holds the lock on its own xid until it ends, so the ones
    still running here are found in pg_locks, and other databases' never hold us up."""
    return session.execute(text(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_locks AS l "
        "JOIN pg_stat_activity AS a ON a.pid = l.pid "
        "WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted "
        "AND l.pid <> pg_backend_pid() "
        "AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.transactionid IN (SELECT xip.xid::xid FROM pg_snapshot_xip("
        "CAST(:snapshot AS pg_snapshot)) AS xip(xid)))"),
        {"snapshot": snapshot}).scalar_one()


class _Sealed:
    """A row as it will be once sealed: what :func:`chain_digest` reads."""

    def __init__(self, row, prev_hash):
        self.__dict__.update(row._mapping)
        self.prev_hash = prev_hash


def _chain(session, rows):
    sequence, prev_hash = chain_head(session)
    values = []
    for row in rows:
        sequence += 1
        digest = chain_digest(_Sealed(row, prev_hash))
        values.append({"record_id": row.id, "new_sequence": sequence,
                       "new_prev_hash": prev_hash, "new_hash": digest})
        prev_hash = digest
    table = AuditRecord.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("record_id"), table.c.sequence.is_(None))
        .values(sequence=bindparam("new_sequence"), prev_hash=bindparam("new_prev_hash"),
                hash=bindparam("new_hash")),
        values)
    log.debug("audit sealer chained %d records up to sequence %d", len(rows), sequence)
