"""The review SLA counts working days by the calendar: a stage entered on the Friday
before National Day 2025 has ten working days that skip 1–8 October and count the Sunday
and the Saturday worked instead (调休)."""
import os
import time
from datetime import date, datetime, timezone

import pytest

from marketplace.claims import services, sla
from marketplace.claims.queries import clock_of
from marketplace.extensions import db
from tests.integration.claims.test_claim_workflow import accepted_claim, settle


class FridayBeforeNationalDay(date):
    @classmethod
    def today(cls):
        return cls(2025, 9, 26)


def test_a_stage_entered_before_national_day_is_due_after_it(auditor, monkeypatch):
    monkeypatch.setattr(services, "date", FridayBeforeNationalDay)
    claim = settle(accepted_claim())
    # Sun 28 Sep (调休), Mon 29, Tue 30, Thu 9 Oct, Fri 10, Sat 11 (调休), Mon 13 … Thu 16
    assert claim.stage_due_on == date(2025, 10, 16)
    claim.stage_started_dt = datetime(2025, 9, 26, 2, 0, tzinfo=timezone.utc)
    db.session.commit()
    # six working days by the make-up Saturday: no reminder yet (day 7)
    assert sla.watch_review_deadlines(today=date(2025, 10, 11)) == {"reminded": [],
                                                                    "escalated": []}
    # the holiday week itself adds nothing
    assert sla.working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    # the queue's clock says the same: four working days left on the make-up Saturday
    assert clock_of(claim, today=date(2025, 10, 11)).days_left == 4
    assert sla.watch_review_deadlines(today=date(2025, 10, 13))["reminded"] == [claim.id]
    assert sla.watch_review_deadlines(today=date(2025, 10, 15))["escalated"] == []
    assert sla.watch_review_deadlines(today=date(2025, 10, 16))["escalated"] == [claim.id]
    db.session.commit()


def test_counted_monday_to_friday_the_same_stage_would_be_due_a_week_early(auditor):
    # what the calendar changes: weekdays alone give Friday 10 October
    weekdays, current = 0, date(2025, 9, 26)
    while weekdays < 10:
        current = date.fromordinal(current.toordinal() + 1)
        weekdays += current.weekday() < 5
    assert current == date(2025, 10, 10)
    assert services.working_days_after(date(2025, 9, 26), 10) == date(2025, 10, 16)


# --- the claim window (90 days after acceptance, on to a working day) -----------------------

def _accepted_on(day):
    """A claim whose order was accepted on ``day`` (delivered today, as the firm may)."""
    from marketplace.orders import fulfilment
    from marketplace.orders import services as orders
    from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                                 make_quoted_order, make_voucher)
    from tests.support.copay import record_paid_copay

    firm_member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=200_000_00, firm_member=firm_member)
    order = make_quoted_order(make_offering(price_fen=100_000_00), firm_member,
                              contract_amount_fen=100_000_00)
    orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    record_paid_copay(order)
    fulfilment.deliver(order, order.offering.agency.organisation.members[0], summary="交付",
                       invoice_number="FP-W1", invoice_amount_fen=100_000_00,
                       invoice_date=date.today())
    return fulfilment.accept(order, firm_member, today=day)


def test_a_claim_window_ending_in_the_national_day_week_runs_on_to_the_next_working_day():
    # 5 July + 90 days is Friday 3 October 2025, inside the holiday (1–8 October)
    claim = _accepted_on(date(2025, 7, 5))
    assert claim.file_by == date(2025, 10, 9)
    db.session.commit()


def test_a_claim_window_ending_on_a_make_up_saturday_ends_that_saturday():
    # 13 July + 90 days is Saturday 11 October 2025, a make-up working day (调休)
    claim = _accepted_on(date(2025, 7, 13))
    assert claim.file_by == date(2025, 10, 11)
    db.session.commit()


def test_a_claim_window_ending_on_an_ordinary_sunday_runs_on_to_monday():
    # 16 June + 90 days is Sunday 14 September 2025
    claim = _accepted_on(date(2025, 6, 16))
    assert claim.file_by == date(2025, 9, 15)
    db.session.commit()


def test_the_claim_window_is_the_one_the_contract_was_signed_under(auditor):
    """A window shortened after signing must not cut the firm's time to claim (nor a
    longer one lengthen it): like the checks' thresholds, it is the pinned version's."""
    from marketplace.orders import fulfilment
    from marketplace.orders import services as orders
    from marketplace.vouchers.services import update_programme
    from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                                 make_quoted_order, make_voucher)
    from tests.support.copay import record_paid_copay

    firm_member = FirmMemberFactory()
    programme = make_programme()
    voucher = make_voucher(programme, amount_fen=200_000_00, firm_member=firm_member)
    order = make_quoted_order(make_offering(price_fen=100_000_00), firm_member,
                              contract_amount_fen=100_000_00)
    contract = orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    signed_under = contract.rule_version_id
    update_programme(programme, actor=auditor, rules={"claim_deadline_days": 10})
    assert programme.current_rules_id != signed_under
    record_paid_copay(order)
    fulfilment.deliver(order, order.offering.agency.organisation.members[0], summary="交付",
                       invoice_number="FP-W2", invoice_amount_fen=100_000_00,
                       invoice_date=date.today())
    # 16 June + 90 days is Sunday 14 September 2025 (see above); + 10 would be 26 June
    claim = fulfilment.accept(order, firm_member, today=date(2025, 6, 16))
    assert claim.file_by == date(2025, 9, 15)
    db.session.commit()


# --- the server's day, not UTC's ---------------------------------------------------------------

@pytest.fixture
def beijing_server():
    """The processes run with TZ=Asia/Shanghai, as the bureau's servers do."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_stage_entered_early_on_a_beijing_monday_counts_from_that_monday(auditor,
                                                                           beijing_server):
    claim = settle(accepted_claim())
    # 02:00 on Monday 13 October 2025 in Nanchang is still Sunday the 12th in UTC: counted
    # from the Sunday, the Monday itself was a working day elapsed and the reminder came a
    # day early
    claim.stage_started_dt = datetime(2025, 10, 12, 18, 0, tzinfo=timezone.utc)
    db.session.commit()
    assert sla.watch_review_deadlines(today=date(2025, 10, 21)) == {"reminded": [],
                                                                    "escalated": []}
    assert sla.watch_review_deadlines(today=date(2025, 10, 22))["reminded"] == [claim.id]
    db.session.commit()
