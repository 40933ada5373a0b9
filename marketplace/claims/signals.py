"""What the claims domain announces or asks, for the domains above it to answer (blinker, as
in marketplace/orders/signals.py; the experts domain subscribes in its ``init_app``).
Receivers run in the sender's transaction: they flush, never commit."""
from blinker import Namespace

_signals = Namespace()

outside_expert_wanted = _signals.signal("outside-expert-wanted", doc="""
A claim's expert panel is being drawn. Sender: the ``Claim``; ``year``: the year of the
draw. The experts domain answers True when that year's pool setting asks a panel for an
expert from outside the province (its yearly target of such experts).
""")


def anyone_answers_yes(signal, sender, **kwargs):
    """Whether any receiver answered a truthy value."""
    return any(answer for _receiver, answer in signal.send(sender, **kwargs))
