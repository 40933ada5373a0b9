"""Voucher programmes, applications, vouchers and their budget."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace import funds
    from marketplace.vouchers import admin_views, labels, ledger_facts, lifecycle, tasks, views
    from marketplace.vouchers.models import Voucher
    funds.budget.register_voucher_model(Voucher)   # funds locks its rows, from below
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp, admin_views.bp],
                    modules=[lifecycle, tasks, labels, ledger_facts])
