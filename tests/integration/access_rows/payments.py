"""Access-matrix rows of the payment gateway (see access_rows/__init__.py).

The webhook is open to everybody, signed in or not, and authenticated by its
``Stripe-Signature`` header alone: the matrix's empty POST carries none, so every role
gets 400 (tests/integration/payments/test_webhooks.py covers the signed ones). The
reconciliation pages are the bureau's; a supervisor may run one at once (the matrix's
world has no gateway to read: the run's localstripe answers, with nothing in it).
"""
from marketplace.payments import permissions as payment_perms
from tests.support.access import (ADMIN, AUDITOR, LOGIN, OTHERS, SUPERVISOR, VISITOR)

EXPECTED = {
    ("payments.webhook", "POST"):               {OTHERS: 400},
    ("reconciliation.runs", "GET"):             {VISITOR: LOGIN, AUDITOR: 200, SUPERVISOR: 200,
                                                 ADMIN: 200, OTHERS: 403},
    ("reconciliation.run_now", "POST"):         {VISITOR: LOGIN, SUPERVISOR: 302,
                                                 OTHERS: 403},
}
URL_VALUES = {}
BODIES = {}
PREDICATE_MODULES = (payment_perms,)
PREDICATE_TABLE = {
    ("can_view_reconciliation", None):          {AUDITOR, SUPERVISOR, ADMIN},
    ("can_run_reconciliation", None):           {SUPERVISOR},
}
PREDICATE_OBJECTS = {}


def needs(app, endpoint):
    return False


def build(world):
    pass
