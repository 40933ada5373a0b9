"""The site shell: home page, language switch, health probes and error pages."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.site import job_views, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp, job_views.bp])
