"""The business facts the books must state, checked by `flask ledger verify` (and after
every test): beyond "every transaction sums to zero", what each claim, order, payment,
voucher and agency's money must add up to. Each returns readable sentences, empty when
sound; each is proved to catch its violation in tests/reliability/test_ledger_invariants.py.

Each domain states the facts about its own objects, in its ``ledger_facts`` module
(vouchers, payments, orders, claims), registered with :func:`invariant` and loaded by its
``init_app``: funds sits below those domains and cannot read their tables. What the books
say is read here for them (only funds imports the ledger), as plain figures per owner or
reference; the fact about funds' own recoveries is here too.

They are set-based (a few statements each, whatever the number of rows) so the check
stays cheap enough to run after every test."""
import re
from collections import defaultdict

from sqlalchemy import func, select

from marketplace.core import ledger
from marketplace.core.ledger import LedgerAccount, LedgerPosting, LedgerTransaction
from marketplace.extensions import db
from marketplace.funds import accounts, figures, kinds
from marketplace.funds.models import Recovery, RecoveryStatus

invariant = ledger.invariant   # for the domains above, which may not import the ledger


def per_reference(ref_type, kind_list, account_kind=None, sign=None):
    """{ref_id: fen moved} by transactions of ``kind_list`` referring to ``ref_type``:
    half the absolute legs (a transfer), or the signed sum on accounts of one kind."""
    amount = func.sum(LedgerPosting.amount_fen)
    query = (select(LedgerTransaction.ref_id, LedgerTransaction.kind,
                    func.sum(func.abs(LedgerPosting.amount_fen)) / 2 if account_kind is None
                    else amount)
             .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
             .where(LedgerTransaction.ref_type == ref_type,
                    LedgerTransaction.kind.in_(kind_list)))
    if account_kind is not None:
        query = query.join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id) \
            .where(LedgerAccount.kind == account_kind)
    found = defaultdict(dict)
    for ref_id, kind, total in db.session.execute(
            query.group_by(LedgerTransaction.ref_id, LedgerTransaction.kind)):
        found[ref_id][kind] = int(total or 0) * (sign or 1)
    return found


def repeated_transactions():
    """A sentence for each object with more than one transaction of a kind that happens
    at most once for it (``kinds.ONCE_PER_REFERENCE``)."""
    problems = []
    once = [(kind, ref_type) for kind, ref_type in kinds.ONCE_PER_REFERENCE]
    for kind, ref_type, ref_id, count in db.session.execute(
            select(LedgerTransaction.kind, LedgerTransaction.ref_type,
                   LedgerTransaction.ref_id, func.count(LedgerTransaction.id))
            .where(LedgerTransaction.kind.in_([k for k, _r in once]))
            .group_by(LedgerTransaction.kind, LedgerTransaction.ref_type,
                      LedgerTransaction.ref_id)
            .having(func.count(LedgerTransaction.id) > 1)):
        if (kind, ref_type) in once:
            problems.append(f"{ref_type} {ref_id} has {count} {kind} transactions")
    return problems


def balances_by_owner(account_kinds):
    """``{account kind: {owner id: balance fen}}`` of every account of ``account_kinds``."""
    balances = defaultdict(dict)
    for kind, owner_id, balance in db.session.execute(
            select(LedgerAccount.kind, LedgerAccount.owner_id, LedgerAccount.balance_fen)
            .where(LedgerAccount.kind.in_(list(account_kinds)))):
        balances[kind][owner_id] = int(balance)
    return balances


def voucher_books():
    """``{voucher id: (available + reserved + spent + expired, available)}`` in fen, for
    every voucher that has ledger accounts: what its face value must be, and what it could
    still spend."""
    balances = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(LedgerAccount.balance_fen))
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    outflows = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(figures.voucher_flow()))
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    available = balances_by_owner([accounts.VOUCHER_AVAILABLE])[accounts.VOUCHER_AVAILABLE]
    return {voucher_id: (int(total) + int(outflows.get(voucher_id) or 0),
                         available.get(voucher_id, 0))
            for voucher_id, total in balances.items()}


_PAYMENT_KEY = re.compile(r"^(?:copay-received|unallocated-received):payment:(\d+)$")
_REFUND_KEY = re.compile(r"^(?:copay-refund|unallocated-refund):payment:(\d+):")


def charges_booked():
    """What the books received and refunded for each payment, read from the co-pay
    postings' keys: ``({payment id: [fen of each receipt]}, {payment id: fen refunded},
    [sentences for postings that name no payment])``."""
    unnamed = []
    receipts = defaultdict(list)
    refunds = defaultdict(int)
    for key, total in db.session.execute(
            select(LedgerTransaction.idempotency_key,
                   func.sum(func.abs(LedgerPosting.amount_fen)))
            .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
            .where(LedgerTransaction.kind.in_([kinds.COPAY_RECEIVED, kinds.UNALLOCATED_RECEIVED,
                                               kinds.COPAY_REFUND, kinds.UNALLOCATED_REFUND,
                                               kinds.COPAY_RECOVERY_DUE]))
            .group_by(LedgerTransaction.id, LedgerTransaction.idempotency_key)):
        if (found := _PAYMENT_KEY.match(key or "")):
            receipts[int(found.group(1))].append(int(total) // 2)
        elif (found := _REFUND_KEY.match(key or "")):
            # a recovery's posting has four legs: the refund is half of half of them
            legs = 4 if key.endswith(":recovery") else 2
            refunds[int(found.group(1))] += int(total) // legs
        else:
            unnamed.append(f"a co-pay posting names no payment (key {key!r})")
    return receipts, refunds, unnamed


def unallocated_payment_ids():
    """A select of the ids of the payments received into the unallocated account."""
    return select(LedgerTransaction.ref_id).where(
        LedgerTransaction.kind == kinds.UNALLOCATED_RECEIVED,
        LedgerTransaction.ref_type == "payment")


@invariant
def recoveries_add_up():
    """A recovery's collected figure is its collections; a collected one owes nothing."""
    problems = []
    for recovery in db.session.execute(select(Recovery)).scalars():
        collected = sum(c.amount_fen for c in recovery.collections)
        if collected != recovery.collected_fen:
            problems.append(f"recovery {recovery.id} says {recovery.collected_fen} fen "
                            f"collected but its collections make {collected} fen")
        if (recovery.status == RecoveryStatus.COLLECTED) != (collected == recovery.amount_fen):
            problems.append(f"recovery {recovery.id} is {recovery.status.value} with "
                            f"{collected} of {recovery.amount_fen} fen collected")
    return problems
