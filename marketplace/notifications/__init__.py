"""In-app inbox and e-mail. Everything is queued through the outbox and sent after commit."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.accounts import signals as account_signals
    from marketplace.notifications import account_events, services, views
    # in the accounts step's transaction: its mail is queued with it
    account_events.connect(account_signals)
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp],
                    modules=[services, account_events])
