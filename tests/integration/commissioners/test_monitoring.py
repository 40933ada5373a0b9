"""The bureau's monitoring, the nightly reminder (through the outbox), the yearly
assessment with its renewal or withdrawal, and the versioned yearly rules."""
from datetime import date, timedelta

import pytest

from marketplace.commissioners import activity, monitoring
from marketplace.commissioners.assessment import Standing
from marketplace.commissioners.models import CommissionerRules, CommissionerStatus
from marketplace.core.assessments import AssessmentStatus, Grade
from marketplace.core import yearly_rules
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import FirmMemberFactory, staff
from tests.integration.claims.test_claim_workflow import settle
from tests.integration.commissioners.builders import log, paired, recognised

TODAY = date.today()


def served_year(commissioner, firms, services_each, confirm=True, year=TODAY.year):
    """``services_each`` confirmed services to each of ``firms`` new firms in ``year``
    (this year: in the last days)."""
    day = date(year, 1, 10) if year != TODAY.year else TODAY - timedelta(days=services_each)
    for _ in range(firms):
        member = FirmMemberFactory()
        pairing = paired(commissioner, member, since_days=(TODAY - date(year, 1, 1)).days + 1)
        for n in range(services_each):
            service = log(commissioner, pairing, day + timedelta(days=n))
            if confirm:
                activity.answer_service(service, member, confirm=True)
    return commissioner


def test_the_figures_count_the_years_services_and_the_firms_served(auditor):
    commissioner = recognised(auditor=auditor, since_days=800)
    member = FirmMemberFactory()
    pairing = paired(commissioner, member, since_days=800)
    confirmed = log(commissioner, pairing, TODAY - timedelta(days=2))
    activity.answer_service(confirmed, member, confirm=True)
    disputed = log(commissioner, pairing, TODAY - timedelta(days=1))
    activity.answer_service(disputed, member, confirm=False, reason="记录不实")
    log(commissioner, pairing, TODAY)
    log(commissioner, pairing, date(TODAY.year - 1, 6, 1))       # last year: not counted
    found = monitoring.figures_for([commissioner.id], TODAY.year)[commissioner.id]
    assert (found.logged, found.confirmed, found.disputed, found.served) == (3, 1, 1, 1)
    assert found.confirmed_rate_bp == 5000 and found.last_service_on == TODAY


def test_a_silent_commissioner_is_reminded_once_through_the_outbox(auditor):
    silent = recognised(auditor=auditor, since_days=70)
    busy = recognised(auditor=auditor, since_days=70)
    served_year(busy, firms=3, services_each=4)
    assert monitoring.remind_falling_behind(TODAY) == [silent.id]
    settle(silent)
    assert monitoring.remind_falling_behind(TODAY) == []     # reminded already
    settle(silent)
    reminders = db.session.query(Notification).filter(
        Notification.kind == "commissioner_reminder_silent").all()
    assert [n.user_id for n in reminders] == [silent.user_id]
    assert "70" in reminders[0].params


def test_the_rules_of_a_year_are_versions_and_the_latest_applies(auditor):
    admin = staff("admin")
    assert monitoring.rules_for(2030).version == 0                   # the defaults
    first = monitoring.set_rules(2030, admin, {**CommissionerRules.DEFAULTS,
                                               "min_services": 10}, "少一些")
    again = monitoring.set_rules(2030, admin, first.values())       # nothing changes
    second = monitoring.set_rules(2030, admin, {**first.values(), "min_firms": 2})
    assert (first.version, again.id, second.version) == (1, first.id, 2)
    assert monitoring.rules_for(2030).min_firms == 2
    assert monitoring.rules_for(2031).id == second.id                # carried forward
    assert [v.version for v in yearly_rules.versions_of(CommissionerRules, 2030)] == [2, 1]
    with pytest.raises(ValidationFailed):
        monitoring.set_rules(2030, admin, {**second.values(), "excellent_services": 5})


def test_the_assessment_renews_the_competent_and_withdraws_the_others(auditor):
    year = TODAY.year - 1
    supervisor = staff("supervisor")
    good = served_year(recognised(auditor=auditor, since_days=800), 3, 4, year=year)
    idle = served_year(recognised(auditor=auditor, since_days=800), 1, 2, year=year)
    rows = {row.commissioner_id: row for row in monitoring.compute_assessments(year, auditor)}
    assert rows[good.id].grade == Grade.COMPETENT
    assert (rows[idle.id].grade, rows[idle.id].reason_codes) == (
        Grade.NOT_COMPETENT, ["too_few_services", "too_few_served"])
    monitoring.confirm_assessment(rows[good.id], supervisor)
    monitoring.confirm_assessment(rows[idle.id], supervisor)
    assert good.status == CommissionerStatus.RECOGNISED
    assert good.recognised_until == date(year + 1, 12, 31)
    assert idle.status == CommissionerStatus.WITHDRAWN and "2" in idle.status_reason
    # computing again leaves the confirmed assessments as they are
    assert monitoring.compute_assessments(year, auditor) == []
    assert rows[good.id].status == AssessmentStatus.CONFIRMED


def test_a_year_is_assessed_from_its_last_month_on(auditor):
    with pytest.raises(monitoring.AssessmentTooEarly):
        monitoring.compute_assessments(TODAY.year + 1, auditor)


def test_the_monitoring_rows_say_who_is_behind(auditor):
    commissioner = recognised(auditor=auditor, since_days=400)
    member = FirmMemberFactory()
    pairing = paired(commissioner, member, since_days=400)
    activity.answer_service(log(commissioner, pairing, TODAY), member, confirm=True)
    _rules, [row] = monitoring.monitoring_rows([commissioner], TODAY.year, TODAY)
    expected = Standing.BEHIND if TODAY.timetuple().tm_yday > 62 else Standing.ON_TRACK
    assert row["standing"] == expected and row["silent_days"] == 0
