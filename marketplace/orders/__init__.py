"""Orders, quotes, technology contracts, co-pay, delivery, acceptance and cancellation."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.orders import labels, payment, scorecard, tasks, views
    from marketplace.orders.models import Rating
    page_cache.watch(Rating)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, payment, scorecard, labels])
