"""The voucher side of the dashboard (budget use, funnel, review deadlines) equals what the
voucher and claim domains say of each programme and claim."""
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.claims import disbursement
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.sla import overdue_claims
from marketplace.extensions import db
from marketplace.orders.models import TechContract
from marketplace.turnover.dashboard.programme_stats import programme_figures
from marketplace.vouchers import budget_use
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Programme, Voucher, VoucherApplication
from tests.factories import UserFactory, make_application, make_programme
from tests.integration.claims.builders import approved_claim, claim_at_first_review, quiet


def test_budget_funnel_and_deadlines_match_the_domains():
    today = date.today()
    auditor, supervisor = UserFactory(role="auditor"), UserFactory(role="supervisor")
    paid = approved_claim(auditor, supervisor)
    approved_claim(auditor, supervisor)
    late = claim_at_first_review(auditor)
    claim_at_first_review(auditor)
    late.stage_due_on = today - timedelta(days=1)
    disbursement.mark_paid(disbursement.create_batch(supervisor, [paid.id]), supervisor,
                           "国库 2026-0002")
    make_application(make_programme(budget_fen=10_000_000_00))        # still pending
    db.session.commit()
    quiet()

    figures = programme_figures(today.year, today)

    programmes = db.session.execute(select(Programme).where(
        Programme.year == today.year)).scalars().all()
    each = [budget_use.budget_figures(p) for p in programmes]
    assert figures.budget == {key: sum(f[key] for f in each) for key in each[0]}
    assert figures.budget["spent_fen"] > 0 and figures.budget["reserved_fen"] > 0

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    funnel = {step: (number, amount) for step, number, amount in figures.funnel}
    assert funnel["applications"][0] == count(VoucherApplication) == 5
    assert funnel["vouchers"] == (count(Voucher), db.session.scalar(
        select(func.sum(Voucher.face_value_fen))))
    assert funnel["orders"][0] == 4
    assert funnel["contracts"][0] == count(TechContract, TechContract.voucher_id.is_not(None))
    assert funnel["claims"] == (4, db.session.scalar(select(func.sum(Claim.amount_fen))))
    assert funnel["disbursed"] == (1, db.session.get(Claim, paid.id).amount_fen)
    assert db.session.get(Claim, paid.id).status == ClaimStatus.DISBURSED

    sla = {stage.value: (on_time, overdue) for stage, on_time, overdue in figures.sla}
    assert sla["first_review"] == (1, 1)
    assert sum(overdue for _on_time, overdue in sla.values()) == len(overdue_claims(today))
    assert sla["final_approval"] == (0, 0)
