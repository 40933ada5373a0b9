"""What the claims domain does when the orders domain announces something
(marketplace/orders/signals.py; connected by ``claims.init_app``). Each receiver runs in
the order's transaction: it flushes, never commits.

- an accepted order whose voucher paid part gets its redemption claim, submitted;
- a co-pay refund locks the order's open batches before the money moves (the order, then
  its batches, as paying a batch does), and after acceptance voids the claim (a rebate:
  domain.md, Rebates);
- the order page shows the claim to whoever may open it.
"""
from sqlalchemy import select

from marketplace.claims import batch_lines, voiding
from marketplace.claims.integrity_checks import pinned_rules
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.permissions import can_view_claim
from marketplace.core import audit, outbox
from marketplace.extensions import db
from marketplace.workdays import calendar as workdays


def create_claim_at_acceptance(order, *, actor, today):
    """The claim for the voucher part of an accepted contract (None without one)."""
    contract = order.contract
    if contract.voucher_part_fen <= 0:
        return None
    # the window of the rules the contract was signed under, as for the checks: a
    # change of the programme's rules after signing neither cuts nor stretches it
    rules = pinned_rules(contract)
    claim = Claim(order_id=order.id, contract_id=contract.id,
                  voucher_id=contract.voucher_id, firm_id=order.firm_id,
                  agency_id=order.agency_id, amount_fen=contract.voucher_part_fen,
                  status=ClaimStatus.SUBMITTED,
                  # the window is set in days; one ending on a holiday or a weekend
                  # runs on to the next working day (a make-up Saturday counts)
                  file_by=workdays.deadline_after(today, rules.claim_deadline_days))
    db.session.add(claim)
    db.session.flush()
    audit.record(claim, "create", actor=actor, after=ClaimStatus.SUBMITTED,
                 data={"order_id": order.id, "amount_fen": claim.amount_fen})
    outbox.emit("claims.submitted", claim_id=claim.id)
    return claim


def lock_batches_before_refund(order):
    batch_lines.lock_open_batches_of_order(order.id)


def void_claim_after_refund(order, *, outcome, actor):
    voiding.record_refund_after_acceptance(order, outcome, actor=actor)


def claim_of_order(order):
    return db.session.execute(select(Claim).where(Claim.order_id == order.id)) \
        .scalar_one_or_none()


def claim_on_order_page(order, *, user):
    claim = claim_of_order(order)
    return {"claim": claim, "claim_link": can_view_claim(user, claim)}


def connect(signals):
    """Subscribe to ``marketplace.orders.signals`` (called once per app; blinker keeps a
    receiver once however often it is connected)."""
    signals.order_accepted.connect(create_claim_at_acceptance)
    signals.copay_refund_arriving.connect(lock_batches_before_refund)
    signals.copay_refunded.connect(void_claim_after_refund)
    signals.order_page.connect(claim_on_order_page)
