"""The registry of technology-transfer service agencies and their offerings."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.agencies import labels, lifecycle, reference, review_views, tasks, views
    from marketplace.agencies.models import AgencyProfile, ServiceCategory
    page_cache.watch(AgencyProfile, ServiceCategory)
    wiring.register(app, sys.modules[__name__],
                    blueprints=[views.bp, review_views.bp],
                    modules=[lifecycle, tasks, labels, reference])
