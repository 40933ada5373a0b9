"""Fixtures of the payment tests."""
import pytest

from marketplace.payments import events


@pytest.fixture
def payment_events():
    """Every PaymentEvent the subscribers of ``payments.events`` get, in order."""
    seen = []

    def record(event):
        seen.append((event.type, event.payment.id, event.previous_status.value,
                     event.payment.status.value, event.stripe_event_id))

    for event_type in events.TYPES:
        events.on_payment_event(event_type)(record)
    yield seen
    for event_type in events.TYPES:
        events._subscribers[event_type].remove(record)
