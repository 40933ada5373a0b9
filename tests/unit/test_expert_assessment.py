"""An expert's yearly grade from the year's figures, without a database."""
from marketplace.core.assessments import Grade
from marketplace.experts.assessment import Figures, Rules, grade

RULES = Rules()


def test_three_no_shows_in_the_year_are_not_competent():
    found, reasons = grade(Figures(invitations=5, answered_in_time=2, no_shows=3), RULES)
    assert found == Grade.NOT_COMPETENT and "too_many_no_shows" in reasons
    assert grade(Figures(invitations=5, answered_in_time=5, no_shows=2), RULES)[0] != \
        Grade.NOT_COMPETENT


def test_a_tie_found_after_a_draw_is_not_competent():
    assert grade(Figures(invitations=1, answered_in_time=1, late_conflicts=1), RULES) == \
        (Grade.NOT_COMPETENT, ["conflict_found_later"])


def test_answering_late_counts_only_over_three_invitations():
    assert grade(Figures(invitations=2, answered_in_time=0), RULES)[0] == \
        Grade.COMPETENT
    found, reasons = grade(Figures(invitations=4, answered_in_time=2), RULES)
    assert (found, reasons) == (Grade.NOT_COMPETENT, ["answers_late"])


def test_scores_far_from_the_panel_over_three_cases_are_not_competent():
    far = Figures(invitations=3, answered_in_time=3, scored=3, distances_x100=[200, 180, 160])
    assert grade(far, RULES) == (Grade.NOT_COMPETENT, ["scores_far_from_panel"])
    two_cases = Figures(invitations=3, answered_in_time=3, scored=2, distances_x100=[300, 300])
    assert grade(two_cases, RULES)[0] == Grade.COMPETENT


def test_excellent_answers_in_time_and_scores_near_the_panel():
    good = Figures(invitations=4, answered_in_time=4, scored=4, distances_x100=[0, 33, 50, 40])
    assert grade(good, RULES) == (Grade.EXCELLENT, ["above_excellent"])
    assert grade(Figures(invitations=4, answered_in_time=4, scored=4,
                         distances_x100=[100, 80, 90, 70]), RULES)[0] == Grade.COMPETENT
