"""Ledger accounts of the order flow: the firms' co-pay held by the platform until
acceptance, and what the platform owes each agency."""
from marketplace.core import ledger
from marketplace.core.ledger import AccountKind

COPAY_RECEIVED, COPAY_RELEASE, COPAY_REFUND = ("copay_received", "copay_release",
                                               "copay_refund")
COPAY_SOURCE_CODE = "payments:copay_source"


def copay_source_account():
    """Money that came in through the gateway (goes negative as firms pay)."""
    return ledger.account(COPAY_SOURCE_CODE, AccountKind.COPAY_SOURCE, allow_negative=True)


def copay_held_account(order_id):
    return ledger.account(f"order:{order_id}:copay_held", AccountKind.COPAY_HELD,
                          owner_type="order", owner_id=order_id)


def agency_payable_account(agency_id):
    return ledger.account(f"agency:{agency_id}:payable", AccountKind.AGENCY_PAYABLE,
                          owner_type="agency", owner_id=agency_id)
