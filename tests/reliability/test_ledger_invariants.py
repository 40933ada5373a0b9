"""The invariants checked after every test (tests/conftest.py) do catch what they are
for: each case breaks the ledger in one way inside the test's transaction (rolled back
before the after-test check) and expects violations() to name it."""
import pytest
from sqlalchemy import update

from marketplace.core import ledger
from marketplace.extensions import db


def _accounts():
    return (ledger.account("t:reserved", "voucher_reserved"),
            ledger.account("t:payable", "agency_payable"),
            ledger.account("t:paid", "agency_paid"),
            ledger.account("t:funding", "programme_funding", allow_negative=True))


@pytest.fixture
def approved_claim():
    reserved, payable, paid, funding = _accounts()
    ledger.transfer("test_funding", funding, reserved, 500_00)
    ledger.transfer("claim_approval", reserved, payable, 300_00, ref=("claim", 41))
    return reserved, payable, paid, funding


def test_a_sound_ledger_has_no_violation(approved_claim):
    _reserved, payable, paid, _funding = approved_claim
    ledger.transfer("claim_disbursement", payable, paid, 300_00, ref=("claim", 41),
                    idempotency_key="claim-disbursement:41")
    ledger.transfer("claim_disbursement", payable, paid, 300_00, ref=("claim", 41),
                    idempotency_key="claim-disbursement:41")   # the same key: no second
    assert ledger.violations() == []


def test_a_claim_paid_twice_is_named(approved_claim):
    reserved, payable, paid, _funding = approved_claim
    ledger.transfer("claim_approval", reserved, payable, 150_00, ref=("claim", 41))
    ledger.transfer("claim_disbursement", payable, paid, 300_00, ref=("claim", 41))
    ledger.transfer("claim_disbursement", payable, paid, 150_00, ref=("claim", 41))
    found = ledger.violations()
    assert "claim 41 has 2 claim_disbursement transactions" in found
    assert "claim 41 has 2 claim_approval transactions" in found


def test_a_claim_paid_more_than_approved_is_named(approved_claim):
    _reserved, payable, paid, funding = approved_claim
    ledger.transfer("test_top_up", funding, payable, 100_00)
    ledger.transfer("claim_disbursement", payable, paid, 400_00, ref=("claim", 41))
    assert "claim 41 paid 40000 fen but approved 30000 fen" in ledger.violations()


def test_a_balance_that_differs_from_its_postings_is_named(approved_claim):
    _reserved, payable, _paid, _funding = approved_claim
    db.session.execute(update(ledger.LedgerAccount).where(ledger.LedgerAccount.id == payable.id)
                       .values(balance_fen=1))
    assert any(v.startswith("account t:payable shows 1 fen") for v in ledger.violations())
