"""A co-pay refunded after acceptance (the agency rebating the firm through the gateway)
voids the order's claim: the voucher may not pay for a contract whose co-pay went back
(domain.md, Rebates). Where the claim's money stands decides what voiding it does:

- before approval: the reservation is released;
- approved, not paid: the voucher part is clawed back from the agency's payable and
  released; if the claim waits in a batch it leaves the batch (the rest stays payable);
  if that batch's payment file already went to the bank, the void waits for the bank's
  answer and is then carried out from where the money ended;
- paid out: the agency owes it back (a recovery), never a second payout.

The batch is locked before the claim, as paying a batch does, so a refund and a payment
of the same claim serialise."""
from sqlalchemy import select

from marketplace import funds
from marketplace.claims import batch_lines
from marketplace.claims.models import (BatchStatus, Claim, ClaimStatus, DisbursementBatch,
                                       DisbursementLine, LineStatus)
from marketplace.claims.services import lock_claim
from marketplace.core import audit, outbox
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

CLOSED = (ClaimStatus.REJECTED, ClaimStatus.VOIDED)


def _lock_with_batch(claim_id):
    """The claim under its lock, its open batch (if any) locked first. The batch is read
    before the lock, so the claim's batch is checked again once both are held: a batch
    created in between (only create_batch adds a claim to one) means trying again."""
    for _attempt in range(3):
        batch_id = db.session.execute(select(Claim.disbursement_batch_id).where(
            Claim.id == claim_id)).scalar_one()
        savepoint = db.session.begin_nested()
        if batch_id is not None:
            batch = batch_lines.lock_batch(batch_id)
            if batch.status != BatchStatus.OPEN:
                batch_id = None   # paid or cancelled: nothing of it can change
        claim = lock_claim(claim_id)
        open_batch = claim.disbursement_batch_id is not None and db.session.get(
            DisbursementBatch, claim.disbursement_batch_id).status == BatchStatus.OPEN
        if not open_batch or claim.disbursement_batch_id == batch_id:
            savepoint.commit()
            return claim
        savepoint.rollback()   # releases the locks taken since: read the batch again
    raise RuntimeError(f"claim {claim_id} kept moving between batches")


def void_claim(claim, reason, actor=None):
    claim = _lock_with_batch(claim.id)
    if claim.status in CLOSED:
        return claim
    paid_out = claim.status == ClaimStatus.DISBURSED
    if paid_out:
        recovery = funds.recoveries.owe_voucher_part(claim, actor=actor, reason=reason)
        outbox.emit("claims.recovery_owed", recovery_id=recovery.id)
    elif claim.status == ClaimStatus.APPROVED:
        batch = db.session.get(DisbursementBatch, claim.disbursement_batch_id) \
            if claim.disbursement_batch_id is not None else None
        if batch is not None and batch.is_at_the_bank:
            return _void_when_the_bank_answers(claim, batch, reason, actor)
        if batch is not None:
            batch_lines.take_out_claim(claim, reason, actor=actor)
        funds.voucher_parts.claw_back(claim, actor=actor)
    else:
        funds.voucher_parts.release_reservation(claim, actor=actor, key="claim-void-release")
    transition(claim, "void", actor=actor, data={"reason": reason, "paid_out": paid_out})
    claim.updated_dt = now_utc()
    outbox.emit("claims.decided", claim_id=claim.id, stage=ClaimStatus.VOIDED.value,
                decision="reject")
    return claim


def _void_when_the_bank_answers(claim, batch, reason, actor):
    """The claim's batch is at the bank, which pays its file as it is: the void waits for
    the answer (:func:`settle_pending_void`), the claim and its money unmoved till then."""
    if claim.void_pending_reason is None:
        claim.void_pending_reason = reason
        claim.updated_dt = now_utc()
        audit.record(claim, "void_pending", actor=actor,
                     data={"reason": reason, "batch_id": batch.id})
        line_id = db.session.execute(select(DisbursementLine.id).where(
            DisbursementLine.claim_id == claim.id, DisbursementLine.batch_id == batch.id,
            DisbursementLine.status == LineStatus.INCLUDED)).scalar_one()
        outbox.emit("claims.changed_at_bank", batch_id=batch.id, line_id=line_id,
                    change=reason)
    return claim


def settle_pending_void(claim, actor=None):
    """The bank (or the treasury) answered for the claim's line: a void that waited for
    it is carried out now, from where the money ended (paid: the agency owes the voucher
    part back; not paid: it is clawed back and released)."""
    reason, claim.void_pending_reason = claim.void_pending_reason, None
    if reason is None:
        return claim
    return void_claim(claim, reason, actor=actor)


def record_refund_after_acceptance(order, outcome, actor=None):
    """A refund of the co-pay of an accepted order was booked (``outcome`` says from
    where): the co-pay's batch line shrinks by what left the agency's payable, what was
    already paid out is owed back, and the claim is voided."""
    reason = "co-pay refunded after acceptance"
    if outcome.from_payable:
        batch_lines.reduce_copay(order.id, outcome.from_payable, reason, actor=actor)
    if outcome.recovery_due:
        recovery = funds.recoveries.owe_copay(order.id, order.agency_id,
                                              outcome.recovery_due, actor=actor,
                                              reason=reason)
        outbox.emit("claims.recovery_owed", recovery_id=recovery.id)
    claim = db.session.execute(select(Claim).where(Claim.order_id == order.id)
                               ).scalar_one_or_none()
    if claim is not None:
        void_claim(claim, reason, actor=actor)
    else:
        audit.record(order, "copay_refunded_after_acceptance", actor=actor,
                     data={"from_payable_fen": outcome.from_payable,
                           "recovery_due_fen": outcome.recovery_due})
    return claim
