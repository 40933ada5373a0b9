"""What the accounts domain announces, for the domains above it to act on (blinker, as in
marketplace/orders/signals.py). Receivers run in the sender's transaction: they flush,
never commit, and leave later work to the outbox."""
from blinker import Namespace

_signals = Namespace()

organisation_changed = _signals.signal("organisation-changed", doc="""
An organisation's regulated facts changed: a new version replaced an earlier one (not
sent for its first). Sender: the ``Organisation``; ``version``: the new
``OrganisationVersion``. The claims domain checks the party's open claims again.
""")
