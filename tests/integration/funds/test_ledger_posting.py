"""One ledger posting: what a replay of its idempotency key does, what a refused leg
leaves, what it sends to the database, and two posters of one key at once.

The idempotency look-up is the transaction's own INSERT (``ON CONFLICT DO NOTHING``,
issue 23): these pin that a replay still returns the first transaction and moves nothing,
whatever it asks to post, on SQLite as on PostgreSQL; and that on PostgreSQL the second
of two concurrent posters of one key waits for the first and then moves nothing."""
import queue
import threading
import time

import pytest
from sqlalchemy import func, select, text

from marketplace.core import ledger
from marketplace.core.ledger import LedgerPosting, LedgerTransaction
from marketplace.extensions import db
from tests.support.statements import statements_sent


def _accounts(tag):
    source = ledger.account(f"test:{tag}:source", "test_source", allow_negative=True)
    held = ledger.account(f"test:{tag}:held", "test_held")
    other = ledger.account(f"test:{tag}:other", "test_held")
    return source, held, other


def _count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)) \
        .scalar_one()


def _balances(*accounts):
    return [ledger.balance(acct) for acct in accounts]


def test_a_posting_moves_the_balances_and_records_its_legs_in_order():
    source, held, other = _accounts("post")
    posted = ledger.post("test_kind", [(source, -300), (held, 200), (other, 100)],
                         memo="three legs", ref=("test", 7), idempotency_key="post-1",
                         actor=5)
    db.session.commit()
    db.session.expire_all()
    found = db.session.get(LedgerTransaction, posted.id)
    assert (found.kind, found.memo, found.ref_type, found.ref_id, found.idempotency_key,
            found.actor_id) == ("test_kind", "three legs", "test", 7, "post-1", 5)
    assert [(p.account_id, p.amount_fen) for p in found.postings] == [
        (source.id, -300), (held.id, 200), (other.id, 100)]
    assert _balances(source, held, other) == [-300, 200, 100]
    assert ledger.violations() == []


def test_a_replay_returns_the_first_transaction_and_moves_nothing():
    source, held, _other = _accounts("replay")
    first = ledger.transfer("test_kind", source, held, 500, idempotency_key="replay-1")
    db.session.commit()
    first_id = first.id
    again = ledger.transfer("test_kind", source, held, 500, idempotency_key="replay-1")
    assert again.id == first_id
    assert _balances(source, held) == [-500, 500]
    assert _count(LedgerTransaction) == 1 and _count(LedgerPosting) == 2
    db.session.commit()
    assert ledger.violations() == []


def test_a_key_reused_for_other_legs_returns_the_first_transaction_unchanged():
    source, held, other = _accounts("reuse")
    first = ledger.transfer("test_kind", source, held, 500, memo="first",
                            idempotency_key="reuse-1")
    db.session.commit()
    first_id = first.id
    again = ledger.post("other_kind", [(source, -900), (other, 900)], memo="second",
                        idempotency_key="reuse-1")
    assert (again.id, again.kind, again.memo) == (first_id, "test_kind", "first")
    # even legs that would be refused: a replay never looked at them
    unbalanced = ledger.post("other_kind", [(source, -900), (other, 1)],
                             idempotency_key="reuse-1")
    assert unbalanced.id == first_id
    assert _balances(source, held, other) == [-500, 500, 0]
    assert _count(LedgerTransaction) == 1 and _count(LedgerPosting) == 2
    db.session.commit()
    assert ledger.violations() == []


def test_a_replay_within_the_same_unit_of_work_moves_nothing():
    source, held, _other = _accounts("same")
    first = ledger.transfer("test_kind", source, held, 500, idempotency_key="same-1")
    again = ledger.transfer("test_kind", source, held, 500, idempotency_key="same-1")
    assert again.id == first.id
    assert _balances(source, held) == [-500, 500]
    db.session.commit()
    assert ledger.violations() == []


def test_unbalanced_legs_under_a_new_key_are_refused_and_leave_nothing():
    source, held, _other = _accounts("unbalanced")
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("test_kind", [(source, -500), (held, 400)], idempotency_key="bad-1")
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("test_kind", [(source, 0)], idempotency_key="bad-2")
    assert _count(LedgerTransaction) == 0


def test_a_refused_leg_leaves_the_key_free_once_the_unit_of_work_is_rolled_back():
    source, held, other = _accounts("refused")
    ledger.transfer("test_kind", source, held, 300)
    db.session.commit()
    with pytest.raises(ledger.InsufficientBalance) as refused:
        ledger.transfer("test_kind", held, other, 301, idempotency_key="refused-1")
    assert refused.value.details == {"account": held.code, "needed_fen": 301}
    db.session.rollback()
    assert _balances(source, held, other) == [-300, 300, 0]
    assert _count(LedgerTransaction, LedgerTransaction.idempotency_key == "refused-1") == 0
    moved = ledger.transfer("test_kind", held, other, 300, idempotency_key="refused-1")
    db.session.commit()
    assert moved.id is not None
    assert _balances(source, held, other) == [-300, 0, 300]
    assert ledger.violations() == []


