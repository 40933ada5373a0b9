"""A programme's budget use: budget, issued, reserved, spent, expired and what is left in
its pool. Which vouchers are a programme's is this domain's to say; what they hold and
spent is read from the ledger by funds (``funds.figures.voucher_money_columns``)."""
from sqlalchemy import func, select

from marketplace import funds
from marketplace.extensions import db
from marketplace.vouchers.models import Programme, Voucher


def programme_money_columns(programme_ids):
    """Scalar subqueries over the vouchers of ``programme_ids`` (a select of ids): reserved,
    spent, returned (expired or revoked) and the pools' balance, in fen; for statements
    that read a programme's figures with others in one go."""
    voucher_ids = select(Voucher.id).where(Voucher.programme_id.in_(programme_ids))
    return funds.figures.voucher_money_columns(voucher_ids, programme_ids)


def budget_figures(programme):
    """Budget, issued, reserved, spent, expired and available (not yet issued), in fen."""
    columns = programme_money_columns(select(Programme.id).where(Programme.id == programme.id))
    issued = select(func.coalesce(func.sum(Voucher.face_value_fen), 0)).where(
        Voucher.programme_id == programme.id).scalar_subquery()
    row = db.session.execute(select(issued.label("issued_fen"),
                                    *[v.label(k) for k, v in columns.items()])).one()
    figures = {"budget_fen": int(programme.budget_fen)}
    figures.update({key: int(getattr(row, key) or 0) for key in
                    ("issued_fen", "reserved_fen", "spent_fen", "expired_fen",
                     "available_fen")})
    return figures
