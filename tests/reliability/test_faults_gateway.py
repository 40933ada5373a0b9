"""Faults of the database and the payment gateway, against the real services: a
PostgreSQL connection terminated in the middle of a request (pg_terminate_backend), and
a private localstripe that is down, or hangs, while a firm pays its co-pay.

(A webhook delivered five times with a late failure is
tests/integration/payments/test_webhooks.py; here the same happens to a real order's
co-pay, with its ledger posting.)
"""
import signal
import threading
import time

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

from marketplace import funds
from marketplace.core.idempotency import IdempotencyKey
from marketplace.core.ledger import LedgerTransaction
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus, TechContract
from marketplace.payments.errors import GatewayUnavailable
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Voucher
from tests.factories import (FirmMemberFactory, make_programme, make_quoted_order,
                             make_voucher)
from tests.reliability.world import plaintext_token
from tests.support import services as procs
from tests.support.stripe import VISA, event, intent_object, post_event

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]

CONTRACT_FEN = 20_000_00


def _count(model, *where):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*where)
                              ).scalar_one()


def _post(client, token, path, body, key):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}",
                                                 "Idempotency-Key": key})


def quoted_order():
    member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=CONTRACT_FEN, firm_member=member)
    order = make_quoted_order(None, member, contract_amount_fen=CONTRACT_FEN)
    token = plaintext_token(member)
    db.session.commit()
    return order.id, voucher.id, token


def contracted_order():
    order_id, voucher_id, token = quoted_order()
    order = db.session.get(Order, order_id)
    orders.sign_contract(order, order.firm.members[0], voucher_id=voucher_id)
    db.session.commit()
    return order_id, token


# --- PostgreSQL ---------------------------------------------------------------------------

def _waiting_backends():
    """Backends of this test database (only) waiting for a lock, but for this session's."""
    db.session.rollback()
    return db.session.execute(text(
        "SELECT DISTINCT a.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.datname = current_database() "
        "AND a.pid <> pg_backend_pid()")).scalars().all()


