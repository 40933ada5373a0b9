"""The budget's verbs: a programme's funding, vouchers issued from its pool, reservations
for signed contracts and their release, expiry and revocation.

Lock order, kept here so no caller has to remember it: the voucher row first, then its
accounts (the ledger's conditional UPDATEs). Every verb that moves a voucher's money takes
the voucher's id and locks its row itself; taking the accounts first would deadlock with a
signature, an approval or a release on the same voucher.

The voucher's row belongs to the vouchers domain, which sits above this one: it names its
model here from its ``init_app`` (``register_voucher_model``), and the verbs ask the
voucher (``is_active``, ``is_revoked``) rather than spell its statuses.
"""
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marketplace.core import ledger
from marketplace.core.rows import for_update
from marketplace.extensions import db
from marketplace.funds import accounts, kinds

_LOCKED = "funds_locked_vouchers"
_VOUCHER_MODEL = []   # the one model whose rows the verbs lock, named by the vouchers domain


def register_voucher_model(model):
    """Name the model of the vouchers' rows (it has ``id``, ``firm_id``, ``programme_id``, ``is_active``
    and ``is_revoked``). Called from the vouchers domain's ``init_app``; naming the same
    model again (one app per test) changes nothing."""
    _VOUCHER_MODEL[:] = [model]


def _voucher_model():
    if not _VOUCHER_MODEL:
        raise RuntimeError("no voucher model registered: the vouchers domain's init_app "
                           "names it (funds.budget.register_voucher_model)")
    return _VOUCHER_MODEL[0]


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_locks(session, *_args):
    session.info.pop(_LOCKED, None)   # row locks end with the transaction


def lock_voucher(voucher_id, *, missing_ok=False, firm_id=None):
    """The voucher re-read under its row lock (populate_existing refreshes a copy already
    in the session in the same statement). Locked once per transaction: a second call
    returns the row read under the lock, which nobody else can have changed since. With
    ``missing_ok`` an unknown id gives None rather than an error; with ``firm_id``, so
    does another firm's voucher, which is then neither read nor locked."""
    locked = db.session.info.setdefault(_LOCKED, {})
    found = locked.get(voucher_id)
    if found is not None and found in db.session:
        return found if firm_id is None or found.firm_id == firm_id else None
    model = _voucher_model()
    query = select(model).where(model.id == voucher_id)
    if firm_id is not None:
        query = query.where(model.firm_id == firm_id)
    query = for_update(query, of=model)
    found = db.session.execute(
        query.execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if found is None:
        if missing_ok:
            return None
        raise LookupError(f"no voucher {voucher_id}")
    locked[voucher_id] = found
    return found


# --- programmes ----------------------------------------------------------------------------

def fund_programme(programme_id, amount_fen, *, actor=None, memo=None):
    """funding → pool: a programme's budget, or a raise of it."""
    return ledger.transfer(kinds.FUNDING, accounts.programme_funding(programme_id),
                           accounts.programme_pool(programme_id), amount_fen,
                           ref=("programme", programme_id), actor=actor, memo=memo)


def defund_programme(programme_id, amount_fen, *, actor=None, memo=None):
    """pool → funding: a budget lowered. Raises ledger.InsufficientBalance when the pool
    (the budget not yet issued) does not hold it."""
    return ledger.transfer(kinds.DEFUNDING, accounts.programme_pool(programme_id),
                           accounts.programme_funding(programme_id), amount_fen,
                           ref=("programme", programme_id), actor=actor, memo=memo)


# --- vouchers ------------------------------------------------------------------------------

def issue(voucher, amount_fen, *, actor=None, idempotency_key=None):
    """pool → the new voucher's available account. Raises ledger.InsufficientBalance when
    the pool cannot fund it (the conditional UPDATE: two approvals racing for the last of
    a budget cannot both pass)."""
    available = accounts.voucher_available(voucher.id)
    accounts.voucher_reserved(voucher.id)
    return ledger.transfer(kinds.ISSUE, accounts.programme_pool(voucher.programme_id),
                           available, amount_fen, ref=("voucher", voucher.id), actor=actor,
                           idempotency_key=idempotency_key)


def available_fen(voucher):
    """What the voucher may still commit, read now (call after locking the voucher). Both
    of its accounts are read in the one statement, for the reservation that follows."""
    found = ledger.load_accounts([accounts.voucher_available_code(voucher.id),
                                  accounts.voucher_reserved_code(voucher.id)])
    account = found.get(accounts.voucher_available_code(voucher.id))
    return int(account.balance_fen) if account is not None else 0


def reserve(voucher_id, amount_fen, *, ref, actor=None, idempotency_key=None):
    """available → reserved for a signed contract. Locks the voucher. Raises
    ledger.InsufficientBalance when the available balance does not cover it (nothing
    moved). The caller checks the voucher is active (it names the refusal)."""
    lock_voucher(voucher_id)
    return ledger.transfer(kinds.RESERVE, accounts.voucher_available(voucher_id),
                           accounts.voucher_reserved(voucher_id), amount_fen, ref=ref,
                           actor=actor, idempotency_key=idempotency_key)


def release(voucher_id, amount_fen, *, ref, actor=None, idempotency_key=None):
    """reserved → available (a contract cancelled, a claim rejected or voided). On a
    voucher that is no longer active the released money cannot be spent again, so it
    goes on to the programme's pool at once."""
    voucher = lock_voucher(voucher_id)
    moved = ledger.transfer(kinds.RELEASE, accounts.voucher_reserved(voucher_id),
                            accounts.voucher_available(voucher_id), amount_fen, ref=ref,
                            actor=actor, idempotency_key=idempotency_key)
    if not voucher.is_active:
        _return_to_pool(voucher, amount_fen, actor=actor,
                        idempotency_key=f"{idempotency_key}:to-pool" if idempotency_key
                        else None)
    return moved


def _return_to_pool(voucher, amount_fen, *, actor=None, idempotency_key=None):
    kind = kinds.REVOKE if voucher.is_revoked else kinds.EXPIRY
    return ledger.transfer(kind, accounts.voucher_available(voucher.id),
                           accounts.programme_pool(voucher.programme_id), amount_fen,
                           ref=("voucher", voucher.id), actor=actor,
                           idempotency_key=idempotency_key)


def expire(voucher_id, *, actor=None):
    """Return the voucher's unspent available value to the pool (the caller moves the
    voucher to expired, after this). Reserved value stays with the contracts that hold
    it; whatever of it is released later follows at once (``release``). Returns the fen
    returned."""
    voucher = lock_voucher(voucher_id)
    remaining = available_fen(voucher)
    if remaining > 0:
        ledger.transfer(kinds.EXPIRY, accounts.voucher_available(voucher_id),
                        accounts.programme_pool(voucher.programme_id), remaining,
                        ref=("voucher", voucher_id), actor=actor,
                        idempotency_key=f"voucher-expiry:{voucher_id}")
    return remaining
