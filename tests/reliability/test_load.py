"""Many firms at once against the app under gunicorn (2 web processes) with 2 Celery
worker processes, the test PostgreSQL database, the run's Redis queue and localstripe.

About HC_LOAD_REQUESTS (default 200) API requests are fired together from 32 client
threads: contract signing on shared vouchers, co-pay payments, voucher decisions on one
programme budget, claim decisions at both stages (two supervisors deciding one claim
differently), disbursement batches asked for twice; a share of them repeated with the
same Idempotency-Key, and some sent with a client timeout too short to wait for the
answer and then retried with the same key. Afterwards every answer is a success or a
clear error, every invariant holds, nothing was reserved, paid, approved or batched twice.
"""
import json
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select

from marketplace import funds
from marketplace.claims.models import Claim, ClaimDecision, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.core.audit import verify_chain
from marketplace.core.ledger import LedgerTransaction
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus, TechContract
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication
from tests.reliability import world as world_module
from tests.reliability.conftest import drain_outbox
from tests.support import services as procs
from tests.support.stripe import VISA

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.worker,
              pytest.mark.stripe]

REQUESTS = int(os.environ.get("HC_LOAD_REQUESTS", "50"))   # make check-reliability: 200
PER_FIRM = 24          # requests a firm's share of the mix makes (see calls_for)
CLIENT_THREADS = 32
IMPATIENT_TIMEOUT = 0.05   # seconds: the client gives up long before the answer


@dataclass
class Call:
    kind: str
    token: str
    path: str
    body: dict
    key: str | None
    impatient: bool = False


def _key():
    return str(uuid.uuid4())


def calls_for(world):
    calls = []
    supervisor, other_supervisor = world.supervisor_tokens
    for firm in world.firms:
        for n, order_id in enumerate(firm.to_sign):
            call = Call("sign", firm.token, f"/api/v1/orders/{order_id}/contract",
                        {"voucher_id": firm.voucher_id}, _key(), impatient=n == 1)
            calls.append(call)
            if n == 0:
                calls.append(Call(**{**call.__dict__}))           # the same key again
        for n, order_id in enumerate(firm.to_pay):
            call = Call("pay", firm.token, f"/api/v1/orders/{order_id}/payment",
                        {"payment_method": VISA}, _key(), impatient=n == 1)
            calls.append(call)
            if n == 0:
                calls.append(Call(**{**call.__dict__}))
                calls.append(Call(**{**call.__dict__, "key": _key()}))  # a second payment
        for n, claim_id in enumerate(firm.first_review):
            call = Call("first_review", world.auditor_token,
                        f"/api/v1/claims/{claim_id}/decisions",
                        {"decision": "approve", "comment": "材料齐全"}, _key(), impatient=n == 1)
            calls.append(call)
            if n == 0:
                calls.append(Call(**{**call.__dict__}))
        for n, claim_id in enumerate(firm.final):
            path = f"/api/v1/claims/{claim_id}/decisions"
            approve = Call("final", supervisor, path, {"decision": "approve"}, _key())
            calls.append(approve)
            calls.append(Call("final", other_supervisor, path,
                              {"decision": "reject", "comment": "发票与合同不符"}, _key()))
            if n == 0:
                calls.append(Call(**{**approve.__dict__}))
        batch = {"claim_ids": list(firm.approved)}
        first = Call("disburse", supervisor, "/api/v1/disbursements", batch, _key())
        calls += [first, Call(**{**first.__dict__}),
                  Call("disburse", other_supervisor, "/api/v1/disbursements", batch, _key())]
    for n, (application_id, _) in enumerate(world.applications):
        call = Call("application", world.auditor_token,
                    f"/api/v1/voucher-applications/{application_id}/decisions",
                    {"decision": "approve"}, None)
        calls.append(call)
        if n == 0:
            calls.append(Call(**{**call.__dict__}))   # a double click, without a key
    return calls


