"""What the books must state about orders' co-pays, checked by `flask ledger verify`
(registered with funds' ``invariant``; see marketplace/funds/invariants.py)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.funds import accounts
from marketplace.funds.copay import positions
from marketplace.funds.invariants import balances_by_owner, invariant
from marketplace.orders.models import TechContract


@invariant
def copays_add_up():
    """Per order: what its co-pay account holds is what came in less what was settled and
    refunded from it; no order received more than its co-pay; no agency was paid more of
    an order's co-pay than was settled to it."""
    problems = []
    copays = dict(db.session.execute(select(TechContract.order_id, TechContract.copay_fen)).all())
    held_accounts = balances_by_owner([accounts.COPAY_HELD])[accounts.COPAY_HELD]
    order_ids = list(set(copays) | set(held_accounts))
    for order_id, position in positions(order_ids).items():
        if held_accounts.get(order_id, 0) != position.held:
            problems.append(f"order {order_id} holds {held_accounts.get(order_id, 0)} fen of "
                            f"co-pay but received {position.received} less settled "
                            f"{position.settled} and refunded makes {position.held}")
        if position.received > copays.get(order_id, 0):
            problems.append(f"order {order_id} received {position.received} fen for a co-pay "
                            f"of {copays.get(order_id, 0)} fen")
        if position.payable < 0:
            problems.append(f"order {order_id}: {position.paid_out} fen of co-pay paid out "
                            f"but only {position.settled} fen settled less "
                            f"{position.refunded_from_payable} fen refunded")
    return problems
