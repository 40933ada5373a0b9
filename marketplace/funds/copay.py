"""The firm's co-pay: received through the gateway and held for the order, settled to
the agency's co-pay payable at acceptance, paid out to the agency in a disbursement batch;
or refunded through the gateway from wherever it stands at that moment.

A charge that pays for nothing (an order already paid by another charge, cancelled, or
unknown, or an amount that does not match) is received into the gateway's unallocated
account and refunded from there: the books show both movements, never a silent extra.

The co-pay has payables of its own (``agency:<id>:copay_payable``), so no voucher part can
ever be paid out of a firm's co-pay, or the other way round.
"""
from dataclasses import dataclass

from marketplace.core import ledger
from marketplace.funds import accounts, kinds


@dataclass(frozen=True)
class CopayPosition:
    """Where one order's co-pay stands now, in fen."""
    received: int = 0      # came in through the gateway for this order
    held: int = 0          # held for the order (before acceptance)
    settled: int = 0       # moved to the agency's co-pay payable at acceptance
    refunded: int = 0      # went back to the firm (from held or from the payable)
    paid_out: int = 0      # paid out to the agency
    recovery_due: int = 0  # refunded to the firm after it was paid out: owed back
    refunded_from_payable: int = 0

    @property
    def payable(self):
        """Settled to the agency and not yet paid out nor refunded."""
        return self.settled - self.paid_out - self.refunded_from_payable


def positions(order_ids):
    """``{order_id: CopayPosition}`` from the order's postings (one statement)."""
    result = {}
    for order_id, flows in ledger.flows_of("order", order_ids).items():
        def moved(kind, account_kind):
            return flows.get((kind, account_kind), 0)
        received = moved(kinds.COPAY_RECEIVED, accounts.COPAY_HELD)
        refunded_held = -moved(kinds.COPAY_REFUND, accounts.COPAY_HELD)
        settled = -moved(kinds.COPAY_SETTLE, accounts.COPAY_HELD)
        refunded_payable = -moved(kinds.COPAY_REFUND, accounts.AGENCY_COPAY_PAYABLE)
        recovery = moved(kinds.COPAY_RECOVERY_DUE, accounts.AGENCY_RECOVERIES)
        result[order_id] = CopayPosition(
            received=received, held=received - refunded_held - settled, settled=settled,
            refunded=refunded_held + refunded_payable + recovery,
            paid_out=-moved(kinds.COPAY_PAYOUT, accounts.AGENCY_COPAY_PAYABLE),
            recovery_due=recovery, refunded_from_payable=refunded_payable)
    return result


def position(order_id):
    return positions([order_id])[order_id]


def held_fen(order_id):
    found = ledger.find_account(accounts.copay_held_code(order_id))
    return ledger.balance(found) if found else 0


def receive(payment_id, order_id, amount_fen, *, actor=None, memo=None):
    """gateway → the order's co-pay held: the charge ``payment_id`` pays this co-pay."""
    return ledger.post(kinds.COPAY_RECEIVED, [(accounts.gateway(), -amount_fen),
                                               (accounts.copay_held(order_id), amount_fen)],
                       ref=("order", order_id), actor=actor, memo=_payment_memo(payment_id,
                                                                                memo),
                       idempotency_key=f"copay-received:payment:{payment_id}")


def receive_unallocated(payment_id, amount_fen, *, actor=None, memo=None):
    """gateway → unallocated: the charge ``payment_id`` pays for nothing and is to be
    refunded."""
    return ledger.transfer(kinds.UNALLOCATED_RECEIVED, accounts.gateway(),
                           accounts.gateway_unallocated(), amount_fen,
                           ref=("payment", payment_id), actor=actor,
                           memo=_payment_memo(payment_id, memo),
                           idempotency_key=f"unallocated-received:payment:{payment_id}")


def _payment_memo(payment_id, memo):
    return f"payment {payment_id}" + (f" ({memo})" if memo else "")


def settle(order_id, agency_id, *, actor=None):
    """Acceptance: whatever the order holds goes to the agency's co-pay payable, to be
    paid out in a disbursement batch. Returns the fen settled."""
    held = held_fen(order_id)
    if held > 0:
        ledger.transfer(kinds.COPAY_SETTLE, accounts.copay_held(order_id),
                        accounts.agency_copay_payable(agency_id), held,
                        ref=("order", order_id), actor=actor,
                        idempotency_key=f"copay-release:{order_id}")
    return held


