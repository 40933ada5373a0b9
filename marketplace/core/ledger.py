"""The double-entry ledger: every movement of money is a transaction of postings summing
to zero. Postings are never changed or deleted; corrections are new transactions.

Each account keeps its balance next to its postings so reads are cheap; the balance is
moved with a single conditional ``UPDATE`` per leg (``balance + amount >= 0`` for accounts
that may not go negative). On PostgreSQL a concurrent transaction waits on the row and
re-checks the condition, so two approvals racing for the last of a budget can never both
succeed; SQLite serialises writers. Legs are applied in account-id order so two
transactions touching the same accounts cannot deadlock. A transaction's idempotency key
is taken (its row inserted) before its balances move: a poster of the same key waits
there, before this posting touches an account (the postings' foreign keys take only KEY
SHARE locks on the accounts, which the balance UPDATEs do not wait for).
"""
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String,
                        bindparam, event, func, insert, select, text, update)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.core.errors import Conflict
from marketplace.core.rows import as_inserted, insert_on_conflict_do_nothing
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

from flask_babel import lazy_gettext as _l

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    default_message = _l("There is not enough money left for this.")


class UnbalancedTransaction(Exception):
    pass


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    owner_type: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    allow_negative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    balance_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        CheckConstraint("allow_negative OR balance_fen >= 0", name="balance_not_negative"),
        db.Index("ix_ledger_accounts_owner", "owner_type", "owner_id"),
    )


class LedgerTransaction(db.Model):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    memo: Mapped[str | None] = mapped_column(String(300))
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    postings = relationship("LedgerPosting", back_populates="transaction",
                            order_by="LedgerPosting.id")

    __table_args__ = (db.Index("ix_ledger_transactions_ref", "ref_type", "ref_id"),)


class LedgerPosting(db.Model):
    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"),
                                                nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=False,
                                            index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    transaction = relationship(LedgerTransaction, back_populates="postings")
    account = relationship(LedgerAccount, lazy="joined")

    __table_args__ = (CheckConstraint("amount_fen <> 0", name="amount_not_zero"),)


@event.listens_for(LedgerPosting, "before_update")
@event.listens_for(LedgerTransaction, "before_update")
def _refuse_changes(mapper, connection, target):
    raise RuntimeError("ledger postings are immutable: post a correction instead")


@event.listens_for(LedgerPosting, "before_delete")
@event.listens_for(LedgerTransaction, "before_delete")
def _refuse_deletes(mapper, connection, target):
    raise RuntimeError("ledger postings are immutable: post a correction instead")


# code -> account this transaction has already looked up: a second look-up of the same
# code then costs no statement. The accounts themselves are kept (the identity map holds
# objects weakly, so an id alone would often mean a reload by key). Forgotten at the end
# of the transaction: a rolled-back account must not be reused, and a committed one's
# attributes are expired anyway.
_ACCOUNTS = "ledger_accounts_seen"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_accounts(session, *_args):
    session.info.pop(_ACCOUNTS, None)


def _remember(accounts):
    seen = db.session.info.setdefault(_ACCOUNTS, {})
    for acct in accounts:
        seen[acct.code] = acct


def _known(code):
    acct = db.session.info.get(_ACCOUNTS, {}).get(code)
    return acct if acct is not None and acct in db.session else None


def account(code, kind, *, owner_type=None, owner_id=None, allow_negative=False):
    """Get or create the account ``code`` (created accounts are flushed at once)."""
    found = _known(code)
    if found is not None:
        return found
    found = db.session.execute(
        select(LedgerAccount).where(LedgerAccount.code == code)).scalar_one_or_none()
    if found is not None:
        _remember([found])
        return found
    created = LedgerAccount(code=code, kind=str(kind), owner_type=owner_type,
                            owner_id=owner_id, allow_negative=allow_negative, balance_fen=0)
    db.session.add(created)
    db.session.flush()
    _remember([created])
    return created


def load_accounts(codes):
    """The existing accounts of ``codes`` in one statement, their balances read now
    (as fresh as :func:`balance`), as ``{code: account}``; later :func:`account` calls
    for them in this transaction cost no statement. Missing codes are left out."""
    found = db.session.execute(
        select(LedgerAccount).where(LedgerAccount.code.in_(list(codes)))
        .execution_options(populate_existing=True)).scalars().all()
    _remember(found)
    return {acct.code: acct for acct in found}


def find_account(code):
    return db.session.execute(
        select(LedgerAccount).where(LedgerAccount.code == code)).scalar_one_or_none()


