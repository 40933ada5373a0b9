"""Integrity of the parties: the bureau's barred list (失信名单) and the certification lists
that give a firm its tier, and the checks of related parties and invoices. The comparison
keys are core's (core/normalise.py), the keyed hash of identity numbers is accounts'
(accounts/identity_numbers.py)."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py). Accounts, below, asks the lists
    its questions (a barred registration, a firm's certified tier) through the answers
    given here (accounts/bureau_lists.py)."""
    from marketplace.accounts import bureau_lists
    from marketplace.integrity import barred, certification, views
    bureau_lists.provide(bureau_lists.BureauLists(
        refuse_if_listed=barred.refuse_if_listed, hits=barred.hits,
        tier_on=certification.tier_on, confirm_certificate=certification.confirm_certificate))
    wiring.register(app, sys.modules[__name__], blueprints=[views.bp])