def test_a_request_whose_connection_is_terminated_leaves_nothing_and_the_retry_succeeds(
        app, client):
    order_id, voucher_id, token = quoted_order()
    path, body = f"/api/v1/orders/{order_id}/contract", {"voucher_id": voucher_id}
    holder = db.engine.connect()    # holds the voucher row: the request waits mid-way
    holding = holder.begin()
    answers = []
    try:
        holder.execute(select(Voucher.id).where(Voucher.id == voucher_id).with_for_update())
        request = threading.Thread(target=lambda: answers.append(
            _post(client, token, path, body, "sign-once")))
        request.start()
        deadline = time.monotonic() + 20
        while not (victims := _waiting_backends()):
            assert time.monotonic() < deadline, "the request never reached the voucher"
            time.sleep(0.05)
        # the request holds its order row lock in a transaction, its key claimed (running)
        [victim] = victims
        assert db.session.execute(text(
            "SELECT datname = current_database() FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": victim}).scalar_one()
        assert db.session.execute(text("SELECT pg_terminate_backend(:pid)"),
                                  {"pid": victim}).scalar_one()
        db.session.rollback()
        request.join(timeout=30)
    finally:
        holding.rollback()
        holder.close()
    [answer] = answers
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    error = answer.get_json()["error"]
    assert error["code"] == "temporarily_unavailable"
    assert error["message"] == in_chinese(
        "The service was briefly interrupted and nothing was saved. Please try again.")
    # no half-state: the order is still quoted, nothing reserved, the key is free again
    assert db.session.get(Order, order_id, populate_existing=True).status == OrderStatus.QUOTED
    assert _count(TechContract, TechContract.order_id == order_id) == 0
    assert _count(IdempotencyKey, IdempotencyKey.key == "sign-once") == 0
    assert funds.figures.voucher_balances(db.session.get(Voucher, voucher_id))["reserved_fen"] == 0

    # every pooled connection of this database dies between two requests (a failover)
    killed = db.session.execute(text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'")).scalar_one()
    db.session.rollback()
    db.session.close()
    retry = _post(client, token, path, body, "sign-once")  # pool_pre_ping reconnects
    assert retry.status_code == 200, retry.get_json()
    assert killed >= 1
    assert db.session.get(Order, order_id, populate_existing=True).status == \
        OrderStatus.CONTRACTED
    assert _count(LedgerTransaction,
                  LedgerTransaction.idempotency_key == f"contract-reserve:{order_id}") == 1
    again = _post(client, token, path, body, "sign-once")
    assert again.get_json() == retry.get_json() and again.headers["Idempotent-Replayed"]


# --- localstripe --------------------------------------------------------------------------

@pytest.fixture
def gateway(app, started, tmp_path):
    """A localstripe of this test's own; the app pays through it, with short timeouts."""
    stripe = started(procs.PrivateLocalStripe(tmp_path))
    saved = {k: app.config[k] for k in ("STRIPE_API_BASE", "STRIPE_READ_TIMEOUT_SECONDS",
                                        "STRIPE_CONNECT_TIMEOUT_SECONDS",
                                        "STRIPE_MAX_NETWORK_RETRIES")}
    app.config.update(STRIPE_API_BASE=stripe.url, STRIPE_READ_TIMEOUT_SECONDS=2,
                      STRIPE_CONNECT_TIMEOUT_SECONDS=2, STRIPE_MAX_NETWORK_RETRIES=0)
    yield stripe
    app.config.update(saved)


def _intents(stripe):
    import requests

    session = requests.Session()
    session.trust_env = False
    response = session.get(f"{stripe.url}/v1/payment_intents", params={"limit": 100},
                           auth=("sk_test_localstripe", ""), timeout=10)
    response.raise_for_status()
    return [i for i in response.json()["data"] if i["status"] == "succeeded"]


def _receipts(order_id):
    return _count(LedgerTransaction, LedgerTransaction.kind == funds.kinds.COPAY_RECEIVED,
                  LedgerTransaction.ref_type == "order", LedgerTransaction.ref_id == order_id)


def _assert_paid_once(order_id, stripe):
    assert db.session.get(Order, order_id, populate_existing=True).status == OrderStatus.PAID
    assert _count(Payment, Payment.subject_id == order_id,
                  Payment.status == PaymentStatus.SUCCEEDED) == 1
    assert _receipts(order_id) == 1
    assert len(_intents(stripe)) == 1


def _assert_nothing_received(order_id):
    """The attempt is kept, pending (the gateway never answered): the next try sends it
    again under its own key rather than making a second charge."""
    assert db.session.get(Order, order_id, populate_existing=True).status == \
        OrderStatus.CONTRACTED
    assert _count(Payment, Payment.subject_id == order_id,
                  Payment.status == PaymentStatus.PENDING) == 1
    assert _count(Payment, Payment.subject_id == order_id) == 1
    assert _receipts(order_id) == 0


def in_chinese(message):
    """What the API (which speaks the default locale, Chinese) says for ``message``."""
    with force_locale("zh"):
        return str(gettext(message) if isinstance(message, str) else message)


def _assert_told_to_try_again(answer):
    assert answer.status_code == 503
    error = answer.get_json()["error"]
    assert error["code"] == "gateway_unavailable"
    # "The payment service cannot be reached at the moment. Please try again ..."
    assert error["message"] == in_chinese(GatewayUnavailable.default_message)


def test_with_the_gateway_down_the_firm_is_told_to_try_again_and_is_charged_once_after(
        app, client, gateway):
    order_id, token = contracted_order()
    path, body = f"/api/v1/orders/{order_id}/payment", {"payment_method": VISA}
    gateway.stop()
    started_at = time.monotonic()
    down = _post(client, token, path, body, "pay-1")
    assert time.monotonic() - started_at < 10   # a refused connection is quick
    _assert_told_to_try_again(down)
    _assert_nothing_received(order_id)

    gateway.start()
    paid = _post(client, token, path, body, "pay-1")     # the same key, now it goes through
    assert paid.status_code == 200 and paid.get_json()["status"] == "succeeded"
    replay = _post(client, token, path, body, "pay-1")
    assert replay.get_json() == paid.get_json() and replay.headers["Idempotent-Replayed"]
    second = _post(client, token, path, body, "pay-2")   # a second click, a fresh key
    assert second.status_code == 200
    assert second.get_json()["payment_intent_id"] == paid.get_json()["payment_intent_id"]
    _assert_paid_once(order_id, gateway)


@pytest.mark.parametrize("retry_key", ["pay-1", "pay-2"], ids=["same-key", "fresh-key"])
def test_a_gateway_that_hangs_mid_payment_charges_once_when_the_firm_retries(
        app, client, gateway, retry_key):
    """The web form carries a fresh token each time it is shown, so a firm that is told
    to try again sends another key: it must not pay twice either."""
    order_id, token = contracted_order()
    path, body = f"/api/v1/orders/{order_id}/payment", {"payment_method": VISA}
    gateway.process.send_signal(signal.SIGSTOP)   # accepts connections, answers nothing
    try:
        hung = _post(client, token, path, body, "pay-1")
    finally:
        gateway.process.send_signal(signal.SIGCONT)
    _assert_told_to_try_again(hung)
    _assert_nothing_received(order_id)
    # the gateway now handles the request it had received: the card may be charged
    # already, although the app recorded nothing. The retry (same key) finds that charge.
    time.sleep(1)
    retry = _post(client, token, path, body, retry_key)
    assert retry.status_code == 200 and retry.get_json()["status"] == "succeeded"
    _assert_paid_once(order_id, gateway)


# --- webhooks ------------------------------------------------------------------------------

def test_a_co_pay_webhook_five_times_and_out_of_order_pays_the_order_once(app, client,
                                                                          stripe_server):
    from tests.support.stripe import THREE_D_SECURE_CARD

    order_id, _ = contracted_order()
    order = db.session.get(Order, order_id)
    copay = order.contract.copay_fen
    key = f"copay:{order_id}:w"
    db.session.add(Payment(subject_type="order", subject_id=order_id, amount_fen=copay,
                           idempotency_key=key, status=PaymentStatus.PENDING))
    db.session.commit()
    created = stripe_server.create_intent(copay, stripe_server.card(THREE_D_SECURE_CARD),
                                          metadata={"subject_type": "order",
                                                    "subject_id": order_id,
                                                    "payment_key": key})
    intent = created["id"]
    stripe_server.authenticate(intent, created["client_secret"])   # the card holder confirms
    secret = app.config["STRIPE_WEBHOOK_SECRET"]
    processing = event("payment_intent.processing", intent_object(intent, "processing", copay),
                       "evt_processing")
    succeeded = event("payment_intent.succeeded", intent_object(intent, "succeeded", copay),
                      "evt_succeeded")
    failed = event("payment_intent.payment_failed",
                   intent_object(intent, "requires_payment_method", copay,
                                 error_code="card_declined"), "evt_failed_earlier")
    # Stripe retries and reorders: success first, then the older news, success again
    sequence = [succeeded, failed, succeeded, processing, succeeded, succeeded, succeeded]
    answers = [post_event(client, e, secret) for e in sequence]
    assert {a.status_code for a in answers} == {200}
    assert [a.get_json()["duplicate"] for a in answers].count(False) == 3
    db.session.rollback()
    assert db.session.get(Order, order_id, populate_existing=True).status == OrderStatus.PAID
    [payment] = db.session.execute(select(Payment).where(
        Payment.subject_id == order_id)).scalars().all()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert _receipts(order_id) == 1
