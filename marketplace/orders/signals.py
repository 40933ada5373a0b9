"""What the orders domain announces, for the domains above it (turnover, claims) to act on.

Orders knows nothing of them: it sends, they subscribe from their ``init_app`` (blinker
signals, as indico's ``indico/core/signals``). A receiver runs in the sender's transaction,
so what the guarantee needs happens with the step or not at all (a signed platform
contract is always registered; an accepted voucher order always has its claim). It
flushes, never commits; anything merely to be done later goes through the outbox.
"""
from blinker import Namespace

_signals = Namespace()

contract_signed = _signals.signal("contract-signed", doc="""
A technology contract was signed. Sender: the ``TechContract``; ``actor``: who signed.
""")

contract_cancelled = _signals.signal("contract-cancelled", doc="""
A signed contract's order was cancelled. Sender: the ``TechContract``; ``actor``.
""")

order_accepted = _signals.signal("order-accepted", doc="""
The firm (or the auditor, mediating) accepted the delivery; the held co-pay is already
settled. Sender: the ``Order``; ``actor``, ``today``. A receiver may answer with what it
made of the acceptance (the claims domain: the redemption claim, when a voucher paid part),
which ``fulfilment.accept`` returns.
""")

copay_refund_arriving = _signals.signal("copay-refund-arriving", doc="""
A refund of the order's co-pay is about to be booked; the order row is locked. Sender: the
``Order``. Receivers lock what they will change after it (the lock order: the order, then
what hangs from it), before any money moves.
""")

copay_refunded = _signals.signal("copay-refunded", doc="""
A refund of an accepted order's co-pay was booked. Sender: the ``Order``; ``outcome``: the
``funds.copay.refund`` answer (where the money came from); ``actor``: the actor's id.
""")

registration_asked = _signals.signal("registration-asked", doc="""
The public verification page asks how a contract stands in the registry. Sender: the
``TechContract``. The turnover domain answers ``(state, field_code)``: state one of
registered, pending, not_registered, cancelled.
""")

order_page = _signals.signal("order-page", doc="""
The order page is being drawn. Sender: the ``Order``; ``user``: who is looking. A receiver
answers with a dict of template values it adds (the claims domain: the claim and whether
the user may open it).
""")
