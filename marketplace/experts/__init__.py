"""The expert pool as it grows: applications to join, the yearly target of experts from outside the province, and each expert's yearly assessment."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.experts import labels, messages, tasks, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, messages, labels])
