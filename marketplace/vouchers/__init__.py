"""Voucher programmes, applications, vouchers and their budget."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.vouchers import admin_views, labels, lifecycle, tasks, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp, admin_views.bp],
                    modules=[lifecycle, tasks, labels])