def pay_out(order_id, agency_id, amount_fen, *, actor=None, key):
    """The agency's co-pay payable → paid: a co-pay line of a paid batch."""
    return ledger.transfer(kinds.COPAY_PAYOUT, accounts.agency_copay_payable(agency_id),
                           accounts.agency_paid(agency_id), amount_fen,
                           ref=("order", order_id), actor=actor, idempotency_key=key)


def paid_at_bank(order_id, agency_id, amount_fen, *, actor=None, key):
    """advances → the agency's recoveries owed: the bank paid ``amount_fen`` of a co-pay
    that had already gone back to the firm from the payable (``recoveries``' verb)."""
    return ledger.transfer(kinds.COPAY_PAID_AT_BANK, accounts.gateway_advances(),
                           accounts.agency_recoveries(agency_id), amount_fen,
                           ref=("order", order_id), actor=actor, idempotency_key=key)


@dataclass(frozen=True)
class RefundOutcome:
    from_held: int = 0          # taken from the order's held co-pay (before acceptance)
    from_payable: int = 0       # taken from the agency's unpaid co-pay payable
    recovery_due: int = 0       # already paid out: now owed back by the agency
    unallocated: int = 0        # a charge that paid for nothing, refunded

    @property
    def after_settlement(self):
        return self.from_payable + self.recovery_due


def is_allocated(payment_id):
    """Whether the charge ``payment_id`` was received as an order's co-pay."""
    return ledger.existing_transaction(f"copay-received:payment:{payment_id}") is not None


def is_received(payment_id):
    """Whether the charge ``payment_id`` has its receipt posting (co-pay or unallocated)."""
    return is_allocated(payment_id) or ledger.existing_transaction(
        f"unallocated-received:payment:{payment_id}") is not None


def refund(payment_id, order_id, agency_id, amount_fen, *, refunded_total, allocated,
           actor=None):
    """The gateway refunded ``amount_fen`` more of the charge ``payment_id`` (now
    ``refunded_total`` in all): take it from where the money stands now. An unallocated
    charge's refund leaves the unallocated account; an order's co-pay leaves what the
    order still holds, then the agency's unpaid co-pay payable, and what was already paid
    out becomes a recovery the agency owes (the platform advanced it to the firm). Booked
    once per refunded total, so the same news twice books nothing."""
    key = (f"{'copay' if allocated else 'unallocated'}-refund:payment:{payment_id}:"
           f"{refunded_total}")
    if not allocated:
        ledger.transfer(kinds.UNALLOCATED_REFUND, accounts.gateway_unallocated(),
                        accounts.gateway(), amount_fen, ref=("payment", payment_id),
                        actor=actor, idempotency_key=key)
        return RefundOutcome(unallocated=amount_fen)
    if ledger.existing_transaction(f"{key}:held") or ledger.existing_transaction(
            f"{key}:payable") or ledger.existing_transaction(f"{key}:recovery"):
        return RefundOutcome()   # this refund was booked already
    left = amount_fen
    now = position(order_id)
    from_held = min(left, now.held)
    if from_held:
        ledger.transfer(kinds.COPAY_REFUND, accounts.copay_held(order_id), accounts.gateway(),
                        from_held, ref=("order", order_id), actor=actor,
                        memo=_payment_memo(payment_id, None), idempotency_key=f"{key}:held")
        left -= from_held
    from_payable = min(left, max(now.payable, 0))
    if from_payable:
        ledger.transfer(kinds.COPAY_REFUND, accounts.agency_copay_payable(agency_id),
                        accounts.gateway(), from_payable, ref=("order", order_id),
                        actor=actor, memo=_payment_memo(payment_id, None),
                        idempotency_key=f"{key}:payable")
        left -= from_payable
    if left:
        ledger.post(kinds.COPAY_RECOVERY_DUE,
                    [(accounts.agency_paid(agency_id), -left),
                     (accounts.agency_recoveries(agency_id), left),
                     (accounts.gateway_advances(), -left), (accounts.gateway(), left)],
                    ref=("order", order_id), actor=actor,
                    memo=_payment_memo(payment_id, None), idempotency_key=f"{key}:recovery")
    return RefundOutcome(from_held=from_held, from_payable=from_payable, recovery_due=left)


def collect_recovery(recovery, amount_fen, *, actor=None, key):
    """Part or all of a co-pay recovery came back: it repays what the platform advanced."""
    return ledger.transfer(kinds.RECOVERY_COLLECTED,
                           accounts.agency_recoveries(recovery.agency_id),
                           accounts.gateway_advances(), amount_fen,
                           ref=("recovery", recovery.id), actor=actor, idempotency_key=key)
