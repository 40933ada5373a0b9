"""The offering catalogue: agencies' service offerings, Chinese full-text search,
moderation and scorecards."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.catalogue import search_table, tasks, views  # noqa: F401  its hooks
    from marketplace.catalogue.models import AgencyScorecard, Offering
    page_cache.watch(Offering, AgencyScorecard)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp], modules=[tasks])
