"""Issue 10, scenario 2: one contract signature through the API issues a bounded number
of SQL statements. Counted with SQLAlchemy's ``before_cursor_execute`` over the request
(the token's user load and the idempotency key included, the outbox consumers that the
tests would run in-process after the commit left out), after a first request has warmed the
caches. It was 34 before issue 10's round on signing; a regression shows here."""
import os

from sqlalchemy import event

from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.orders.models import OrderStatus
from tests.factories import make_quoted_order
from tests.integration.orders.order_world import (agency_member, committed,  # noqa: F401
                                                  firm_member, offering, quoted, reload,
                                                  voucher)
from tests.integration.orders.test_order_api import token_for
from tests.integration.test_api_base import PREFIX

# The 22 statements of a signature paying half with a voucher (POST /api/v1/orders/<id>/contract):
#  1 the API token with its user (auth)            2 INSERT the idempotency key (claim)
#  3 UPDATE the token's last_used_dt (auth)        -- COMMIT (the claim stands alone)
#  4 the order with firm, agency, offering and quotes, FOR UPDATE OF orders
#  5 the voucher named in the body, for the token's user (404 when missing or another
#    firm's: issue 18, item 8)
#  6 the integrity list: both parties and the people of the versions the contract pins
#  7 the voucher with programme and rules, FOR UPDATE OF vouchers
#  8 both voucher ledger accounts (available balance for the split; kept for reserve)
#  9 the firm's certificates valid on the signing day (its tier decides the share)
# 10 INSERT the contract                          11 the ledger idempotency key look-up
# 12 UPDATE available (conditional: no overspend) 13 UPDATE reserved
# 14 INSERT the ledger transaction                15 INSERT its two postings
# 16 UPDATE the order (status and updated_dt)
# 17 INSERT the turnover registration ... ON CONFLICT DO NOTHING RETURNING (a live
#    original of the number already there: refused)
# 18 INSERT the outbox message
# 19 the audit chain's advisory lock              20 the chain's last hash
# 21 INSERT the audit records (one statement)     -- COMMIT
# 22 UPDATE the idempotency key with the answer   -- COMMIT
MAX_STATEMENTS = 22


def _statements(client, order_id, headers, body):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.post(f"{PREFIX}/orders/{order_id}/contract", headers=headers,
                               json=body)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return statements


def test_a_signature_issues_a_bounded_number_of_statements(client, offering, quoted,
                                                           firm_member, voucher,
                                                           monkeypatch):
    from marketplace.core.tasks import process_outbox_message
    # The tests run the outbox's consumers in-process after the commit; in production a
    # worker does, so they are not the request's statements.
    monkeypatch.setattr(process_outbox_message, "delay", lambda *args, **kwargs: None)
    warm = committed(make_quoted_order(offering, firm_member, contract_amount_fen=100_000_00))
    _statements(client, warm.id, token_for(firm_member, "warm"), {"voucher_id": voucher.id})
    statements = _statements(client, quoted.id, token_for(firm_member, "counted"),
                             {"voucher_id": voucher.id})
    if os.environ.get("SHOW_STATEMENTS"):
        with open(os.environ["SHOW_STATEMENTS"], "w") as out:
            out.write("\n".join(f"{i + 1:2d} {s}" for i, s in enumerate(statements)))
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s[:120] for s in statements)
    assert reload(quoted).status == OrderStatus.CONTRACTED
    assert ledger.violations() == []
