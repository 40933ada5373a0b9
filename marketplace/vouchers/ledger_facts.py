"""What the books must state about programmes and vouchers, checked by `flask ledger
verify` (registered with funds' ``invariant``; see marketplace/funds/invariants.py)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.funds.invariants import invariant, voucher_books
from marketplace.vouchers.budget_use import budget_figures
from marketplace.vouchers.models import Programme, Voucher, VoucherStatus


@invariant
def programmes_never_over_issued():
    """Pool + issued − returned = budget, for every programme; never over-issued."""
    problems = []
    for programme in db.session.execute(select(Programme)).scalars():
        money = budget_figures(programme)
        issued, returned = money["issued_fen"], money["expired_fen"]
        if money["available_fen"] + issued - returned != money["budget_fen"]:
            problems.append(
                f"programme {programme.id}: pool {money['available_fen']} + issued {issued}"
                f" - returned {returned} != budget {money['budget_fen']}")
        if issued - returned > money["budget_fen"]:
            problems.append(f"programme {programme.id} is over-issued")
    return problems


@invariant
def vouchers_add_up():
    """available + reserved + spent + expired = face value for every voucher, and an
    expired or revoked voucher holds nothing it could still spend."""
    books = voucher_books()
    problems = []
    for voucher_id, face_value, status in db.session.execute(
            select(Voucher.id, Voucher.face_value_fen, Voucher.status)):
        if voucher_id not in books:
            problems.append(f"voucher {voucher_id} has no ledger accounts")
            continue
        total, available = books[voucher_id]
        if total != face_value:
            problems.append(f"voucher {voucher_id}: available + reserved + spent + expired "
                            f"= {total} != face value {face_value}")
        if status != VoucherStatus.ACTIVE and available:
            problems.append(f"{status.value} voucher {voucher_id} still holds "
                            f"{available} fen available")
    return problems
