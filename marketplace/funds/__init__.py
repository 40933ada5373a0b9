"""Money has one home: every ledger account, transaction kind and posting of the
platform is here (``accounts``, ``kinds``), behind verbs the other domains call:

- ``budget``: fund and defund a programme, issue a voucher, reserve and release for a
  contract, expire a voucher (released money on an inactive voucher returns to the pool);
- ``voucher_parts``: approve a claim, claw it back, disburse it, recover it after payout;
- ``copay``: receive a co-pay (or an unallocated charge), settle it at acceptance, pay it
  out, refund it from wherever it stands;
- ``recoveries``: what an agency owes back, and its collection;
- ``figures``: balances and budget figures (read-only);
- ``invariants``: what the books say, for the business facts `flask ledger verify`
  checks: each domain above states its own (its ``ledger_facts``) and registers it there.

Nothing outside this package posts to the ledger or spells an account code (the import
contract in ``.importlinter`` says so, and ``make test`` checks it). The lock order is the
voucher row, then its accounts; verbs that move a voucher's money lock it themselves.
"""
import sys

from marketplace.core import wiring
from marketplace.core.ledger import InsufficientBalance  # noqa: F401  (for callers)
from marketplace.core.ledger import invariant_names, violations  # noqa: F401  (ledger verify)
from marketplace.funds import (budget, copay, figures, kinds, models,  # noqa: F401
                               recoveries, voucher_parts)


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.funds import invariants
    wiring.register(app, sys.modules[__name__], modules=[invariants])
