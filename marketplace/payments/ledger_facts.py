"""What the books must state about payments, checked by `flask ledger verify`
(registered with funds' ``invariant``; see marketplace/funds/invariants.py)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.funds.invariants import charges_booked, invariant
from marketplace.payments.models import PAID_STATUSES, Payment


@invariant
def every_charge_is_booked_once():
    """Every succeeded payment has exactly one receipt posting of its amount (to an
    order's co-pay or to the unallocated account), and no other payment has one; every
    refund the gateway confirmed is booked, no more."""
    receipts, refunds, problems = charges_booked()
    for payment_id, status, amount, refunded in db.session.execute(
            select(Payment.id, Payment.status, Payment.amount_fen, Payment.refunded_fen)):
        booked = receipts.pop(payment_id, [])
        if status in PAID_STATUSES:
            if booked != [amount]:
                problems.append(f"payment {payment_id} ({status.value}, {amount} fen) has "
                                f"receipts {booked}")
        elif booked:
            problems.append(f"payment {payment_id} is {status.value} but has receipts {booked}")
        if refunds.pop(payment_id, 0) != refunded:
            problems.append(f"payment {payment_id}: the gateway refunded {refunded} fen but "
                            "the books show otherwise")
    problems += [f"receipt for unknown payment {pid}" for pid in receipts]
    problems += [f"refund for unknown payment {pid}" for pid in refunds]
    return problems
