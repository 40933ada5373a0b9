"""The technology exchange (科技成果转移转化平台): results on offer, firms' demands, matching
that works for Chinese, technology brokers and the deals they broker."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.exchange import labels, stats, tasks, views
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, stats, labels])
