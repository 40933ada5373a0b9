"""Rewards for registering technology contracts (技术合同登记奖补)."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.incentives import labels, messages, tasks, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, messages, labels])
