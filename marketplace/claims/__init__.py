"""Redemption claims (兑付申请): the voucher part of an accepted order, checked and
reviewed before the bureau pays the agency."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.accounts import signals as account_signals
    from marketplace.claims import (checks, disbursement, experts, integrity_checks, labels,
                                    ledger_facts, order_events, rechecks, scorecard, sla,
                                    tasks, views)
    from marketplace.orders import signals as order_signals
    order_events.connect(order_signals)   # the claim at acceptance, voiding on a refund
    account_signals.organisation_changed.connect(rechecks.recheck_open_claims)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, checks, integrity_checks, experts, sla, disbursement,
                             order_events, rechecks, scorecard, labels, ledger_facts])