def existing_transaction(idempotency_key):
    if not idempotency_key:
        return None
    return db.session.execute(
        select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def post(kind, legs, *, memo=None, ref=None, idempotency_key=None, actor=None):
    """Record a transaction. ``legs`` is a list of ``(account, amount_fen)``; the amounts
    must sum to zero. Raises :class:`InsufficientBalance` (naming the account) if a leg
    would take a non-negative account below zero. Like every domain error it leaves the
    unit of work to be rolled back by the caller (views and tasks do), which undoes the
    transaction's rows and any leg already applied.

    With an ``idempotency_key`` already used, returns the first transaction unchanged,
    whatever this call asked to post, and moves nothing.

    On PostgreSQL a posting is three statements for two legs: the transaction and its
    postings in one (``ON CONFLICT (idempotency_key) DO NOTHING``, which is also the
    replay check), then the conditional UPDATE of each leg. The key is claimed before
    the balances move, so a replay never reaches them; a concurrent poster of the same
    key waits on the unique index for the first one's outcome, then moves nothing and
    returns the first's transaction if it committed, or posts if it rolled back.
    """
    if idempotency_key == "":
        # "" would name one transaction for every caller that forgot its key
        raise ValueError("an idempotency key must not be empty: pass None for none")
    legs = [(acct, int(amount)) for acct, amount in legs if int(amount) != 0]
    problem = _unbalanced(kind, legs)
    if problem is not None:
        # a replay has always returned the first transaction before the legs were looked
        # at: so it still does, at the cost of the look-up on this (failing) path only
        previous = existing_transaction(idempotency_key)
        if previous is not None:
            return previous
        raise UnbalancedTransaction(problem)
    db.session.flush()
    values = {"kind": kind, "memo": (memo or "")[:300] or None,
              "ref_type": ref[0] if ref else None, "ref_id": ref[1] if ref else None,
              "idempotency_key": idempotency_key,
              "actor_id": actor if isinstance(actor, int) or actor is None else actor.id,
              "created_dt": now_utc()}
    transaction_id = _insert_unless_replayed(values, legs)
    if transaction_id is None:
        # READ COMMITTED: the conflicting row is committed (ON CONFLICT waited for it),
        # so this statement's fresh snapshot sees it
        previous = existing_transaction(idempotency_key)
        if previous is None:
            raise RuntimeError(f"ledger key {idempotency_key!r} conflicted but is not "
                               "visible (not READ COMMITTED?)")
        return previous
    for acct, amount in sorted(legs, key=lambda leg: leg[0].id):
        _move_balance(acct, amount)
    # its postings load when asked for
    transaction = as_inserted(LedgerTransaction, values, id=transaction_id)
    for acct, _amount in legs:
        db.session.expire(acct, ["balance_fen"])
    return transaction


def _unbalanced(kind, legs):
    if not legs:
        return "a transaction needs at least one non-zero leg"
    if sum(amount for _acct, amount in legs) != 0:
        return f"legs of {kind!r} do not sum to zero: {legs!r}"
    return None


def _insert_unless_replayed(values, legs):
    """Insert the transaction and its postings unless its idempotency key is taken: the
    new transaction's id, or None (nothing inserted)."""
    if db.session.get_bind().dialect.name == "postgresql":
        parameters = dict(values)
        for index, (acct, amount) in enumerate(legs):
            parameters[f"account_{index}"] = acct.id
            parameters[f"amount_{index}"] = amount
        return db.session.execute(_posting_statement(len(legs)), parameters).scalar()
    # SQLite (development) has no data-modifying CTE: two statements
    statement, values = insert_on_conflict_do_nothing(
        LedgerTransaction.__table__, values, target="(idempotency_key)", returning="id")
    transaction_id = db.session.execute(statement, values).scalar()
    if transaction_id is not None:
        db.session.execute(insert(LedgerPosting.__table__), [
            {"transaction_id": transaction_id, "account_id": acct.id, "amount_fen": amount,
             "created_dt": values["created_dt"]} for acct, amount in legs])
    return transaction_id


_POSTING_STATEMENTS = {}


def _posting_statement(leg_count):
    """The transaction and its ``leg_count`` postings as one PostgreSQL statement (a data-
    modifying CTE: the postings are made from the transaction's RETURNING, so a conflict
    inserts neither). Text made once per leg count, as SQLAlchemy cannot cache its
    compiled ON CONFLICT insert (core/rows.py)."""
    statement = _POSTING_STATEMENTS.get(leg_count)
    if statement is not None:
        return statement
    table = LedgerTransaction.__table__
    columns = ["kind", "memo", "ref_type", "ref_id", "idempotency_key", "actor_id",
               "created_dt"]
    # the ordinal keeps the postings' ids in the order of the legs, as before
    rows = ", ".join(f"({i}, :account_{i}, :amount_{i})" for i in range(leg_count))
    statement = text(
        f"WITH tx AS (INSERT INTO ledger_transactions ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
        "legs AS (INSERT INTO ledger_postings (transaction_id, account_id, amount_fen, "
        "created_dt) SELECT tx.id, leg.account_id, leg.amount_fen, :created_dt "
        f"FROM tx CROSS JOIN (VALUES {rows}) AS leg (n, account_id, amount_fen) "
        "ORDER BY leg.n) "
        "SELECT id FROM tx"
    ).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns),
                 *(bindparam(f"{name}_{i}", type_=BigInteger())
                   for i in range(leg_count) for name in ("account", "amount")))
    _POSTING_STATEMENTS[leg_count] = statement
    return statement


