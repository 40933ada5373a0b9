"""A claim's checks run as one round in one transaction (marketplace/claims/services.py
``run_round``): every check still writes its own result and evidence, and a check that
fails is undone alone and retried in an outbox message of its own."""
import json

import pytest
from sqlalchemy import select, text

from marketplace.claims import checks, services
from marketplace.claims.models import CheckResult, Claim, ClaimCheck, ClaimStatus
from marketplace.core import outbox
from marketplace.core.outbox import OutboxMessage
from marketplace.extensions import db
from tests.factories import staff
from tests.integration.claims.test_claim_workflow import accepted_claim, settle


@pytest.fixture
def flaky_check():
    """A ninth check whose first run fails in the database (the worst kind: it would
    abort the round's transaction without its savepoint)."""
    runs = []

    @checks.check("test_flaky")
    def flaky(claim):
        runs.append(claim.id)
        if len(runs) == 1:
            db.session.execute(text("SELECT 1 / 0"))
        return CheckResult.FLAG, {"run": len(runs)}

    yield runs
    del checks.CHECKS["test_flaky"]


def _results(claim_id):
    return {row.name: row for row in db.session.execute(select(ClaimCheck).where(
        ClaimCheck.claim_id == claim_id)).scalars()}


def _pending_checks():
    return db.session.execute(select(OutboxMessage).where(
        OutboxMessage.topic == "claims.run_check",
        OutboxMessage.processed_dt.is_(None))).scalars().all()


def test_a_round_runs_every_check_in_the_submitting_message_without_one_each():
    staff("auditor")
    claim = settle(accepted_claim())
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.check_round == 1
    results = _results(claim.id)
    assert sorted(results) == sorted(checks.CHECKS)
    assert all(json.loads(r.evidence) for r in results.values())   # each its evidence
    assert db.session.execute(select(OutboxMessage.id).where(
        OutboxMessage.topic == "claims.run_check")).first() is None


def test_a_failing_check_is_retried_alone_and_the_others_results_stay(flaky_check):
    staff("auditor")
    claim = accepted_claim()
    db.session.commit()
    outbox._committed_ids.set(None)      # the claim's own message is run by hand below
    services.start_checks(claim.id)
    db.session.commit()
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    results = _results(claim.id)
    assert sorted(results) == sorted(set(checks.CHECKS) - {"test_flaky"})
    assert claim.status == ClaimStatus.CHECKING           # the round waits for it
    [retry] = _pending_checks()
    assert retry.payload_dict == {"claim_id": claim.id, "round": 1, "name": "test_flaky"}

    assert outbox.process_message(retry.id) is True     # the outbox's retry, on its own
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    results = _results(claim.id)
    assert sorted(results) == sorted(checks.CHECKS)
    assert json.loads(results["test_flaky"].evidence) == {"run": 2}
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.is_flagged
    assert flaky_check == [claim.id, claim.id]            # the others ran once


def test_a_recheck_runs_its_round_in_one_transaction_too():
    from marketplace.claims import rechecks

    staff("auditor")
    claim = settle(accepted_claim())
    rechecks.start(claim.id, "test")
    db.session.commit()
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.check_round == 2 and claim.rechecked_round == 2
    assert len(services.checks_of(claim)) == len(checks.CHECKS)
    assert claim.status == ClaimStatus.FIRST_REVIEW
