"""The expert pool (专家库): its list and profiles as the bureau keeps them, applications to join, the yearly target of experts from outside the province, and each expert's yearly assessment."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.claims import signals as claim_signals
    from marketplace.experts import labels, messages, pool, tasks, views
    # asked while a claim's panel is drawn: the year's rule on experts from outside
    claim_signals.outside_expert_wanted.connect(pool.outside_expert_wanted)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[tasks, messages, labels, pool])
