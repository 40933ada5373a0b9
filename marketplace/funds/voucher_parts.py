"""The voucher part of a claim: approved (the bureau owes it to the agency), clawed back
(the claim voided before it was paid), paid out in a disbursement batch, and recovered
(voided after it was paid: the agency owes it back; once collected it returns to the
voucher, or to the pool when the voucher is no longer active).

Each verb is idempotent per claim: its ledger key names the claim, so a task that runs
again posts nothing twice."""
from marketplace.core import ledger
from marketplace.funds import accounts, kinds
from marketplace.funds.budget import lock_voucher, release


def approve(claim, *, actor=None):
    """reserved → the agency's voucher payable."""
    lock_voucher(claim.voucher_id)   # the voucher before its accounts, as a signature does
    return ledger.transfer(kinds.CLAIM_APPROVAL, accounts.voucher_reserved(claim.voucher_id),
                           accounts.agency_payable(claim.agency_id), claim.amount_fen,
                           ref=("claim", claim.id), actor=actor,
                           idempotency_key=f"claim-approval:{claim.id}")


def release_reservation(claim, *, actor=None, key):
    """reserved → available (or on to the pool): a claim rejected or voided before its
    approval gave the money to the agency."""
    return release(claim.voucher_id, claim.amount_fen, ref=("claim", claim.id), actor=actor,
                   idempotency_key=f"{key}:{claim.id}")


def claw_back(claim, *, actor=None):
    """An approved claim voided before it was paid: the agency's voucher payable goes back
    to the reservation, which is then released."""
    lock_voucher(claim.voucher_id)
    ledger.transfer(kinds.CLAWBACK, accounts.agency_payable(claim.agency_id),
                    accounts.voucher_reserved(claim.voucher_id), claim.amount_fen,
                    ref=("claim", claim.id), actor=actor,
                    idempotency_key=f"claim-clawback:{claim.id}")
    return release_reservation(claim, actor=actor, key="claim-void-release")


def disburse(claim, *, actor=None):
    """The agency's voucher payable → paid: the treasury paid the claim."""
    return ledger.transfer(kinds.DISBURSEMENT, accounts.agency_payable(claim.agency_id),
                           accounts.agency_paid(claim.agency_id), claim.amount_fen,
                           ref=("claim", claim.id), actor=actor,
                           idempotency_key=f"claim-disbursement:{claim.id}")


def recovery_due(claim, *, actor=None):
    """A claim voided after it was paid out: what was paid is owed back by the agency
    (never paid a second time, never forgotten)."""
    return ledger.transfer(kinds.CLAIM_RECOVERY_DUE, accounts.agency_paid(claim.agency_id),
                           accounts.agency_recoveries(claim.agency_id), claim.amount_fen,
                           ref=("claim", claim.id), actor=actor,
                           idempotency_key=f"claim-recovery-due:{claim.id}")


def collect_recovery(recovery, amount_fen, *, actor=None, key):
    """Part or all of a voucher part's recovery came back (netted from a payout or
    repaid): it returns to the reservation it was spent from, and is released there."""
    lock_voucher(recovery.voucher_id)
    ledger.transfer(kinds.RECOVERY_COLLECTED, accounts.agency_recoveries(recovery.agency_id),
                    accounts.voucher_reserved(recovery.voucher_id), amount_fen,
                    ref=("recovery", recovery.id), actor=actor, idempotency_key=key)
    return release(recovery.voucher_id, amount_fen, ref=("recovery", recovery.id),
                   actor=actor, idempotency_key=f"{key}:release")
