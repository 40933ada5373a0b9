"""Access-matrix rows of the payment gateway (see access_rows/__init__.py).

The webhook is open to everybody, signed in or not, and authenticated by its
``Stripe-Signature`` header alone: the matrix's empty POST carries none, so every role
gets 400 (tests/integration/payments/test_webhooks.py covers the signed ones).
"""
from tests.support.access import OTHERS

EXPECTED = {
    ("payments.webhook", "POST"):               {OTHERS: 400},
}
URL_VALUES = {}
BODIES = {}
PREDICATE_MODULES = ()
PREDICATE_TABLE = {}
PREDICATE_OBJECTS = {}


def needs(app, endpoint):
    return False


def build(world):
    pass
