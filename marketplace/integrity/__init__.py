"""Integrity of the parties: comparison keys as an investigator writes them, the keyed
hash of identity numbers, the bureau's barred list (失信名单) and the certification lists
that give a firm its tier."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.integrity import views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp])
