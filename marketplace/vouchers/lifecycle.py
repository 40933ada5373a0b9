"""The life of an issued voucher: reservations, expiry, reminders, and its invariants."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.core import audit, ledger
from marketplace.core.errors import Conflict
from marketplace.core.ledger import LedgerAccount
from marketplace.core.money import format_fen
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.models import Programme, Voucher, VoucherStatus

REMINDER_DAYS = (30, 7)


class InsufficientVoucherBalance(Conflict):
    code = "insufficient_voucher_balance"
    default_message = _l("The voucher does not have enough available balance.")


class VoucherNotActive(Conflict):
    code = "voucher_not_active"
    default_message = _l("The voucher is expired or revoked.")


def lock_voucher(voucher_id):
    """The voucher re-read under its row lock; populate_existing refreshes a copy already
    in the session in the same statement (a separate refresh cost a second one)."""
    query = for_update(select(Voucher).where(Voucher.id == voucher_id), of=Voucher)
    return db.session.execute(
        query.execution_options(populate_existing=True)).unique().scalar_one()


def reserve(voucher, amount_fen, *, ref, actor=None, idempotency_key=None):
    """available → reserved; refused (nothing moved) when the balance does not cover it."""
    if voucher.status != VoucherStatus.ACTIVE:
        raise VoucherNotActive()
    try:
        return ledger.transfer(services.RESERVE, services.voucher_available_account(voucher),
                               services.voucher_reserved_account(voucher), amount_fen,
                               ref=ref, actor=actor, idempotency_key=idempotency_key)
    except ledger.InsufficientBalance:
        raise InsufficientVoucherBalance(details={"voucher_id": voucher.id,
                                                  "needed_fen": amount_fen})


def release(voucher, amount_fen, *, ref, actor=None, idempotency_key=None):
    """reserved → available (a contract cancelled or a claim rejected)."""
    voucher = lock_voucher(voucher.id)  # before its accounts, in the order reserve takes
    return ledger.transfer(services.RELEASE, services.voucher_reserved_account(voucher),
                           services.voucher_available_account(voucher), amount_fen,
                           ref=ref, actor=actor, idempotency_key=idempotency_key)


def expire(voucher, actor=None):
    """Mark the voucher expired and return its unspent available value to the pool.
    Reserved value stays with the contracts that hold it."""
    available = services.voucher_available_account(voucher)
    remaining = ledger.balance(available)
    if remaining > 0:
        ledger.transfer(services.EXPIRY, available,
                        services._pool_account(voucher.programme), remaining,
                        ref=("voucher", voucher.id), actor=actor,
                        idempotency_key=f"voucher-expiry:{voucher.id}")
    transition(voucher, "expire", actor=actor, data={"returned_fen": remaining})
    return remaining


@nightly_job
def expire_due_vouchers(today=None):
    """Expire every active voucher past its end date. Returns how many."""
    today = today or date.today()
    due = db.session.execute(
        select(Voucher.id).where(Voucher.status == VoucherStatus.ACTIVE,
                                 Voucher.expires_on < today)).scalars().all()
    for voucher_id in due:
        expire(lock_voucher(voucher_id))
    return len(due)


@nightly_job
def send_expiry_reminders(today=None):
    """Remind firms 30 and 7 days before expiry: each reminder once, never twice."""
    from marketplace.accounts.models import User
    from marketplace.notifications.services import notify

    today = today or date.today()
    sent = 0
    for days in REMINDER_DAYS:
        column = getattr(Voucher, f"reminder_{days}_sent_dt")
        due = db.session.execute(
            select(Voucher).where(Voucher.status == VoucherStatus.ACTIVE, column.is_(None),
                                  Voucher.expires_on <= today + timedelta(days=days),
                                  Voucher.expires_on >= today)).scalars().all()
        for voucher in due:
            if days == 30 and voucher.expires_on <= today + timedelta(days=7):
                # Issued or found late: the 7-day reminder says it all; do not send both.
                voucher.reminder_30_sent_dt = now_utc()
                continue
            setattr(voucher, f"reminder_{days}_sent_dt", now_utc())
            balance = ledger.balance(services.voucher_available_account(voucher))
            members = db.session.execute(
                select(User).where(User.organisation_id == voucher.firm_id,
                                   User.is_active_account.is_(True))).scalars().all()
            for member in members:
                notify(member, "voucher_expiring", days=days,
                       expires_on=voucher.expires_on.isoformat(),
                       available=format_fen(balance), link=f"/vouchers/{voucher.id}")
            audit.record(voucher, f"reminder_{days}", data={"available_fen": balance})
            sent += 1
    db.session.flush()
    return sent


# --- invariants checked by `flask ledger verify` --------------------------------------

@ledger.invariant
def programmes_never_over_issued():
    """Pool + issued − returned = budget, for every programme; the pool never negative."""
    problems = []
    for programme in db.session.execute(select(Programme)).scalars():
        figures = services.budget_figures(programme)
        issued, returned = figures["issued_fen"], figures["expired_fen"]
        if figures["available_fen"] + issued - returned != figures["budget_fen"]:
            problems.append(
                f"programme {programme.id}: pool {figures['available_fen']} + issued {issued}"
                f" - returned {returned} != budget {figures['budget_fen']}")
        if issued - returned > figures["budget_fen"]:
            problems.append(f"programme {programme.id} is over-issued")
    return problems


@ledger.invariant
def vouchers_add_up():
    """available + reserved + spent + expired = face value, for every voucher.

    Set-based (three queries whatever the number of vouchers), so verification stays
    cheap enough to run after every test."""
    from sqlalchemy import case

    from marketplace.core.ledger import LedgerPosting, LedgerTransaction

    balances = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(LedgerAccount.balance_fen))
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    left = case(
        ((LedgerTransaction.kind.in_([services.CLAIM_APPROVAL, services.EXPIRY,
                                      services.REVOKE])) & (LedgerPosting.amount_fen < 0),
         -LedgerPosting.amount_fen),
        ((LedgerTransaction.kind == services.CLAWBACK) & (LedgerPosting.amount_fen > 0),
         -LedgerPosting.amount_fen),
        else_=0)
    outflows = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(left))
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    problems = []
    for voucher_id, face_value in db.session.execute(select(Voucher.id,
                                                            Voucher.face_value_fen)):
        if voucher_id not in balances:
            problems.append(f"voucher {voucher_id} has no ledger accounts")
            continue
        total = int(balances[voucher_id]) + int(outflows.get(voucher_id) or 0)
        if total != face_value:
            problems.append(f"voucher {voucher_id}: available + reserved + spent + expired "
                            f"= {total} != face value {face_value}")
    return problems

