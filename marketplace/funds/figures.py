"""What the money adds up to, read from the ledger: a voucher's balances, the columns of
a programme's budget use (``vouchers.budget_use`` puts them together), an agency's
payables. Read-only."""
from sqlalchemy import case, func, select

from marketplace.core import ledger
from marketplace.core.ledger import LedgerAccount, LedgerPosting, LedgerTransaction
from marketplace.funds import accounts, kinds
from marketplace.funds.recoveries import outstanding_total

SPENT_OUT = (kinds.CLAIM_APPROVAL,)                      # reserved → an agency
SPENT_BACK = (kinds.CLAWBACK, kinds.RECOVERY_COLLECTED)  # back into reserved
RETURNED = (kinds.EXPIRY, kinds.REVOKE)                  # available → the pool


def voucher_flow():
    """The fen a posting on a voucher account adds to the voucher's spent + returned
    figures (money that left its two accounts for good, or came back): a CASE over
    LedgerTransaction.kind and LedgerPosting.amount_fen, to be summed."""
    return case(
        ((LedgerTransaction.kind.in_(SPENT_OUT + RETURNED)) & (LedgerPosting.amount_fen < 0),
         -LedgerPosting.amount_fen),
        ((LedgerTransaction.kind.in_(SPENT_BACK)) & (LedgerPosting.amount_fen > 0),
         -LedgerPosting.amount_fen),
        else_=0)


def _voucher_accounts(voucher_ids):
    return select(LedgerAccount.id).where(LedgerAccount.owner_type == "voucher",
                                          LedgerAccount.owner_id.in_(voucher_ids))


def _posted(account_ids, kind_list, positive):
    sign = LedgerPosting.amount_fen > 0 if positive else LedgerPosting.amount_fen < 0
    return (select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))
            .join(LedgerTransaction, LedgerPosting.transaction_id == LedgerTransaction.id)
            .where(LedgerPosting.account_id.in_(account_ids), sign,
                   LedgerTransaction.kind.in_(kind_list)).scalar_subquery())


def voucher_money_columns(voucher_ids, programme_ids):
    """Scalar subqueries, in fen: what the vouchers of ``voucher_ids`` hold reserved, have
    spent and returned (expired or revoked), and the balance of the pools of
    ``programme_ids`` (both selects of ids); for statements that read a programme's
    figures with others in one go (which vouchers are a programme's is the vouchers
    domain's to say: ``vouchers.budget_use``)."""
    account_ids = _voucher_accounts(voucher_ids)
    spent = -_posted(account_ids, SPENT_OUT, False) - _posted(account_ids, SPENT_BACK, True)
    return {
        "reserved_fen": select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)).where(
            LedgerAccount.id.in_(account_ids),
            LedgerAccount.kind == accounts.VOUCHER_RESERVED).scalar_subquery(),
        "spent_fen": spent,
        "expired_fen": -_posted(account_ids, RETURNED, False),
        "available_fen": select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)).where(
            LedgerAccount.owner_type == "programme",
            LedgerAccount.owner_id.in_(programme_ids),
            LedgerAccount.kind == accounts.PROGRAMME_POOL).scalar_subquery(),
    }


def voucher_balances(voucher):
    """available / reserved / spent / expired in fen (spent and expired are flows)."""
    available = ledger.find_account(accounts.voucher_available_code(voucher.id))
    reserved = ledger.find_account(accounts.voucher_reserved_code(voucher.id))
    spent = ledger.flow_total(reserved, list(SPENT_OUT)) - \
        ledger.flow_total(reserved, list(SPENT_BACK), direction=1)
    expired = ledger.flow_total(available, list(RETURNED))
    return {"face_value_fen": voucher.face_value_fen,
            "available_fen": int(available.balance_fen),
            "reserved_fen": int(reserved.balance_fen),
            "spent_fen": int(spent), "expired_fen": int(expired)}


def voucher_available_fen(voucher_id):
    found = ledger.find_account(accounts.voucher_available_code(voucher_id))
    return int(found.balance_fen) if found is not None else 0


def voucher_reserved_fen(voucher_id):
    found = ledger.find_account(accounts.voucher_reserved_code(voucher_id))
    return ledger.balance(found) if found is not None else 0


def voucher_history(voucher):
    found = [ledger.find_account(accounts.voucher_available_code(voucher.id)),
             ledger.find_account(accounts.voucher_reserved_code(voucher.id))]
    return ledger.history([a.id for a in found if a is not None])


def agency_figures(agency_id):
    """What the bureau owes the agency (voucher parts approved, co-pays accepted), what it
    has been paid, and what it owes back, in fen."""
    codes = {"payable_fen": accounts.agency_payable_code(agency_id),
             "copay_payable_fen": accounts.agency_copay_payable_code(agency_id),
             "paid_fen": accounts.agency_paid_code(agency_id)}
    found = ledger.load_accounts(codes.values())
    figures = {name: int(found[code].balance_fen) if code in found else 0
               for name, code in codes.items()}
    figures["recoveries_owed_fen"] = outstanding_total(agency_id)
    return figures
