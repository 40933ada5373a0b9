"""Telling other domains that a payment changed: ``@on_payment_event(type)``.

Subscribers are called once per change of a Payment, in the transaction that made it,
whether the change came from the synchronous answer of the gateway (``services.pay``,
``services.refresh``, ``services.refund``) or from a webhook. Replayed and out-of-order
webhooks change nothing and so call nobody. Types follow Stripe's event names:

- ``payment_intent.succeeded``: the money came in;
- ``payment_intent.payment_failed``: the card was declined or not confirmed;
- ``payment_intent.requires_action``: the card holder must confirm (3-D Secure);
- ``charge.refunded``: some or all of it went back (``payment.refunded_fen`` says how
  much in total).

A subscriber flushes and never commits, like any service. Raising a DomainError refuses
the change: the synchronous caller gets the error; a webhook keeps the event with the
error (for a person to look at) and leaves the payment as it was.

Money that came in must be booked somewhere: a subscriber of ``payment_intent.succeeded``
returns True when it took the charge (an order's co-pay, say); when none does, the
payments domain books the charge as unallocated and refunds it (and books that refund
itself). A subscriber of ``charge.refunded`` gets the amount newly refunded
(``refunded_delta_fen``) and books it if it took the charge.

Declare subscribers in a module the subscribing domain's ``init_app`` loads: a webhook can
arrive in a fresh process before any page has imported them.
"""
from dataclasses import dataclass

SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"
REQUIRES_ACTION = "payment_intent.requires_action"
REFUNDED = "charge.refunded"
TYPES = (SUCCEEDED, FAILED, REQUIRES_ACTION, REFUNDED)

_subscribers = {}


@dataclass(frozen=True)
class PaymentEvent:
    type: str
    payment: object              # the Payment, already changed
    previous_status: object      # its PaymentStatus before
    stripe_event_id: str | None  # None when the change came from the gateway's answer
    actor_id: int | None = None
    refunded_delta_fen: int = 0  # charge.refunded: what this news refunded


def on_payment_event(event_type):
    """Decorate ``def handler(event: PaymentEvent)``; several may subscribe to a type."""
    if event_type not in TYPES:
        raise ValueError(f"unknown payment event type {event_type!r}; one of {TYPES}")

    def register(func):
        _subscribers.setdefault(event_type, []).append(func)
        return func
    return register


def emit(event):
    """Call every subscriber of the event's type; returns their answers."""
    return [subscriber(event) for subscriber in _subscribers.get(event.type, ())]


def subscribers(event_type):
    return tuple(_subscribers.get(event_type, ()))
