"""Redemption claims (兑付申请): the voucher part of an accepted order, checked and
reviewed before the bureau pays the agency."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.claims import (checks, disbursement, experts, integrity_checks, labels,
                                    sla, tasks, views)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, checks, integrity_checks, experts, sla, disbursement,
                             labels])