class Client:
    """Sends the calls from many threads, one HTTP session per thread, and keeps every
    answer (a timed-out try counts as a request)."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.local = threading.local()
        self.lock = threading.Lock()
        self.answers = []          # (call, status, body)
        self.timeouts = 0
        self.sent = 0
        self.sessions = []

    def session(self):
        if getattr(self.local, "session", None) is None:
            self.local.session = requests.Session()
            self.local.session.trust_env = False
            with self.lock:
                self.sessions.append(self.local.session)
        return self.local.session

    def close(self):
        for session in self.sessions:   # no idle keep-alive to hold up gunicorn's stop
            session.close()

    def send(self, call):
        headers = {"Authorization": f"Bearer {call.token}"}
        if call.key:
            headers["Idempotency-Key"] = call.key
        url = self.base_url + call.path
        if call.impatient:
            with self.lock:
                self.sent += 1
            try:
                response = self.session().post(url, json=call.body, headers=headers,
                                               timeout=(5, IMPATIENT_TIMEOUT))
                return self._keep(call, response)
            except requests.Timeout:
                with self.lock:
                    self.timeouts += 1
                self.local.session = None  # its connection may still carry the old answer
        with self.lock:
            self.sent += 1
        response = self.session().post(url, json=call.body, headers=headers, timeout=120)
        return self._keep(call, response)

    def _keep(self, call, response):
        try:
            body = response.json()
        except ValueError:
            body = None
        with self.lock:
            self.answers.append((call, response.status_code, body,
                                 response.headers.get("Idempotent-Replayed")))


def _start_stack(started, app_env, tmp_path):
    web = started(procs.Gunicorn(app_env(), tmp_path / "gunicorn.log", workers=2, threads=8))
    queue = app_env()["CELERY_QUEUE"]
    workers = [started(procs.celery_worker(app_env(), tmp_path / f"worker-{n}.log",
                                           f"{queue}-load{n}@%h", queue))
               for n in (1, 2)]
    for worker in workers:
        worker.ready()
    return web, workers


def _count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)
                              ).scalar_one()


def test_concurrent_requests_from_many_firms_keep_every_invariant(app, started, app_env, publishing,
                                                          stripe_server, tmp_path):
    firms = max(2, -(-(REQUESTS - 7) // PER_FIRM))
    built_at = time.monotonic()
    world = world_module.build(firms=firms)
    setup_seconds = time.monotonic() - built_at
    web, workers = _start_stack(started, app_env, tmp_path)
    assert len(web.worker_pids()) >= 2 and len(workers) >= 2
    calls = calls_for(world)
    random.Random(9).shuffle(calls)
    client = Client(web.url)
    fired_at = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(client.send, calls))
    client.close()
    load_seconds = time.monotonic() - fired_at
    print(f"\nload: setup {setup_seconds:.1f}s, {client.sent} requests in {load_seconds:.1f}s")
    drain_outbox(workers)

    # every request answered: no 5xx, every refusal a JSON error with a stable code
    statuses = Counter(status for _, status, _, _ in client.answers)
    assert client.sent >= REQUESTS and len(client.answers) == len(calls)
    server_errors = [(c.kind, c.path, s, b) for c, s, b, _ in client.answers if s >= 500]
    assert server_errors == [], f"{server_errors[:5]}\n{web.tail()}"
    refusals = Counter()
    for call, status, body, _ in client.answers:
        if status >= 400:
            assert body and body["error"]["code"] and body["error"]["message"], (call, body)
            refusals[(call.kind, body["error"]["code"])] += 1
    # a repeated key gets the first answer again
    by_key = defaultdict(list)
    for call, status, body, replayed in client.answers:
        if call.key:
            by_key[(call.token, call.key)].append((status, json.dumps(body, sort_keys=True)))
    for answers in by_key.values():
        assert len(set(answers)) == 1, answers
    replays = sum(1 for *_, replayed in client.answers if replayed)
    assert replays >= firms  # at least the repeated signing and payment of each firm

    db.session.rollback()
    db.session.expire_all()
    assert ledger.violations() == []
    verify_chain()
    _assert_contracts_reserved_once(world)
    _assert_paid_once(world, stripe_server)
    _assert_decided_once(world)
    _assert_batched_once(world)
    _assert_budget_kept(world)

    print(f"\nload: {client.sent} requests ({client.timeouts} client timeouts retried, "
          f"{replays} idempotent replays) from {firms + len(world.applications)} firms in "
          f"{load_seconds:.1f}s; answers {dict(sorted(statuses.items()))}; refusals "
          f"{dict(sorted(refusals.items()))}; setup {setup_seconds:.1f}s; "
          f"invariant violations 0")


def _assert_contracts_reserved_once(world):
    for firm in world.firms:
        voucher = db.session.get(Voucher, firm.voucher_id)
        contracted = db.session.execute(select(Order.id).where(
            Order.id.in_(firm.to_sign), Order.status == OrderStatus.CONTRACTED)).scalars().all()
        quoted = _count(Order, Order.id.in_(firm.to_sign), Order.status == OrderStatus.QUOTED)
        # a claim rejected at final approval gives its part back while the signing runs
        released = _count(Claim, Claim.id.in_(firm.final), Claim.status == ClaimStatus.REJECTED)
        room = world_module.SIGNABLE + released
        assert world_module.SIGNABLE <= len(contracted) <= room
        assert quoted == world_module.TO_SIGN - len(contracted)
        reservations = db.session.execute(
            select(LedgerTransaction.idempotency_key).where(
                LedgerTransaction.kind == funds.kinds.RESERVE,
                LedgerTransaction.idempotency_key.in_(
                    [f"contract-reserve:{i}" for i in firm.to_sign]))).scalars().all()
        assert sorted(reservations) == sorted(f"contract-reserve:{i}" for i in contracted)
        figures = funds.figures.voucher_balances(voucher)
        assert (figures["available_fen"] + figures["reserved_fen"] + figures["spent_fen"]
                + figures["expired_fen"]) == voucher.face_value_fen
        live_parts = db.session.execute(
            select(func.sum(TechContract.voucher_part_fen))
            .outerjoin(Claim, Claim.contract_id == TechContract.id)
            .where(TechContract.voucher_id == voucher.id,
                   (Claim.id.is_(None)) | (Claim.status != ClaimStatus.REJECTED))
        ).scalar_one()
        assert figures["reserved_fen"] + figures["spent_fen"] == live_parts
        assert figures["available_fen"] == (room - len(contracted)) * world.voucher_part_fen


def _assert_paid_once(world, stripe_server):
    paid_orders = [i for firm in world.firms for i in firm.to_pay]
    assert _count(Order, Order.id.in_(paid_orders), Order.status == OrderStatus.PAID) == \
        len(paid_orders)
    for order_id in paid_orders:
        assert _count(Payment, Payment.subject_type == "order", Payment.subject_id == order_id,
                      Payment.status == PaymentStatus.SUCCEEDED) == 1
        assert _count(LedgerTransaction, LedgerTransaction.ref_type == "order",
                      LedgerTransaction.ref_id == order_id,
                      LedgerTransaction.kind == funds.kinds.COPAY_RECEIVED) == 1
    charged = [i for i in stripe_server.payment_intents() if i["status"] == "succeeded"]
    assert len(charged) == len(paid_orders)


def _assert_decided_once(world):
    for firm in world.firms:
        for claim_id in firm.first_review:
            claim = db.session.get(Claim, claim_id)
            assert claim.status == ClaimStatus.FINAL_APPROVAL
            assert _count(ClaimDecision, ClaimDecision.claim_id == claim_id,
                          ClaimDecision.stage == ClaimStatus.FIRST_REVIEW) == 1
        for claim_id in firm.final:
            claim = db.session.get(Claim, claim_id)
            assert claim.status in (ClaimStatus.APPROVED, ClaimStatus.REJECTED)
            assert _count(ClaimDecision, ClaimDecision.claim_id == claim_id,
                          ClaimDecision.stage == ClaimStatus.FINAL_APPROVAL) == 1
            approvals = _count(LedgerTransaction,
                               LedgerTransaction.idempotency_key == f"claim-approval:{claim_id}")
            releases = _count(LedgerTransaction,
                              LedgerTransaction.idempotency_key == f"claim-release:{claim_id}")
            assert (approvals, releases) == ((1, 0) if claim.status == ClaimStatus.APPROVED
                                             else (0, 1))


def _assert_batched_once(world):
    assert _count(DisbursementBatch) == len(world.firms)
    for firm in world.firms:
        batch_ids = {db.session.get(Claim, i).disbursement_batch_id for i in firm.approved}
        assert len(batch_ids) == 1 and None not in batch_ids
        batch = db.session.get(DisbursementBatch, batch_ids.pop())
        assert batch.line_count == len(firm.approved)


def _assert_budget_kept(world):
    ids = [application_id for application_id, _ in world.applications]
    approved = _count(VoucherApplication, VoucherApplication.id.in_(ids),
                      VoucherApplication.status == ApplicationStatus.APPROVED)
    assert approved == world.fundable_applications
    programme = vouchers.get_programme(world.programme_id)
    issued = db.session.execute(select(func.sum(Voucher.face_value_fen)).where(
        Voucher.programme_id == programme.id)).scalar_one()
    assert issued == programme.budget_fen  # fully issued, never over
