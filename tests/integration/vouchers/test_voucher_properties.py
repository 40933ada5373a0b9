"""Property: no sequence of issue / reserve / release / expire breaks the ledger."""
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.core import ledger
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import lifecycle, services
from marketplace.vouchers.models import Voucher, VoucherStatus
from tests.factories import FirmMemberFactory, make_application, make_programme, staff

amounts = st.integers(min_value=1, max_value=400_000_00)
steps = st.lists(st.one_of(
    st.tuples(st.just("issue"), amounts),
    st.tuples(st.just("reserve"), amounts),
    st.tuples(st.just("release"), amounts),
    st.tuples(st.just("expire"), st.just(0)),
), min_size=1, max_size=12)


def _apply(step, programme, auditor, reservations):
    kind, amount = step
    vouchers = db.session.query(Voucher).filter_by(programme_id=programme.id).all()
    active = [v for v in vouchers if v.status == VoucherStatus.ACTIVE]
    if kind == "issue":
        application = make_application(programme, FirmMemberFactory(),
                                       requested_fen=min(amount, 200_000_00))
        services.decide_application(application, actor=auditor, decision="approve")
    elif kind == "reserve" and active:
        voucher = active[amount % len(active)]
        lifecycle.reserve(voucher, amount, ref=("property", voucher.id))
        reservations.append((voucher.id, amount))
    elif kind == "release" and reservations:
        voucher_id, reserved = reservations.pop(amount % len(reservations))
        lifecycle.release(db.session.get(Voucher, voucher_id), reserved,
                          ref=("property", voucher_id))
    elif kind == "expire" and active:
        lifecycle.expire_due_vouchers(today=active[0].expires_on + timedelta(days=1))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_invariants_hold_after_every_step(sequence):
    programme = make_programme(budget_fen=500_000_00)
    auditor = staff("auditor")
    db.session.commit()
    reservations = []
    for step in sequence:
        try:
            _apply(step, programme, auditor, reservations)
            db.session.commit()
        except DomainError:
            db.session.rollback()  # a refused step must leave no trace
        assert ledger.violations() == [], step
    figures = budget_use.budget_figures(programme)
    assert figures["issued_fen"] - figures["expired_fen"] <= figures["budget_fen"]
    rules = programme.current_rules
    for voucher in db.session.query(Voucher).filter_by(programme_id=programme.id):
        # the per-firm cap of the firm's tier bounds every voucher issued
        assert 0 < voucher.face_value_fen <= rules.cap_for(voucher.firm.firm_tier)
