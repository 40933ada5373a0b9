"""Races on the money path, for real: the app served by a threaded server, requests sent
from threads released together, against PostgreSQL and the run's localstripe; each race
run many times (HC_RACE_ROUNDS, 6 by default; `make check-reliability` runs more). After
every round the books are checked: a claim is never both paid and clawed back, a co-pay
never charged twice, a batch never paid for a claim voided meanwhile."""
import json
import os
import threading
import uuid

import pytest
import requests

from marketplace import funds
from marketplace.accounts.services import issue_api_token
from marketplace.claims import disbursement
from marketplace.claims.models import Claim, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.orders.payment import copay_payments
from marketplace.payments.models import PaymentStatus
from tests.integration.funds.world import World
from tests.support.live_server import LiveServer
from tests.support.stripe import VISA, charge_object, event, signature_header

pytestmark = [pytest.mark.postgres, pytest.mark.stripe, pytest.mark.reliability]

ROUNDS = int(os.environ.get("HC_RACE_ROUNDS", "6"))


@pytest.fixture
def server(app, stripe_server):
    with LiveServer(app) as live:
        yield live


def _together(*calls):
    """Run the calls in threads released at the same instant; their answers in order."""
    start = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(index, call):
        start.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _token(user):
    _token, plaintext = issue_api_token(user, "race")
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def _signed_refund_event(app, payment, amount_refunded):
    payload = json.dumps(event("charge.refunded", charge_object(
        payment.payment_intent_id, payment.amount_fen, amount_refunded))).encode()
    return payload, {"Stripe-Signature": signature_header(
        payload, app.config["STRIPE_WEBHOOK_SECRET"]), "Content-Type": "application/json"}


def _batched_then_refunded_at_the_gateway(stripe_server):
    """A claim and its co-pay in a batch, then the whole co-pay refunded at the gateway
    (its news not yet booked): ``(world, claim, batch, payment)``."""
    world = World()
    order = world.paid(100_000_00)
    claim = world.approved(world.accepted(order))
    batch = world.batch([claim], [order])
    payment = world.payment_of(order)
    stripe_server.http.post(f"{stripe_server.base}/v1/refunds", data={
        "payment_intent": payment.payment_intent_id}, timeout=10).raise_for_status()
    return world, claim, batch, payment


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_refund_webhook_racing_the_batch_payment_never_pays_and_claws_back(
        app, server, stripe_server, round_):
    world, claim, batch, payment = _batched_then_refunded_at_the_gateway(stripe_server)
    headers = {**_token(world.supervisor), "Idempotency-Key": uuid.uuid4().hex}
    payload, webhook_headers = _signed_refund_event(app, payment, payment.amount_fen)
    batch_id, claim_id = batch.id, claim.id   # no lazy load in the threads
    paid, refunded = _together(
        lambda: requests.post(f"{server.url}/api/v1/disbursements/{batch_id}/paid",
                              json={"treasury_reference": f"国库-{round_}"},
                              headers=headers, timeout=60),
        lambda: requests.post(f"{server.url}/payments/webhook", data=payload,
                              headers=webhook_headers, timeout=60))
    assert refunded.status_code == 200, refunded.text
    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    batch = db.session.get(DisbursementBatch, batch_id)
    assert claim.status == ClaimStatus.VOIDED
    owed = funds.recoveries.outstanding([world.agency_id])
    if batch.status.value == "paid":          # the payment won: the money is owed back
        assert paid.status_code == 200
        assert sum(r.amount_fen for r in owed) == 100_000_00
    else:                                     # the refund won: nothing left to pay
        assert paid.status_code == 409 and batch.status.value == "cancelled"
        assert owed == []
    figures = funds.figures.voucher_balances(world.voucher)
    assert figures["reserved_fen"] == 0
    assert ledger.violations() == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_payments_of_one_co_pay_at_once_charge_it_once(app, server, stripe_server,
                                                            round_):
    world = World()
    order = world.contracted(100_000_00)
    headers = _token(world.firm_member)
    order_id = order.id

    def pay():
        return requests.post(f"{server.url}/api/v1/orders/{order_id}/payment",
                             json={"payment_method": VISA},
                             headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                             timeout=60)

    answers = _together(pay, pay)
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    assert any(a.status_code == 200 for a in answers)
    db.session.expire_all()
    charged = [pi for pi in stripe_server.payment_intents() if pi["status"] == "succeeded"
               and pi["metadata"].get("subject_id") == str(order_id)]
    assert len(charged) == 1
    assert [p.status for p in copay_payments(order)] == [PaymentStatus.SUCCEEDED]
    assert ledger.violations() == []


