"""The lines of a disbursement batch while it waits for the treasury: what each line pays,
the recoveries netted from the same agencies, and lines taken out (a claim voided, a
co-pay refunded) with the batch's totals kept in step.

Lock order: the order (when a co-pay is involved), then batches by id, then claims, then
vouchers and their accounts (the funds verbs). Paying a batch takes the batch, then its
claims; a refund or a void takes the batches of the order or claim first, so the two
serialise instead of paying and clawing back the same claim at once."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace import funds
from marketplace.claims.models import (BatchStatus, Claim, DisbursementBatch, DisbursementLine,
                                       LineKind, LineStatus)
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict
from marketplace.core.money import format_fen
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

PAYOUT_KINDS = (LineKind.VOUCHER_PART, LineKind.COPAY)


def lock_batch(batch_id):
    return db.session.execute(for_update(select(DisbursementBatch).where(
        DisbursementBatch.id == batch_id).execution_options(populate_existing=True))
    ).scalar_one()


def mark_sent(batch):
    """The batch's payment file is being exported: lock the batch (so the file is read
    after any refund or void under way has finished with it) and, the first time, record
    it as sent with the total the file says. Returns the locked batch and, for the first
    export, what goes into its audit record: ``{"sent": True, "payees": {agency id: fen}}``
    (`flask ledger verify` holds the lines to it); else ``{}``."""
    batch = lock_batch(batch.id)
    if batch.status != BatchStatus.OPEN or batch.sent_dt is not None:
        return batch, {}
    batch.sent_dt = now_utc()
    batch.sent_total_fen = batch.total_fen
    payees = {}
    for line in live_lines(batch.id):
        payees[line.agency_id] = payees.get(line.agency_id, 0) + line.signed_amount_fen
    return batch, {"sent": True, "payees": {str(agency_id): fen
                                            for agency_id, fen in sorted(payees.items())}}


def live_lines(batch_id, agency_id=None):
    query = select(DisbursementLine).where(DisbursementLine.batch_id == batch_id,
                                           DisbursementLine.status != LineStatus.REMOVED)
    if agency_id is not None:
        query = query.where(DisbursementLine.agency_id == agency_id)
    return db.session.execute(query.order_by(DisbursementLine.id)).scalars().all()


def lines_of(batch_id):
    return db.session.execute(select(DisbursementLine).where(
        DisbursementLine.batch_id == batch_id).order_by(DisbursementLine.id)).scalars().all()


def open_batch_ids_of_order(order_id):
    """The open batches holding a live line of this order: its co-pay, or its claim."""
    claim_ids = select(Claim.id).where(Claim.order_id == order_id)
    return sorted(set(db.session.execute(
        select(DisbursementLine.batch_id)
        .join(DisbursementBatch, DisbursementBatch.id == DisbursementLine.batch_id)
        .where(DisbursementBatch.status == BatchStatus.OPEN,
               DisbursementLine.status == LineStatus.INCLUDED,
               (DisbursementLine.order_id == order_id)
               | DisbursementLine.claim_id.in_(claim_ids))).scalars()))


def lock_open_batches_of_order(order_id):
    """Lock (by id) the open batches that pay something of this order, before the order's
    claim or co-pay changes under a refund. Returns the locked batches."""
    return [lock_batch(batch_id) for batch_id in open_batch_ids_of_order(order_id)]


def net_recoveries(batch, agency_id, *, actor=None):
    """Deduct what the agency owes back from what this batch pays it, as recovery lines
    (the oldest recovery first), at most the agency's payout in the batch. Lines from an
    earlier netting are replaced, so this can run again after a line was taken out."""
    for line in live_lines(batch.id, agency_id):
        if line.kind == LineKind.RECOVERY:
            remove_line(line, "renetted", actor=actor, quiet=True)
    room = sum(line.amount_fen for line in live_lines(batch.id, agency_id)
               if line.kind in PAYOUT_KINDS)
    for recovery in funds.recoveries.outstanding([agency_id]):
        if room <= 0:
            break
        recovery = funds.recoveries.lock(recovery.id)   # two batches netting it at once
        amount = min(room, recovery.outstanding_fen - _planned_elsewhere(recovery.id,
                                                                         batch.id))
        if amount <= 0:
            continue
        db.session.add(DisbursementLine(batch_id=batch.id, kind=LineKind.RECOVERY,
                                        agency_id=agency_id, order_id=recovery.order_id,
                                        recovery_id=recovery.id, amount_fen=amount))
        room -= amount
    db.session.flush()


def _planned_elsewhere(recovery_id, batch_id):
    """What other open batches already mean to deduct of this recovery (not collected
    until they are paid)."""
    return int(db.session.execute(
        select(func.coalesce(func.sum(DisbursementLine.amount_fen), 0))
        .join(DisbursementBatch, DisbursementBatch.id == DisbursementLine.batch_id)
        .where(DisbursementLine.recovery_id == recovery_id,
               DisbursementLine.status == LineStatus.INCLUDED,
               DisbursementBatch.status == BatchStatus.OPEN,
               DisbursementLine.batch_id != batch_id)).scalar_one())


def refresh_totals(batch, *, actor=None):
    """Recount the batch from its live lines; an open batch left with none is cancelled."""
    lines = live_lines(batch.id)
    batch.line_count = len(lines)
    batch.total_fen = sum(line.signed_amount_fen for line in lines)
    if batch.status == BatchStatus.OPEN and not lines:
        transition(batch, "cancel", actor=actor, data={"reason": "every line was taken out"})


def remove_line(line, reason, *, actor=None, quiet=False):
    transition(line, "remove", actor=actor, data={"reason": reason, "batch_id": line.batch_id,
                                                  "amount_fen": line.amount_fen})
    line.removed_reason = reason
    line.updated_dt = now_utc()
    db.session.flush()
    if not quiet:
        outbox.emit("claims.batch_line_removed", batch_id=line.batch_id, line_id=line.id)


def take_out_claim(claim, reason, *, actor=None):
    """A claim in an unpaid batch is voided: its line leaves the batch, the agency's
    recoveries are netted again, and the supervisors are told. The caller holds the
    batch's lock and the claim's."""
    line = db.session.execute(select(DisbursementLine).where(
        DisbursementLine.claim_id == claim.id,
        DisbursementLine.status == LineStatus.INCLUDED)).scalar_one_or_none()
    claim.disbursement_batch_id = None
    if line is None:
        return None
    batch = lock_batch(line.batch_id)
    remove_line(line, reason, actor=actor)
    net_recoveries(batch, line.agency_id, actor=actor)
    refresh_totals(batch, actor=actor)
    audit.record(batch, "take_out", actor=actor, data={"claim_id": claim.id, "reason": reason})
    return line


def reduce_copay(order_id, amount_fen, reason, *, actor=None):
    """``amount_fen`` of an order's co-pay was refunded from the agency's co-pay payable
    while a batch waited to pay it: the line shrinks (or leaves) by that much."""
    line = db.session.execute(select(DisbursementLine).where(
        DisbursementLine.order_id == order_id, DisbursementLine.kind == LineKind.COPAY,
        DisbursementLine.status == LineStatus.INCLUDED)).scalar_one_or_none()
    if line is None:
        return None
    batch = lock_batch(line.batch_id)
    if batch.status != BatchStatus.OPEN:
        return None
    if batch.is_at_the_bank:
        return keep_refund_at_bank(line, batch, amount_fen, reason, actor=actor)
    if amount_fen >= line.amount_fen:
        remove_line(line, reason, actor=actor)
    else:
        audit.record(line, "reduce", actor=actor, data={"from_fen": line.amount_fen,
                                                        "by_fen": amount_fen,
                                                        "reason": reason})
        line.amount_fen -= amount_fen
        line.updated_dt = now_utc()
        outbox.emit("claims.batch_line_removed", batch_id=line.batch_id, line_id=line.id)
    net_recoveries(batch, line.agency_id, actor=actor)
    refresh_totals(batch, actor=actor)
    return line


def keep_refund_at_bank(line, batch, amount_fen, reason, *, actor=None):
    """The bank pays the co-pay line whole as its file says: the refund is kept on the
    line, and owed back by the agency once the bank has paid it (or simply not paid,
    when the bank does not pay the line)."""
    refunded = min(amount_fen, line.amount_fen - line.refunded_at_bank_fen)
    line.refunded_at_bank_fen += refunded
    line.updated_dt = now_utc()
    audit.record(line, "refund_at_bank", actor=actor, data={
        "batch_id": batch.id, "refunded_fen": refunded,
        "refunded_at_bank_fen": line.refunded_at_bank_fen, "reason": reason})
    outbox.emit("claims.changed_at_bank", batch_id=batch.id, line_id=line.id,
                change=format_fen(refunded))
    return line


class RecoveryAtTheBank(Conflict):
    code = "recovery_at_the_bank"
    default_message = _l("A batch whose payment file went to the bank already deducts this "
                         "recovery: record the rest once the bank has answered.")


def refuse_repayment_netted_at_bank(recovery_id, amount_fen):
    """A batch at the bank collects its deduction when the bank pays; a repayment may
    take only what no such batch deducts, or the recovery would be collected twice and
    the batch could not be paid as the bank paid it."""
    at_bank = db.session.execute(
        select(DisbursementLine.batch_id, DisbursementLine.amount_fen)
        .join(DisbursementBatch, DisbursementBatch.id == DisbursementLine.batch_id)
        .where(DisbursementLine.recovery_id == recovery_id,
               DisbursementLine.status == LineStatus.INCLUDED,
               DisbursementBatch.status == BatchStatus.OPEN,
               DisbursementBatch.sent_dt.is_not(None))).all()
    if not at_bank:
        return
    planned = sum(amount for _batch_id, amount in at_bank)
    most = funds.recoveries.lock(recovery_id).outstanding_fen - planned
    if amount_fen > most:
        batches = ", ".join(f"#{batch_id}" for batch_id in sorted({b for b, _a in at_bank}))
        raise RecoveryAtTheBank(
            _l("Batch %(batches)s, whose payment file went to the bank, already deducts "
               "%(planned)s of this recovery: record at most %(most)s now, and the rest "
               "once the bank has answered.", batches=batches, planned=format_fen(planned),
               most=format_fen(max(most, 0))),
            details={"batch_ids": sorted({b for b, _a in at_bank}), "planned_fen": planned,
                     "most_fen": max(most, 0)})


def open_batch_ids_of_recovery(recovery_id):
    """The open batches that mean to deduct some of this recovery."""
    return sorted(set(db.session.execute(
        select(DisbursementLine.batch_id)
        .join(DisbursementBatch, DisbursementBatch.id == DisbursementLine.batch_id)
        .where(DisbursementBatch.status == BatchStatus.OPEN,
               DisbursementLine.status == LineStatus.INCLUDED,
               DisbursementLine.recovery_id == recovery_id)).scalars()))


def _lock_batches_of_recovery(recovery_id):
    """The open batches deducting this recovery, then the recovery, locked in that order
    (netting takes them so). A batch that netted it between the read and the lock means
    reading again."""
    for _attempt in range(3):
        batch_ids = open_batch_ids_of_recovery(recovery_id)
        savepoint = db.session.begin_nested()
        batches = [lock_batch(batch_id) for batch_id in batch_ids]
        funds.recoveries.lock(recovery_id)
        if open_batch_ids_of_recovery(recovery_id) == batch_ids:
            savepoint.commit()
            return batches
        savepoint.rollback()   # releases the locks taken since: read the batches again
    raise RuntimeError(f"recovery {recovery_id} kept moving between batches")


def record_repayment(recovery_id, amount_fen, *, actor, reference):
    """The agency repaid ``amount_fen`` of a recovery by transfer. An open batch that
    deducts more of it than is still owed then has its deductions netted again (the
    supervisors are told): else paying that batch would collect the recovery a second
    time, which funds refuses, and the batch could never be paid."""
    batches = _lock_batches_of_recovery(recovery_id)
    refuse_repayment_netted_at_bank(recovery_id, amount_fen)
    collection = funds.recoveries.collect(recovery_id, amount_fen, actor=actor,
                                          method="repaid", reference=reference)
    recovery = funds.recoveries.lock(recovery_id)
    planned = [line for batch in batches for line in live_lines(batch.id, recovery.agency_id)
               if line.recovery_id == recovery_id]
    if sum(line.amount_fen for line in planned) <= recovery.outstanding_fen:
        return collection
    # a batch at the bank keeps its deduction (refused above past what is left for it):
    # only the batches not yet sent are netted again, around it
    for batch in (batch for batch in batches if not batch.is_at_the_bank):
        for line in planned:
            if line.batch_id == batch.id:
                remove_line(line, "repaid by the agency", actor=actor)
        net_recoveries(batch, recovery.agency_id, actor=actor)
        refresh_totals(batch, actor=actor)
    return collection
