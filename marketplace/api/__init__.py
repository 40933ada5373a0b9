"""The JSON API under /api/v1: bearer tokens, one error format, an OpenAPI document
generated from the operations' own declarations."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.api import (bank_results, calendar, catalogue, claims, commissioners, contracts,
                                 documents, exchange, identity, orders, pool_and_rewards, stats,
                                 views, vouchers)
    # each module adds its operations to the blueprint, so they come before it is registered
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[vouchers, orders, catalogue, claims, exchange, contracts, stats,
                             commissioners, pool_and_rewards, documents, calendar, identity,
                             bank_results])
