"""What the agencies domain announces, for the catalogue above it to act on (blinker, as in
marketplace/orders/signals.py; the catalogue subscribes in its ``init_app``). Receivers run
in the sender's transaction: they flush, never commit, and leave later work to the outbox.
"""
from blinker import Namespace

_signals = Namespace()

agency_admitted = _signals.signal("agency-admitted", doc="""
An agency was admitted to the registry at the end of its public notice. Sender: the
``AgencyProfile``. The catalogue gives it its scorecard, so the agency page and the
catalogue's sorting find one from the start.
""")

category_renamed = _signals.signal("category-renamed", doc="""
A service category's Chinese or English name changed. Sender: the ``ServiceCategory``.
Category names are part of what the catalogue search finds: the catalogue indexes its
offerings again.
""")
