"""Issue 10, scenario 2: one contract signature through the API issues a bounded number
of SQL statements. Counted with SQLAlchemy's ``before_cursor_execute`` over the request
(the token's user load and the idempotency key included, the outbox consumers that the
tests would run in-process after the commit left out), after a first request has warmed the
caches. It was 34 before issue 10's round on signing, 22 before issue 23's, 19 before
the ledger posting became three statements (issue 23); a regression shows here, and so
does a statement SQLAlchemy compiles again on every request."""
import os

from marketplace.core import ledger
from marketplace.orders.models import OrderStatus
from tests.factories import make_quoted_order
from tests.integration.orders.order_world import (agency_member, committed,  # noqa: F401
                                                  firm_member, offering, quoted, reload,
                                                  voucher)
from tests.integration.orders.test_order_api import token_for
from tests.integration.test_api_base import PREFIX
from tests.support.statements import statements_sent

# The 17 statements of a signature paying half with a voucher (POST /api/v1/orders/<id>/contract):
#  1 the API token with its user, its use recorded in the same statement (a data-modifying
#    CTE; none when the process remembers the token: token_cache)
#  2 INSERT the idempotency key (claim)            -- COMMIT (the claim stands alone)
#  3 the order with firm, agency, offering and quotes, FOR UPDATE OF orders
#  4 the integrity list: both parties and the people of the versions the contract pins
#  5 the voucher with programme and rules, FOR UPDATE OF vouchers, only if it is the
#    order's firm's (404 naming voucher_id otherwise, unlocked: issue 18, item 8)
#  6 both voucher ledger accounts (available balance for the split; kept for reserve)
#  7 the firm's certificates valid on the signing day (its tier decides the share)
#  8 INSERT the contract
#  9 INSERT the ledger transaction ... ON CONFLICT (idempotency_key) DO NOTHING with its
#    two postings (one data-modifying CTE: the key's look-up, the transaction and the
#    postings were three statements until issue 23; a replay moves nothing)
# 10 UPDATE available (conditional: no overspend) 11 UPDATE reserved
# 12 UPDATE the order (status and updated_dt)
# 13 INSERT the turnover registration ... ON CONFLICT DO NOTHING RETURNING (a live
#    original of the number already there: refused)
# 14 INSERT the outbox message
# 15 INSERT the audit records with the writer's xid (one statement)
# 16 INSERT the outbox message asking for a seal (the tests ask after every commit;
#    production at most every AUDIT_SEAL_ASK_SECONDS per process)   -- COMMIT
# 17 UPDATE the idempotency key with the answer   -- COMMIT
# None of them is compiled again per request (SQLAlchemy cannot cache its PostgreSQL
# ON CONFLICT insert: those two are text, made once; see core/rows.py and core/ledger.py).
MAX_STATEMENTS = 17


def _statements(client, order_id, headers, body, compiled=None):
    with statements_sent() as (statements, recompiled):
        response = client.post(f"{PREFIX}/orders/{order_id}/contract", headers=headers,
                               json=body)
    if compiled is not None:
        compiled.extend(recompiled)
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
    compiled = []
    statements = _statements(client, quoted.id, token_for(firm_member, "counted"),
                             {"voucher_id": voucher.id}, compiled)
    if os.environ.get("SHOW_STATEMENTS"):
        with open(os.environ["SHOW_STATEMENTS"], "w") as out:
            out.write("\n".join(f"{i + 1:2d} {s}" for i, s in enumerate(statements)))
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s[:120] for s in statements)
    assert compiled == []
    assert reload(quoted).status == OrderStatus.CONTRACTED
    assert ledger.violations() == []
