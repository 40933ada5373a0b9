"""The audit chain's sealer (marketplace/core/audit_seal.py): writers append without a
lock, one sealer chains in id order up to where every writer has ended, and a sealer that
dies midway loses nothing and seals nothing twice."""
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from marketplace.core import audit, audit_seal, outbox
from marketplace.core.audit import AuditRecord, check_chain, count_unsealed, verify_chain
from marketplace.core.audit_seal import seal, seal_batch
from marketplace.extensions import db


def _write(count, actor=7, action="step"):
    for number in range(count):
        audit.record(SimpleNamespace(id=actor), f"{action}{number}", actor=actor,
                     data={"n": number}, object_type="User")
    db.session.commit()


def _sequences_by_id():
    return db.session.execute(select(AuditRecord.id, AuditRecord.sequence)
                              .order_by(AuditRecord.id)).all()


def test_writers_leave_records_unsealed_and_the_sealer_chains_them_in_id_order():
    _write(3)
    assert [r.sequence for r in db.session.scalars(select(AuditRecord))] == [None] * 3
    assert check_chain().unsealed == 3 and verify_chain() == 0
    run = seal()
    assert (run.sealed, run.busy) == (3, False)
    assert [sequence for _id, sequence in _sequences_by_id()] == [1, 2, 3]
    assert check_chain().unsealed == 0 and verify_chain() == 3
    assert seal().sealed == 0      # nothing twice


def test_the_outbox_seals_after_the_commit(app):
    _write(2)
    outbox.relay_pending()        # what a request's end, a task's and a command's do
    db.session.expire_all()
    assert count_unsealed() == 0 and verify_chain() == 2


def test_batches_chain_onto_each_other():
    _write(7)
    seen = []
    run = seal(batch_size=3, after_batch=lambda r: seen.append(r.sealed))
    assert (run.sealed, run.batches, seen) == (7, 3, [3, 6, 7])
    assert verify_chain() == 7


def test_an_error_between_batches_loses_nothing_and_the_next_run_goes_on():
    _write(10)

    def fail_after_the_second(run):
        if run.batches == 2:
            raise RuntimeError("sealer stopped")

    with pytest.raises(RuntimeError):
        seal(batch_size=4, after_batch=fail_after_the_second)
    db.session.rollback()
    assert (verify_chain(), count_unsealed()) == (8, 2)
    assert seal(batch_size=4).sealed == 2
    assert [s for _id, s in _sequences_by_id()] == list(range(1, 11))
    assert verify_chain() == 10


@pytest.mark.postgres
def test_a_second_sealer_finds_the_lease_held_and_seals_nothing(app):
    seal()   # the lease's row exists (the migration makes it; the tests empty the tables)
    _write(3)
    with app.app_context():
        holder = db.session
        assert seal_batch(holder, batch_size=1) == 1   # holds the lease until it commits
        done = {}

        def other():
            with app.app_context():
                done["run"] = seal()
                db.session.remove()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        assert done["run"].busy and done["run"].sealed == 0
        holder.commit()
    assert seal().sealed == 2 and verify_chain() == 3


@pytest.mark.postgres
def test_a_record_of_a_writer_still_in_flight_is_not_overtaken(app):
    """Writer A takes the lower id and is slow to commit; writer B takes the next id and
    commits first. Sealing B now would put A after it or leave it out: the sealer waits."""
    inserted, release = threading.Event(), threading.Event()

    @event.listens_for(Session, "before_commit")
    def hold(session):   # runs after the audit log's own hook has inserted A's record
        if session.info.get("hold_after_insert"):
            inserted.set()
            release.wait(20)

    def writer_a():
        with app.app_context():
            db.session.info["hold_after_insert"] = True
            audit.record(SimpleNamespace(id=1), "slow", actor=1, object_type="User")
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=writer_a)
    try:
        thread.start()
        assert inserted.wait(20)
        _write(1, actor=2, action="fast")
        assert seal().sealed == 0                       # B is visible but waits for A
        assert count_unsealed() == 1
        release.set()
        thread.join(20)
    finally:
        release.set()
        event.remove(Session, "before_commit", hold)
    assert seal().sealed == 2
    chained = db.session.execute(select(AuditRecord.action).order_by(AuditRecord.sequence)
                                 ).scalars().all()
    assert chained == ["slow", "fast0"] and verify_chain() == 2


def _sealer_backend_waiting():
    return db.session.execute(text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE audit_records%'")).scalar()


@pytest.mark.postgres
def test_a_sealer_killed_midway_loses_nothing_and_seals_nothing_twice(app):
    _write(12)
    ids = [record_id for record_id, _s in _sequences_by_id()]
    # The horizon is fixed now, before the blocker below takes its transaction id: a
    # horizon taken while the blocker is in flight would wait for it, and the sealer would
    # stop before its first batch (whether it does depended on what earlier tests left in
    # the sealer's state row).
    state = audit_seal._take_lease(db.session)
    audit_seal._move_horizon(db.session, state, postgres=True)
    db.session.commit()
    # another connection holds a row of the third batch, so the sealer stops inside it
    blocker = db.engine.connect()
    blocker.execute(text("SELECT id FROM audit_records WHERE id = :id FOR UPDATE"),
                    {"id": ids[9]})
    outcome = {}

    def sealer():
        with app.app_context():
            try:
                seal(batch_size=4)
            except Exception as error:   # its connection is killed under it
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=sealer)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while (pid := _sealer_backend_waiting()) is None and time.monotonic() < deadline:
            db.session.rollback()
            time.sleep(0.05)
        assert pid is not None, "the sealer never reached the third batch"
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()
        thread.join(20)
    finally:
        blocker.rollback()
        blocker.close()
    assert "error" in outcome
    db.session.expire_all()
    # two batches committed, the third vanished with its transaction
    assert (verify_chain(), count_unsealed()) == (8, 4)
    assert seal(batch_size=4).sealed == 4
    assert [s for _id, s in _sequences_by_id()] == list(range(1, 13))
    assert verify_chain() == 12


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_writers_and_sealers_make_one_chain_without_gaps(app, round_):
    writers, commits, per_commit = 6, 8, 2
    start, stop = threading.Barrier(writers + 2), threading.Event()
    errors = []

    def write(writer):
        with app.app_context():
            try:
                start.wait()
                for number in range(commits):
                    for part in range(per_commit):
                        audit.record(None, f"w{writer}-{number}-{part}", actor=writer,
                                     object_type="User")
                    db.session.commit()
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    def keep_sealing():
        with app.app_context():
            try:
                start.wait()
                while not stop.is_set():
                    seal(batch_size=5)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    sealers = [threading.Thread(target=keep_sealing) for _ in range(2)]
    for thread in threads + sealers:
        thread.start()
    for thread in threads:
        thread.join(60)
    stop.set()
    for thread in sealers:
        thread.join(60)
    assert not errors
    seal()
    total = writers * commits * per_commit
    rows = db.session.execute(select(AuditRecord.sequence, AuditRecord.action)
                              .order_by(AuditRecord.sequence)).all()
    assert [row.sequence for row in rows] == list(range(1, total + 1))
    assert verify_chain() == total and count_unsealed() == 0
    # each writer's commits, one after the other, are chained in the order they happened
    for writer in range(writers):
        mine = [row.action for row in rows if row.action.startswith(f"w{writer}-")]
        assert mine == [f"w{writer}-{n}-{p}" for n in range(commits) for p in range(per_commit)]
