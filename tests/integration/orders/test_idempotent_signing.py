"""Issue 18, found item 5: ten copies of one contract signature sent at once with one
Idempotency-Key sign once, whatever the answer. Through the real app served by a
threaded server on PostgreSQL, raced ROUNDS times: a signature refused with 409 (the
voucher is empty) ran 1 to 3 times before, because the refusal rolled the claimed key back
and a waiting copy took it; a signature that succeeds makes one contract."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import TechContract
from tests.factories import make_quoted_order
from tests.integration.orders.order_world import (committed, firm_member,  # noqa: F401
                                                  offering, agency_member, voucher)
from tests.integration.orders.test_order_api import token_for
from tests.integration.test_api_base import PREFIX
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.postgres

ROUNDS, COPIES = 20, 10


@pytest.fixture
def signatures(monkeypatch):
    """How many times the signing service ran (refused runs included: a refusal leaves
    nothing in the database to count)."""
    calls = []
    lock = threading.Lock()
    sign = services.sign_contract

    def counted(*args, **kwargs):
        with lock:
            calls.append(kwargs.get("voucher_id"))
        return sign(*args, **kwargs)

    monkeypatch.setattr(services, "sign_contract", counted)
    return calls


def _copies(url, order_id, headers, body):
    session = requests.Session()
    session.trust_env = False
    start = threading.Barrier(COPIES)

    def one(_):
        start.wait()
        response = session.post(f"{url}{PREFIX}/orders/{order_id}/contract", json=body,
                                headers=headers, timeout=60)
        return response.status_code, response.text, response.headers.get(
            "Idempotent-Replayed")

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        return list(pool.map(one, range(COPIES)))


def _race(app, firm_member, orders, body, signatures):
    answers_by_round = []
    with LiveServer(app) as live:
        for round_, order in enumerate(orders):
            signatures.clear()
            answers = _copies(live.url, order.id, token_for(firm_member, f"sign-{round_}"),
                              body)
            assert len(signatures) == 1, f"round {round_}: signed {len(signatures)} times"
            assert len({(status, text) for status, text, _ in answers}) == 1, answers
            assert sorted(str(r) for _, _, r in answers) == ["None"] + ["true"] * 9
            answers_by_round.append(answers[0][0])
    return answers_by_round


def test_ten_copies_of_a_refused_signature_are_refused_once_each_round(
        app, offering, firm_member, voucher, signatures):
    services.sign_contract(make_quoted_order(offering, firm_member,
                                             contract_amount_fen=400_000_00),
                           firm_member, voucher_id=voucher.id)   # the voucher is empty now
    orders = committed([make_quoted_order(offering, firm_member) for _ in range(ROUNDS)])
    statuses = _race(app, firm_member, orders, {"voucher_id": voucher.id}, signatures)
    assert statuses == [409] * ROUNDS
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TechContract)) == 1


def test_ten_copies_of_a_signature_sign_once_each_round(app, offering, firm_member,
                                                       signatures):
    orders = committed([make_quoted_order(offering, firm_member) for _ in range(ROUNDS)])
    statuses = _race(app, firm_member, orders, {"voucher_id": None}, signatures)
    assert statuses == [200] * ROUNDS
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TechContract)) == ROUNDS
    signed = db.session.scalars(select(AuditRecord.object_id).where(
        AuditRecord.object_type == "Order", AuditRecord.action == "sign")).all()
    assert sorted(map(int, signed)) == sorted(order.id for order in orders)
