"""Recoveries: what an agency owes back, and its collection (netted from a payout or
repaid). A refund after payout is a recovery, never a second payout."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.core import audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.funds import copay, voucher_parts
from marketplace.funds.models import (CollectionMethod, Recovery, RecoveryCollection,
                                      RecoveryKind, RecoveryStatus)


class CollectionTooLarge(ValidationFailed):
    code = "collection_too_large"
    default_message = _l("This is more than the agency still owes.")


def owe_voucher_part(claim, *, actor=None, reason):
    """A claim voided after it was paid out: the agency owes the voucher part back."""
    voucher_parts.recovery_due(claim, actor=actor)
    return _record(RecoveryKind.VOUCHER_PART, agency_id=claim.agency_id, claim_id=claim.id,
                   order_id=claim.order_id, voucher_id=claim.voucher_id,
                   amount_fen=claim.amount_fen, reason=reason, actor=actor)


def owe_copay(order_id, agency_id, amount_fen, *, actor=None, reason):
    """A co-pay refunded to the firm after it was paid out (the ledger posting is the
    refund's, ``copay.refund``): the agency owes it back."""
    return _record(RecoveryKind.COPAY, agency_id=agency_id, order_id=order_id,
                   amount_fen=amount_fen, reason=reason, actor=actor)


def owe_copay_paid_at_bank(order_id, agency_id, amount_fen, *, actor=None, reason, key):
    """The bank paid a co-pay line whole although ``amount_fen`` of it had been refunded
    to the firm (from the agency's co-pay payable) after the bank file went out: the
    platform advanced that much to the agency, which owes it back."""
    copay.paid_at_bank(order_id, agency_id, amount_fen, actor=actor, key=key)
    return _record(RecoveryKind.COPAY, agency_id=agency_id, order_id=order_id,
                   amount_fen=amount_fen, reason=reason, actor=actor)


def _record(kind, *, actor, **fields):
    recovery = Recovery(kind=kind, status=RecoveryStatus.OWED, **fields)
    db.session.add(recovery)
    db.session.flush()
    audit.record(recovery, "create", actor=actor, after=RecoveryStatus.OWED,
                 data={"kind": kind.value, "amount_fen": recovery.amount_fen,
                       "agency_id": recovery.agency_id, "claim_id": recovery.claim_id,
                       "order_id": recovery.order_id, "reason": recovery.reason})
    return recovery


def lock(recovery_id):
    return db.session.execute(for_update(
        select(Recovery).where(Recovery.id == recovery_id)
        .execution_options(populate_existing=True))).scalar_one()


def collect(recovery_id, amount_fen, *, actor=None, method, batch_id=None, reference=None):
    """Record ``amount_fen`` of the recovery as collected: the money goes back where it
    came from (a voucher part to its voucher, or on to the pool; a co-pay to repay what
    the platform advanced)."""
    recovery = lock(recovery_id)
    if amount_fen <= 0 or amount_fen > recovery.outstanding_fen:
        raise CollectionTooLarge(details={"outstanding_fen": recovery.outstanding_fen,
                                          "field": "amount"})
    collection = RecoveryCollection(recovery_id=recovery.id, amount_fen=amount_fen,
                                    method=CollectionMethod(method), batch_id=batch_id,
                                    reference=reference,
                                    recorded_by_id=getattr(actor, "id", actor))
    db.session.add(collection)
    db.session.flush()
    key = f"recovery-collected:{collection.id}"
    if recovery.kind == RecoveryKind.VOUCHER_PART:
        voucher_parts.collect_recovery(recovery, amount_fen, actor=actor, key=key)
    else:
        copay.collect_recovery(recovery, amount_fen, actor=actor, key=key)
    recovery.collected_fen += amount_fen
    data = {"amount_fen": amount_fen, "method": collection.method.value,
            "batch_id": batch_id, "reference": reference}
    if recovery.collected_fen == recovery.amount_fen:
        recovery.collected_dt = now_utc()
        transition(recovery, "collect", actor=actor, data=data)
    else:
        audit.record(recovery, "collect_part", actor=actor, data=data)
    return collection


def outstanding(agency_ids=None):
    """Recoveries still owed (all, or of these agencies), the oldest first."""
    query = select(Recovery).where(Recovery.status == RecoveryStatus.OWED)
    if agency_ids is not None:
        query = query.where(Recovery.agency_id.in_(list(agency_ids)))
    return db.session.execute(query.order_by(Recovery.id)).scalars().all()


def outstanding_total(agency_id):
    return int(db.session.execute(select(
        func.coalesce(func.sum(Recovery.amount_fen - Recovery.collected_fen), 0))
        .where(Recovery.agency_id == agency_id,
               Recovery.status == RecoveryStatus.OWED)).scalar_one())


def of_agency(agency_id):
    return db.session.execute(select(Recovery).where(Recovery.agency_id == agency_id)
                              .order_by(Recovery.id.desc())).scalars().all()
