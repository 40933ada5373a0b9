"""Science and technology commissioners (科技特派员)."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.commissioners import (labels, messages, monitoring, review_views, tasks,
                                           views)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp, review_views.bp],
                    modules=[tasks, monitoring, messages, labels])
