"""Users, roles, organisations (firms and agencies), districts, login and API tokens."""
import sys

from marketplace.core import page_cache, wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.accounts import admin_views, identity_views, labels, reference, views
    from marketplace.accounts.models import District, Organisation
    page_cache.watch(Organisation, District)
    wiring.register(app, sys.modules[__name__],
                    blueprints=[views.bp, admin_views.bp, identity_views.bp],
                    modules=[labels, reference])
