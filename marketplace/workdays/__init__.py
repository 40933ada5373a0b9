"""The working-day calendar (工作日历): public holidays and make-up working days (调休) as
data, and the deadlines counted in working days from it."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.workdays import services, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp], modules=[services])
