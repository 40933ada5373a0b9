"""Technology-contract turnover: the registry, imports, targets, dashboard and exports."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.turnover import (dashboard_views, exports, field_views, fields,
                                      import_views, public_views, registry_views, target_views,
                                      tasks)
    wiring.register(app, sys.modules[__name__],
                    blueprints=[registry_views.bp, import_views.bp, target_views.bp,
                                dashboard_views.bp, public_views.bp, field_views.bp],
                    modules=[tasks, exports, fields])
