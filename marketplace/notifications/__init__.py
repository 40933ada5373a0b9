"""In-app inbox and e-mail. Everything is queued through the outbox and sent after commit."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.notifications import services, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp], modules=[services])
