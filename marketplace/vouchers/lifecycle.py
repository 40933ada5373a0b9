"""The life of an issued voucher: reservations, expiry, reminders, and its invariants."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import funds
from marketplace.core import audit
from marketplace.core.errors import Conflict
from marketplace.core.money import format_fen
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.vouchers.models import Voucher, VoucherStatus

REMINDER_DAYS = (30, 7)


class InsufficientVoucherBalance(Conflict):
    code = "insufficient_voucher_balance"
    default_message = _l("The voucher does not have enough available balance.")


class VoucherNotActive(Conflict):
    code = "voucher_not_active"
    default_message = _l("The voucher is expired or revoked.")


def lock_voucher(voucher_id, *, missing_ok=False, firm_id=None):
    """The voucher re-read under its row lock (the first lock a money verb takes); with
    ``firm_id``, only that firm's (another's is missing, and not locked)."""
    return funds.budget.lock_voucher(voucher_id, missing_ok=missing_ok, firm_id=firm_id)


def reserve(voucher, amount_fen, *, ref, actor=None, idempotency_key=None):
    """available → reserved; refused (nothing moved) when the balance does not cover it."""
    if voucher.status != VoucherStatus.ACTIVE:
        raise VoucherNotActive()
    try:
        return funds.budget.reserve(voucher.id, amount_fen, ref=ref, actor=actor,
                                    idempotency_key=idempotency_key)
    except funds.InsufficientBalance:
        raise InsufficientVoucherBalance(details={"voucher_id": voucher.id,
                                                  "needed_fen": amount_fen})


def release(voucher, amount_fen, *, ref, actor=None, idempotency_key=None):
    """reserved → available (a contract cancelled); on an expired or revoked voucher the
    money goes on to the programme's pool."""
    return funds.budget.release(voucher.id, amount_fen, ref=ref, actor=actor,
                                idempotency_key=idempotency_key)


def expire(voucher, actor=None):
    """Mark the voucher expired and return its unspent available value to the pool.
    Reserved value stays with the contracts that hold it."""
    remaining = funds.budget.expire(voucher.id, actor=actor)
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
            balance = funds.figures.voucher_available_fen(voucher.id)
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
