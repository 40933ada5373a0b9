"""A co-pay refunded outside the platform's own cancellation (the agency rebating the
firm through the gateway after acceptance) voids the order's claim: the voucher may not
pay for a contract whose co-pay went back (domain.md, Rebates)."""
from sqlalchemy import func, select

from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.services import lock_claim
from marketplace.core import audit, ledger, outbox
from marketplace.core.ledger import LedgerPosting, LedgerTransaction
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.orders import accounts
from marketplace.vouchers import lifecycle as voucher_lifecycle
from marketplace.vouchers import services as vouchers

UNVOIDABLE = (ClaimStatus.DISBURSED, ClaimStatus.REJECTED, ClaimStatus.VOIDED)


def _rebated_so_far(order):
    payable = accounts.agency_payable_account(order.agency_id)
    return -int(db.session.execute(
        select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.kind == accounts.COPAY_REFUND,
               LedgerTransaction.ref_type == "order", LedgerTransaction.ref_id == order.id,
               LedgerPosting.account_id == payable.id)).scalar_one())


def record_refund_after_acceptance(order, refunded_total_fen, actor=None):
    """The refunded co-pay leaves the agency's payable (it went back to the firm), and
    the claim, if any, is voided. Refund totals only grow; each news moves the rest."""
    rest = refunded_total_fen - _rebated_so_far(order)
    if rest > 0:
        ledger.transfer(accounts.COPAY_REFUND,
                        accounts.agency_payable_account(order.agency_id),
                        accounts.copay_source_account(), rest, ref=("order", order.id),
                        actor=actor,
                        idempotency_key=f"copay-rebate:{order.id}:{refunded_total_fen}")
    claim = db.session.execute(select(Claim).where(Claim.order_id == order.id)
                               ).scalar_one_or_none()
    if claim is not None:
        void_claim(claim, "co-pay refunded after acceptance", actor=actor)
    return claim


def void_claim(claim, reason, actor=None):
    claim = lock_claim(claim.id)
    if claim.status in UNVOIDABLE:
        # paid out already (or closed): the bureau has to recover it by hand
        audit.record(claim, "refund_after_close", actor=actor, data={"reason": reason})
        return claim
    voucher = voucher_lifecycle.lock_voucher(claim.contract.voucher_id)  # before its accounts
    if claim.status == ClaimStatus.APPROVED:
        ledger.transfer(vouchers.CLAWBACK, accounts.agency_payable_account(claim.agency_id),
                        vouchers.voucher_reserved_account(voucher), claim.amount_fen,
                        ref=("claim", claim.id), actor=actor,
                        idempotency_key=f"claim-clawback:{claim.id}")
    transition(claim, "void", actor=actor, data={"reason": reason})
    claim.updated_dt = now_utc()
    voucher_lifecycle.release(voucher, claim.amount_fen, ref=("claim", claim.id), actor=actor,
                              idempotency_key=f"claim-void-release:{claim.id}")
    outbox.emit("claims.decided", claim_id=claim.id, stage=ClaimStatus.VOIDED.value,
                decision="reject")
    return claim