@pytest.mark.parametrize("round_", range(max(2, ROUNDS // 2)))
def test_a_batch_created_while_a_claim_is_voided_never_holds_the_voided_claim(
        app, server, stripe_server, round_):
    world = World()
    order = world.paid(100_000_00)
    claim = world.approved(world.accepted(order))
    payment = world.payment_of(order)
    stripe_server.http.post(f"{stripe_server.base}/v1/refunds", data={
        "payment_intent": payment.payment_intent_id}, timeout=10).raise_for_status()
    payload, webhook_headers = _signed_refund_event(app, payment, payment.amount_fen)
    headers = {**_token(world.supervisor), "Idempotency-Key": uuid.uuid4().hex}
    claim_id, order_id = claim.id, order.id
    created, refunded = _together(
        lambda: requests.post(f"{server.url}/api/v1/disbursements",
                              json={"claim_ids": [claim_id], "copay_order_ids": [order_id]},
                              headers=headers, timeout=60),
        lambda: requests.post(f"{server.url}/payments/webhook", data=payload,
                              headers=webhook_headers, timeout=60))
    assert refunded.status_code == 200
    assert created.status_code in (201, 409), created.text
    db.session.expire_all()
    assert db.session.get(Claim, claim_id).status == ClaimStatus.VOIDED
    for batch in db.session.query(DisbursementBatch):
        assert claim_id not in [line.claim_id for line in disbursement.lines_of(batch)
                                if line.status.value != "removed"]
    assert ledger.violations() == []


@pytest.mark.parametrize("round_", range(max(2, ROUNDS // 2)))
def test_a_repayment_racing_the_payment_of_a_batch_that_deducts_it_collects_it_once(
        app, stripe_server, round_):
    """The agency's repayment is recorded while the treasury's payment of a batch that
    deducts the same recovery is: the batch is paid either way, and the recovery is
    collected once (the repayment is refused when the batch collected it first)."""
    from marketplace.accounts.models import User
    from marketplace.claims import batch_lines
    from tests.integration.funds.test_money_journey import (
        a_recovery_netted_into_the_next_batch)
    from tests.support.races import at_once

    world, batch = a_recovery_netted_into_the_next_batch(stripe_server, "国库-1")
    recovery = funds.recoveries.outstanding([world.agency_id])[0]
    batch_id, recovery_id, amount = batch.id, recovery.id, recovery.amount_fen
    supervisor_id = world.supervisor.id
    outcomes = at_once(app, [
        (lambda: (db.session.get(DisbursementBatch, batch_id),
                  db.session.get(User, supervisor_id)),
         lambda found, user: disbursement.mark_paid(found, user, f"国库-2-{round_}")),
        (lambda: (db.session.get(User, supervisor_id),),
         lambda user: batch_lines.record_repayment(recovery_id, amount, actor=user,
                                                   reference=f"回单-{round_}")),
    ])
    assert outcomes[0] == "ok" and outcomes[1] in ("ok", "collection_too_large"), outcomes
    db.session.expire_all()
    assert db.session.get(DisbursementBatch, batch_id).status.value == "paid"
    collected = db.session.get(funds.models.Recovery, recovery_id).collections
    assert sum(c.amount_fen for c in collected) == amount
    assert ledger.violations() == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_refund_racing_the_first_bank_export_leaves_the_file_and_the_batch_agreeing(
        app, stripe_server, round_):
    """The gateway's refund of the co-pay is booked while the supervisor downloads the
    batch's first bank file. Either the refund comes first (the lines leave the batch,
    which is cancelled, and the file holds nothing of them), or the export does (the
    batch is at the bank, the file pays the whole contract, and the void waits for the
    bank): never a file with lines the batch no longer has."""
    import csv
    import io
    import time

    from marketplace.accounts.models import User
    from marketplace.claims import bank_files
    from marketplace.payments import gateway
    from marketplace.payments import services as payments
    from marketplace.payments.models import Payment
    from tests.support.races import at_once

    world, claim, batch, payment = _batched_then_refunded_at_the_gateway(stripe_server)
    batch_id, claim_id, payment_id = batch.id, claim.id, payment.id
    supervisor_id = world.supervisor.id
    files = []

    def export(found, user):
        # the refund's booking takes more statements before it reaches the batch: on odd
        # rounds the export waits, so the refund holds the batch while the file is read
        time.sleep(0.3 if round_ % 2 else 0)
        files.append(bank_files.export(found, user, "csv")[0])

    def book_refund(found, news):   # the gateway was asked before the threads met
        payments.apply_intent(found, news)
        payments.record_refunded_total(found, news.amount_refunded_fen)

    steps = [
        (lambda: (db.session.get(DisbursementBatch, batch_id),
                  db.session.get(User, supervisor_id)),
         export),
        (lambda: (db.session.get(Payment, payment_id),
                  gateway.retrieve(db.session.get(Payment, payment_id).payment_intent_id)),
         book_refund),
    ]
    outcomes = at_once(app, steps)
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    batch = db.session.get(DisbursementBatch, batch_id)
    claim = db.session.get(Claim, claim_id)
    control = list(csv.reader(io.StringIO(files[0].decode("gb18030"))))[0]
    if batch.sent_dt is not None:            # the export came first
        assert batch.status.value == "open" and batch.sent_total_fen == 100_000_00
        assert control[2] == "100000.00"
        assert claim.status == ClaimStatus.APPROVED and claim.void_pending_reason
    else:                                    # the refund came first
        assert batch.status.value == "cancelled" and claim.status == ClaimStatus.VOIDED
        assert control[1:3] == ["0", "0.00"]
    assert ledger.violations() == []
