"""The payment gateway: the only code that talks to Stripe (localstripe in development).

- ``gateway``: charge, retrieve, refund, verify_webhook over the official SDK;
- ``services``: Payment records kept in step with Stripe (pay, refresh, refund);
- ``events``: ``@on_payment_event(...)`` for the domains that care (orders);
- ``webhooks``: ``POST /payments/webhook``.
"""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.payments import (labels, ledger_facts, reconciliation,
                                      reconciliation_views, tasks, webhooks)
    wiring.register(app, sys.modules[__name__],
                    blueprints=[webhooks.bp, reconciliation_views.bp],
                    modules=[tasks, reconciliation, labels, ledger_facts])