def _move_balance(acct, amount):
    statement = update(LedgerAccount).where(LedgerAccount.id == acct.id)
    if amount < 0 and not acct.allow_negative:
        statement = statement.where(LedgerAccount.balance_fen + amount >= 0)
    result = db.session.execute(
        statement.values(balance_fen=LedgerAccount.balance_fen + amount)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InsufficientBalance(details={"account": acct.code, "needed_fen": -amount})


def transfer(kind, source, target, amount_fen, **kwargs):
    """Move ``amount_fen`` (> 0) from ``source`` to ``target``."""
    if amount_fen <= 0:
        raise UnbalancedTransaction("a transfer moves a positive amount")
    return post(kind, [(source, -amount_fen), (target, amount_fen)], **kwargs)


def balance(acct):
    return db.session.execute(
        select(LedgerAccount.balance_fen).where(LedgerAccount.id == acct.id)).scalar_one()


def flow_total(acct, kinds, direction=-1):
    """Sum of postings on ``acct`` in transactions of ``kinds``; ``direction`` -1 counts
    money that left the account (as a positive figure), +1 money that came in."""
    total = db.session.execute(
        select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerPosting.account_id == acct.id, LedgerTransaction.kind.in_(kinds),
               LedgerPosting.amount_fen * direction > 0)
    ).scalar_one()
    return int(total) * direction


def flows_of(ref_type, ref_ids):
    """What the transactions referring to ``(ref_type, id)`` posted, for each id in
    ``ref_ids``: ``{ref_id: {(transaction kind, account kind): net fen}}`` (one
    statement)."""
    found = {ref_id: {} for ref_id in ref_ids}
    if not found:
        return found
    for ref_id, kind, account_kind, total in db.session.execute(
            select(LedgerTransaction.ref_id, LedgerTransaction.kind, LedgerAccount.kind,
                   func.sum(LedgerPosting.amount_fen))
            .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerTransaction.ref_type == ref_type,
                   LedgerTransaction.ref_id.in_(list(found)))
            .group_by(LedgerTransaction.ref_id, LedgerTransaction.kind, LedgerAccount.kind)):
        found[ref_id][(kind, account_kind)] = int(total)
    return found


def history(account_ids, limit=200):
    return db.session.execute(
        select(LedgerPosting).where(LedgerPosting.account_id.in_(account_ids))
        .order_by(LedgerPosting.id.desc()).limit(limit)
    ).scalars().all()


# --- verification ---------------------------------------------------------------------

_DOMAIN_INVARIANTS = []


def invariant(func):
    """Register a domain invariant: a function returning a list of violation strings."""
    _DOMAIN_INVARIANTS.append(func)
    return func


def registered_invariants():
    return tuple(_DOMAIN_INVARIANTS)


def invariant_names():
    """The first paragraph of each registered invariant's docstring, as one line, for
    `flask ledger verify` (a first line alone stops mid-sentence)."""
    return [" ".join((check.__doc__ or check.__name__).strip().split("\n\n")[0].split())
            .rstrip(".") for check in _DOMAIN_INVARIANTS]


def violations():
    """Every broken invariant of the ledger, as readable sentences (empty when sound)."""
    found = []
    posting_sums = (select(LedgerPosting.transaction_id,
                           func.sum(LedgerPosting.amount_fen).label("total"),
                           func.count(LedgerPosting.id).label("legs"))
                    .group_by(LedgerPosting.transaction_id).subquery())
    for transaction_id, total, legs in db.session.execute(
            select(posting_sums).where((posting_sums.c.total != 0) | (posting_sums.c.legs < 2))):
        found.append(f"transaction {transaction_id} does not balance "
                     f"(sum {total} fen over {legs} postings)")
    orphan = db.session.execute(
        select(LedgerTransaction.id).outerjoin(
            posting_sums, posting_sums.c.transaction_id == LedgerTransaction.id)
        .where(posting_sums.c.transaction_id.is_(None))).scalars().all()
    found += [f"transaction {tid} has no postings" for tid in orphan]
    account_sums = (select(LedgerPosting.account_id,
                           func.sum(LedgerPosting.amount_fen).label("total"))
                    .group_by(LedgerPosting.account_id).subquery())
    for code, balance_fen, total in db.session.execute(
            select(LedgerAccount.code, LedgerAccount.balance_fen, account_sums.c.total)
            .outerjoin(account_sums, account_sums.c.account_id == LedgerAccount.id)
            .where(LedgerAccount.balance_fen != func.coalesce(account_sums.c.total, 0))):
        found.append(f"account {code} shows {balance_fen} fen but its postings sum to "
                     f"{total or 0} fen")
    for code, balance_fen in db.session.execute(
            select(LedgerAccount.code, LedgerAccount.balance_fen)
            .where(LedgerAccount.allow_negative.is_(False), LedgerAccount.balance_fen < 0)):
        found.append(f"account {code} is negative ({balance_fen} fen)")
    for check in _DOMAIN_INVARIANTS:
        found += check()
    return found
