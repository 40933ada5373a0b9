"""Orders, quotes, technology contracts, co-pay, delivery, acceptance and cancellation."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.integrity.invoices import register_source
    from marketplace.orders import (invoices, labels, ledger_facts, payment, scorecard, tasks,
                                    views)
    from marketplace.orders.models import Rating
    page_cache.watch(Rating)
    register_source(invoices.SOURCE)   # a delivery's invoice is used once
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, payment, scorecard, labels, ledger_facts])
