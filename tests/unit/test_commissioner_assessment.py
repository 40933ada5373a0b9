"""The rules of a commissioner's year, without a database: the minimum, the grade, the
standing during the year and when a reminder is due."""
from datetime import date

import marketplace.models  # noqa: F401  (the whole schema, so the rules' row can be built)
from marketplace.commissioners import assessment
from marketplace.commissioners.assessment import Figures, Standing
from marketplace.commissioners.models import CommissionerRules
from marketplace.core.assessments import Grade

RULES = CommissionerRules(year=2026, version=0, **CommissionerRules.DEFAULTS)


def rules(**changes):
    return CommissionerRules(year=2026, version=1, **{**CommissionerRules.DEFAULTS, **changes})


def test_twelve_confirmed_services_to_three_served_is_competent():
    assert assessment.grade(Figures(logged=12, confirmed=12, served=3), RULES, 2026) == \
        (Grade.COMPETENT, ["meets_minimum"])


def test_below_the_minimum_of_services_or_of_firms_is_not_competent():
    found, reasons = assessment.grade(Figures(logged=20, confirmed=11, served=5), RULES, 2026)
    assert (found, reasons) == (Grade.NOT_COMPETENT, ["too_few_services"])
    found, reasons = assessment.grade(Figures(logged=30, confirmed=30, served=2), RULES, 2026)
    assert (found, reasons) == (Grade.NOT_COMPETENT, ["too_few_served"])


def test_logged_but_unconfirmed_services_do_not_count():
    found, _ = assessment.grade(Figures(logged=40, confirmed=0, served=0), RULES, 2026)
    assert found == Grade.NOT_COMPETENT


def test_excellent_needs_every_threshold():
    excellent = Figures(logged=26, confirmed=24, disputed=2, served=5)
    assert assessment.grade(excellent, RULES, 2026)[0] == Grade.EXCELLENT
    # 24 of 27 answered is 88.9%, below the 90% of "excellent"
    assert assessment.grade(Figures(logged=27, confirmed=24, disputed=3, served=5),
                            RULES, 2026)[0] == Grade.COMPETENT
    assert assessment.grade(Figures(logged=24, confirmed=24, served=4), RULES, 2026)[0] == \
        Grade.COMPETENT


def test_a_minimum_share_confirmed_applies_only_when_the_bureau_sets_one():
    disputed_often = Figures(logged=30, confirmed=12, disputed=18, served=3)
    assert assessment.grade(disputed_often, RULES, 2026)[0] == Grade.COMPETENT
    found, reasons = assessment.grade(disputed_often, rules(min_confirmed_rate_bp=5000), 2026)
    assert (found, reasons) == (Grade.NOT_COMPETENT, ["too_few_confirmed"])


def test_a_commissioner_recognised_in_july_needs_the_services_pro_rata():
    # 184 of 365 days: 12 x 184 / 365 = 6.05, rounded up to 7
    assert assessment.required_services(RULES, 2026, date(2026, 7, 1)) == 7
    assert assessment.grade(Figures(confirmed=7, served=3), RULES, 2026,
                            date(2026, 7, 1))[0] == Grade.COMPETENT
    assert assessment.grade(Figures(confirmed=6, served=3), RULES, 2026,
                            date(2026, 7, 1))[0] == Grade.NOT_COMPETENT
    # in December a single service is the minimum, and one served place
    assert assessment.required_services(RULES, 2026, date(2026, 12, 20)) == 1
    assert assessment.required_served(RULES, 2026, date(2026, 12, 20)) == 1


def test_sixty_days_without_a_service_is_silence():
    figures = Figures(confirmed=3, served=1, last_service_on=date(2026, 3, 1))
    assert assessment.standing(figures, RULES, date(2026, 4, 29), date(2026, 1, 1)) != \
        Standing.SILENT
    assert assessment.standing(figures, RULES, date(2026, 4, 30), date(2026, 1, 1)) == \
        Standing.SILENT
    # no service yet: the silence runs from the recognition
    assert assessment.standing(Figures(), RULES, date(2026, 3, 2), date(2026, 1, 1)) == \
        Standing.SILENT


def test_behind_the_pace_on_track_and_met():
    recognised = date(2025, 6, 1)
    today = date(2026, 7, 2)          # 182 days of 365 gone: the pace asks for 5
    recent = date(2026, 6, 30)
    assert assessment.expected_by(RULES, today, recognised) == 5
    assert assessment.standing(Figures(confirmed=4, served=2, last_service_on=recent),
                               RULES, today, recognised) == Standing.BEHIND
    assert assessment.standing(Figures(confirmed=5, served=2, last_service_on=recent),
                               RULES, today, recognised) == Standing.ON_TRACK
    assert assessment.standing(Figures(confirmed=12, served=3, last_service_on=recent),
                               RULES, today, recognised) == Standing.MET


def test_a_silence_is_reminded_once_until_a_service_breaks_it():
    recognised = date(2026, 1, 1)
    silent = Figures(last_service_on=date(2026, 2, 1))
    day = date(2026, 4, 10)
    assert assessment.reminder_due(silent, RULES, day, recognised, None, 30) == Standing.SILENT
    assert assessment.reminder_due(silent, RULES, day, recognised, date(2026, 4, 2), 30) \
        is None
    # a service on 5 April, then silence again until mid-June: a new reminder
    later = Figures(confirmed=1, served=1, last_service_on=date(2026, 4, 5))
    assert assessment.reminder_due(later, RULES, date(2026, 6, 10), recognised,
                                   date(2026, 4, 2), 30) == Standing.SILENT


def test_falling_behind_is_reminded_at_most_every_interval():
    recognised = date(2025, 1, 1)
    behind = Figures(confirmed=1, served=1, last_service_on=date(2026, 6, 20))
    day = date(2026, 7, 1)
    assert assessment.reminder_due(behind, RULES, day, recognised, None, 30) == Standing.BEHIND
    assert assessment.reminder_due(behind, RULES, day, recognised, date(2026, 6, 15), 30) \
        is None
    assert assessment.reminder_due(behind, RULES, day, recognised, date(2026, 5, 31), 30) \
        == Standing.BEHIND