@pytest.mark.postgres
def test_a_posting_is_three_statements_and_a_replay_two():
    source, held, _other = _accounts("count")
    codes = source.code, held.code
    ledger.transfer("test_kind", source, held, 100, idempotency_key="warm")
    db.session.commit()
    found = ledger.load_accounts(codes)   # as a signature has them: read, not expired
    source, held = found[codes[0]], found[codes[1]]
    with statements_sent() as (posting, _compiled):
        ledger.transfer("test_kind", source, held, 100, idempotency_key="count-1")
    with statements_sent() as (replay, _compiled):
        ledger.transfer("test_kind", source, held, 100, idempotency_key="count-1")
    # the transaction with its postings (the replay check), then one UPDATE per leg
    assert len(posting) == 3, "\n".join(s[:100] for s in posting)
    assert posting[0].startswith("WITH tx AS (INSERT INTO ledger_transactions")
    assert all(s.startswith("UPDATE ledger_accounts") for s in posting[1:])
    # the INSERT finds the key taken; the first transaction is read; no balance moves
    assert len(replay) == 2 and not any(s.startswith("UPDATE") for s in replay), replay
    db.session.commit()
    assert _balances(source, held) == [-200, 200]


def _post_in_thread(app, key, source_id, held_id, results):
    with app.app_context():
        try:
            source = db.session.get(ledger.LedgerAccount, source_id)
            held = db.session.get(ledger.LedgerAccount, held_id)
            db.session.execute(text("SET LOCAL lock_timeout = '20s'"))
            results.put(("posted", ledger.transfer("test_kind", source, held, 700,
                                                   idempotency_key=key).id))
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported to the test, not lost in a thread
            db.session.rollback()
            results.put(("error", repr(error)))
        finally:
            db.session.remove()


def _waiting_for_a_lock(watcher, me):
    """Other connections waiting for a lock, read in a transaction of its own:
    pg_stat_activity is read once per transaction, so a watcher that kept its first
    transaction never saw a poster that began to wait after its first look, and waited
    until the poster's lock_timeout failed it (seen at load 9)."""
    waiting = watcher.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> :me"), {"me": me}).scalar_one()
    watcher.rollback()
    return waiting


def _second_poster_waits(app, key, source, held):
    """Start a second poster of ``key`` while this session holds it uncommitted; return
    its thread and result queue once it is waiting on the first's row."""
    results = queue.Queue()
    thread = threading.Thread(target=_post_in_thread,
                              args=(app, key, source.id, held.id, results))
    thread.start()
    me = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # generous: the wait ends as soon as the second poster blocks, and at load 9 (other
    # test runs on the same two cores) a new thread's first statements took seconds
    deadline = time.monotonic() + 60
    with db.engine.connect() as watcher:
        while _waiting_for_a_lock(watcher, me) == 0:
            assert thread.is_alive() and time.monotonic() < deadline, results.queue
            time.sleep(0.02)
    return thread, results


@pytest.mark.postgres
def test_a_concurrent_poster_of_the_same_key_waits_then_moves_nothing(app):
    source, held, _other = _accounts("race-commit")
    db.session.commit()
    first = ledger.transfer("test_kind", source, held, 700, idempotency_key="race-1")
    thread, results = _second_poster_waits(app, "race-1", source, held)
    first_id = first.id
    db.session.commit()
    thread.join(timeout=120)
    assert results.get_nowait() == ("posted", first_id)
    db.session.expire_all()
    assert _balances(source, held) == [-700, 700]
    assert _count(LedgerTransaction) == 1 and _count(LedgerPosting) == 2
    assert ledger.violations() == []


@pytest.mark.postgres
def test_a_concurrent_poster_of_the_same_key_posts_when_the_first_rolls_back(app):
    source, held, _other = _accounts("race-rollback")
    db.session.commit()
    ledger.transfer("test_kind", source, held, 700, idempotency_key="race-2")
    thread, results = _second_poster_waits(app, "race-2", source, held)
    db.session.rollback()
    thread.join(timeout=120)
    outcome, transaction_id = results.get_nowait()
    assert outcome == "posted"
    db.session.expire_all()
    assert db.session.get(LedgerTransaction, transaction_id).idempotency_key == "race-2"
    assert _balances(source, held) == [-700, 700]
    assert _count(LedgerTransaction) == 1 and _count(LedgerPosting) == 2
    assert ledger.violations() == []


def test_an_empty_idempotency_key_is_refused_not_shared():
    """"" would make every caller that forgot its key replay the first such posting."""
    source, held, _other = _accounts("empty-key")
    with pytest.raises(ValueError):
        ledger.post("test_kind", [(source, -100), (held, 100)], idempotency_key="")
    db.session.rollback()
