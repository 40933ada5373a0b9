"""The offering catalogue: agencies' service offerings, Chinese full-text search,
moderation and scorecards."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.agencies import signals as agency_signals
    from marketplace.catalogue import (agency_events, category_admin_views,  # noqa: F401
                                       search_table, tasks, views)  # search_table: its hooks
    from marketplace.catalogue.models import AgencyScorecard, Offering
    agency_events.connect(agency_signals)   # scorecards at admission, renamed categories
    page_cache.watch(Offering, AgencyScorecard)
    wiring.register(app, sys.modules[__name__],
                    blueprints=[views.bp, category_admin_views.bp],
                    modules=[tasks, agency_events])
