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


@pytest.fixture(autouse=True)
def a_domain_takes_test_payments():
    """Payments of the subject "test" stand for a domain that takes the money it is paid
    (as orders take a co-pay): booked aside, not refunded as paying for nothing. Without
    a taker, the payments domain refunds a charge at once (tested in tests/integration/
    funds)."""
    from marketplace import funds

    def take(event):
        if event.payment.subject_type != "test":
            return False
        funds.copay.receive_unallocated(event.payment.id, event.payment.amount_fen)
        return True

    events.on_payment_event(events.SUCCEEDED)(take)
    yield
    events._subscribers[events.SUCCEEDED].remove(take)
