"""How a lower domain speaks to the ones above it without importing them: it defines
blinker signals in its own ``signals.py`` and sends them with these; the upper domains
connect their receivers from their ``init_app``. Receivers run in the sender's
transaction, so what they write commits or rolls back with the event."""


def answers(signal, sender, **kwargs):
    """The receivers' answers that are not None, in the order they were connected."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs)
            if answer is not None]


def send_heard(signal, sender, **kwargs):
    """Send ``signal``, which some domain must hear: when a page tells the person a mail
    is on its way, no receiver (its domain not wired) must fail, not answer as if sent."""
    if not signal.receivers:
        raise RuntimeError(f"nobody hears {signal.name!r}: is the domain that answers it "
                           "wired (marketplace/domains.py)?")
    return signal.send(sender, **kwargs)
