"""Every ledger account of the platform, named in one place.

The ledger (marketplace/core/ledger.py) knows accounts only as codes and kinds; this
module is where the codes are spelt. Accounts are created on first use.

Who holds what (balances are what each bucket holds; a ``source`` account may go
negative, because it counts money that came in from outside):

| account | code | holds |
|---|---|---|
| programme funding | ``programme:<id>:funding`` | the bureau's appropriation (source) |
| programme pool | ``programme:<id>:pool`` | budget not issued as vouchers, or returned |
| voucher available | ``voucher:<id>:available`` | what the firm may still commit |
| voucher reserved | ``voucher:<id>:reserved`` | committed by signed contracts |
| co-pay held | ``order:<id>:copay_held`` | the firm's co-pay until acceptance |
| agency voucher payable | ``agency:<id>:payable`` | approved voucher parts not yet paid |
| agency co-pay payable | ``agency:<id>:copay_payable`` | accepted co-pays not yet paid out |
| agency paid | ``agency:<id>:paid`` | everything paid out to the agency |
| agency recoveries owed | ``agency:<id>:recoveries_owed`` | paid out, owed back |
| gateway | ``payments:copay_source`` | money in through the gateway (source) |
| gateway unallocated | ``payments:unallocated`` | charges that pay for nothing: refunded |
| gateway advances | ``payments:advances`` | co-pay refunded to firms after it was paid |
|  |  | out, until the agency repays it (source) |

A voucher's spent and expired figures are flows, not balances: what approvals took out
of its reserved account (less clawbacks), and what expiry or revocation returned to the
pool (``figures.voucher_balances``).
"""
from marketplace.core import ledger

# kinds (the ``kind`` column of ledger_accounts)
PROGRAMME_FUNDING = "programme_funding"
PROGRAMME_POOL = "programme_pool"
VOUCHER_AVAILABLE = "voucher_available"
VOUCHER_RESERVED = "voucher_reserved"
COPAY_HELD = "copay_held"
AGENCY_PAYABLE = "agency_payable"
AGENCY_COPAY_PAYABLE = "agency_copay_payable"
AGENCY_PAID = "agency_paid"
AGENCY_RECOVERIES = "agency_recoveries_owed"
GATEWAY = "copay_source"
GATEWAY_UNALLOCATED = "gateway_unallocated"
GATEWAY_ADVANCES = "gateway_advances"

GATEWAY_CODE = "payments:copay_source"
UNALLOCATED_CODE = "payments:unallocated"
ADVANCES_CODE = "payments:advances"


def programme_funding_code(programme_id):
    return f"programme:{programme_id}:funding"


def programme_pool_code(programme_id):
    return f"programme:{programme_id}:pool"


def voucher_available_code(voucher_id):
    return f"voucher:{voucher_id}:available"


def voucher_reserved_code(voucher_id):
    return f"voucher:{voucher_id}:reserved"


def copay_held_code(order_id):
    return f"order:{order_id}:copay_held"


def agency_payable_code(agency_id):
    return f"agency:{agency_id}:payable"


def agency_copay_payable_code(agency_id):
    return f"agency:{agency_id}:copay_payable"


def agency_paid_code(agency_id):
    return f"agency:{agency_id}:paid"


def agency_recoveries_code(agency_id):
    return f"agency:{agency_id}:recoveries_owed"


def programme_funding(programme_id):
    return ledger.account(programme_funding_code(programme_id), PROGRAMME_FUNDING,
                          owner_type="programme", owner_id=programme_id,
                          allow_negative=True)


def programme_pool(programme_id):
    return ledger.account(programme_pool_code(programme_id), PROGRAMME_POOL,
                          owner_type="programme", owner_id=programme_id)


def voucher_available(voucher_id):
    return ledger.account(voucher_available_code(voucher_id), VOUCHER_AVAILABLE,
                          owner_type="voucher", owner_id=voucher_id)


def voucher_reserved(voucher_id):
    return ledger.account(voucher_reserved_code(voucher_id), VOUCHER_RESERVED,
                          owner_type="voucher", owner_id=voucher_id)


def copay_held(order_id):
    return ledger.account(copay_held_code(order_id), COPAY_HELD, owner_type="order",
                          owner_id=order_id)


def agency_payable(agency_id):
    return ledger.account(agency_payable_code(agency_id), AGENCY_PAYABLE,
                          owner_type="agency", owner_id=agency_id)


def agency_copay_payable(agency_id):
    return ledger.account(agency_copay_payable_code(agency_id), AGENCY_COPAY_PAYABLE,
                          owner_type="agency", owner_id=agency_id)


def agency_paid(agency_id):
    return ledger.account(agency_paid_code(agency_id), AGENCY_PAID, owner_type="agency",
                          owner_id=agency_id)


def agency_recoveries(agency_id):
    return ledger.account(agency_recoveries_code(agency_id), AGENCY_RECOVERIES,
                          owner_type="agency", owner_id=agency_id)


def gateway():
    return ledger.account(GATEWAY_CODE, GATEWAY, allow_negative=True)


def gateway_unallocated():
    return ledger.account(UNALLOCATED_CODE, GATEWAY_UNALLOCATED)


def gateway_advances():
    return ledger.account(ADVANCES_CODE, GATEWAY_ADVANCES, allow_negative=True)
