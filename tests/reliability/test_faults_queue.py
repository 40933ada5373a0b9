"""Faults of the queue and the mail server, against the real services: Redis stopped and
started again while claims are accepted, and an SMTP server that refuses mail before it
accepts it. A real Celery worker (the production entry point) does the work each time.

(A worker SIGKILLed in the middle of a claim's checks, and Redis unreachable while a
claim is accepted, are tests/integration/claims/test_claim_faults.py.)
"""
import time
from collections import Counter
from datetime import date
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from marketplace.claims import checks
from marketplace.claims.models import Claim, ClaimCheck, ClaimStatus
from marketplace.core import outbox
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification, SentMail
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from tests.support.copay import record_paid_copay
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)
from tests.integration.claims.builders import quiet
from tests.reliability.conftest import drain_outbox
from tests.reliability.world import plaintext_token
from tests.support import services as procs
from tests.support.smtp import RecordingSMTPServer, _Recorder

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.worker]

CONTRACT_FEN = 20_000_00


def delivered_orders(count):
    """``count`` orders of one firm, delivered with their invoices and waiting for the
    firm's acceptance (which creates the claim)."""
    member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=count * CONTRACT_FEN,
                           firm_member=member)
    offering = make_offering()
    agency_member = offering.agency.organisation.members[0]
    ids = []
    for n in range(count):
        order = make_quoted_order(offering, member, contract_amount_fen=CONTRACT_FEN)
        contract = orders.sign_contract(order, member, voucher_id=voucher.id)
        record_paid_copay(order)
        fulfilment.deliver(order, agency_member, summary="交付", invoice_number=f"RQ-{n:04d}",
                           invoice_amount_fen=CONTRACT_FEN, invoice_date=date.today())
        ids.append(order.id)
    return member, ids


def use_broker(celery, url):
    """Publish from this process to ``url`` (dropping the pooled connections)."""
    celery.conf.broker_url = url
    celery._pool = None
    celery.amqp._producer_pool = None


def accept(client, token, order_id):
    return client.post(f"/api/v1/orders/{order_id}/acceptance",
                       headers={"Authorization": f"Bearer {token}"})


def test_claims_accepted_while_redis_is_down_are_all_checked_once_after_it_restarts(
        app, client, publishing, started, app_env, mail_server, tmp_path, caplog):
    if procs.PrivateRedis.binary() is None:
        pytest.skip("needs redis-server to start a Redis of its own")
    redis = started(procs.PrivateRedis(tmp_path))
    queue = app_env()["CELERY_QUEUE"]
    env = app_env(redis_url=redis.url, mail_port=mail_server.port)
    worker = started(procs.celery_worker(env, tmp_path / "worker.log", f"{queue}-r@%h", queue))
    staff("auditor")
    member, order_ids = delivered_orders(6)
    token = plaintext_token(member)
    db.session.commit()
    quiet()
    broker_url = publishing.conf.broker_url
    use_broker(publishing, redis.url)
    try:
        worker.ready()
        before, during, after = order_ids[:2], order_ids[2:4], order_ids[4:]
        answers = [accept(client, token, i) for i in before]
        redis.stop()                                  # Redis goes away
        answers += [accept(client, token, i) for i in during]
        assert "outbox relay could not dispatch" in caplog.text
        redis.start()                                 # back, empty (no persistence)
        answers += [accept(client, token, i) for i in after]
        # every firm member saw their acceptance succeed, Redis or not
        assert [a.status_code for a in answers] == [200] * 6
        claim_ids = [a.get_json()["claim_id"] for a in answers]
        assert all(claim_ids)
        drain_outbox([worker], timeout=90)   # the beat's sweep re-sends what was lost
    finally:
        use_broker(publishing, broker_url)

    db.session.expire_all()
    for claim_id in claim_ids:
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.FIRST_REVIEW, claim_id
        assert claim.assigned_auditor_id is not None
        names = db.session.execute(select(ClaimCheck.name).where(
            ClaimCheck.claim_id == claim_id)).scalars().all()
        assert sorted(names) == sorted(checks.CHECKS)    # each check once, none lost
    notices = db.session.execute(select(Notification).where(
        Notification.kind == "claim_to_review")).scalars().all()
    assert len(notices) == len(claim_ids) and all(n.emailed_dt for n in notices)
    sent = db.session.execute(select(func.count(SentMail.id)).where(
        SentMail.dedupe_key.in_([f"notification:{n.id}" for n in notices]))).scalar_one()
    assert sent == len(claim_ids)
    # every mail the platform recorded as sent arrived exactly once (the set-up's
    # notices to the auditors and the agency included)
    recorded = Counter(db.session.execute(select(SentMail.recipient)).scalars())
    received = Counter(m["To"] for m in mail_server.messages)
    assert received == recorded and recorded
    # the worker saw the outage: its consumer's connection, or a publish from a task
    assert any(sign in worker.log() for sign in (
        "Connection to broker lost", "Connection to Redis lost", "Cannot connect"))


class _FlakyRecorder(_Recorder):
    """Refuses the first messages with each of ``server.refusals`` in turn (a greylisting
    451, then a 550), then accepts."""

    async def handle_DATA(self, smtp_server, session, envelope):
        with self.server.lock:
            self.server.attempts += 1
            refusal = self.server.refusals.pop(0) if self.server.refusals else None
        if refusal:
            return refusal
        return await super().handle_DATA(smtp_server, session, envelope)


@pytest.fixture
def flaky_mail_server():
    server = RecordingSMTPServer()
    server.attempts = 0
    server.refusals = ["451 4.7.1 greylisted, try again later",
                      "550 5.7.1 temporarily refused by policy"]
    server._controller.handler = _FlakyRecorder(server)
    server.start()
    yield server
    server.stop()


def test_mail_the_smtp_server_refuses_twice_is_sent_exactly_once_when_it_accepts(
        app, publishing, started, app_env, flaky_mail_server, tmp_path):
    queue = app_env()["CELERY_QUEUE"]
    worker = started(procs.celery_worker(app_env(mail_port=flaky_mail_server.port),
                                         tmp_path / "worker.log", f"{queue}-m@%h", queue))
    worker.ready()
    user = FirmMemberFactory(locale="en")
    db.session.commit()
    notifications.notify(user, "welcome", link="/", organisation=user.organisation.name)
    db.session.commit()
    outbox.relay_pending()    # as after a request: the message goes to the worker

    deadline = time.monotonic() + 60
    while not flaky_mail_server.to(user.email):
        assert worker.alive(), worker.tail()
        assert time.monotonic() < deadline, f"no mail after the refusals:\n{worker.tail()}"
        time.sleep(0.2)
    drain_outbox([worker])
    time.sleep(2)             # a second delivery would have arrived by now
    assert flaky_mail_server.attempts == 3            # 451, 550, then 250
    [mail] = flaky_mail_server.to(user.email)
    [notice] = db.session.execute(select(Notification)).scalars().all()
    subject, _ = notifications.rendered(notice, "en")
    assert str(make_header(decode_header(mail["Subject"]))) == subject
    assert notice.emailed_dt is not None
    assert db.session.execute(select(func.count(SentMail.id))).scalar_one() == 1
    message = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.topic.like("notifications.%"))).scalars().all()
    assert message and all(m.processed_dt for m in message)
    assert worker.log().count("MailNotSent") >= 2 or worker.log().count("retry") >= 2
