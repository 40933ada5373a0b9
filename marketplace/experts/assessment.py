"""An expert's yearly assessment from the platform's own records (the invitations of the
year): answered in time, no-shows, how far their scores lie from their panels', ties to a
party found after the draw. An auditor computes the year's proposals, a supervisor
confirms each; a confirmed "not competent" removes the expert from the pool (退库) with
the reason, and the expert is told.

The thresholds come from the configuration (EXPERT_*): a rule's count of no-shows, the
share of invitations answered in time, the mean distance from the panel; each share or
distance counts only over enough cases (ASSESSMENT_MIN_CASES) to mean something."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.claims import experts as claim_experts
from marketplace.claims.expert_models import ExpertProfile
from marketplace.core import audit, outbox
from marketplace.core.assessments import AssessmentStatus, Grade
from marketplace.core.errors import InvalidTransition
from marketplace.core.rows import hold_key
from marketplace.core.states import transition
from marketplace.experts import services
from marketplace.experts.models import ExpertAssessment
from marketplace.extensions import db

ASSESSMENT_MIN_CASES = 3
# core.rows.hold_key's namespace: one computation of a year's assessments at a time
_COMPUTE_LOCK_NAMESPACE = 7_100_023


@dataclass(frozen=True)
class Rules:
    no_show_limit: int = 3
    min_in_time_bp: int = 7000
    max_distance_x100: int = 150
    excellent_in_time_bp: int = 9500
    excellent_distance_x100: int = 50
    excellent_min_scored: int = 3

    @classmethod
    def from_config(cls):
        config = current_app.config
        return cls(**{name: config[f"EXPERT_{name.upper()}"]
                      for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Figures:
    invitations: int = 0
    answered_in_time: int = 0
    no_shows: int = 0
    scored: int = 0
    distances_x100: list = field(default_factory=list)
    late_conflicts: int = 0

    @property
    def in_time_bp(self):
        return None if self.invitations == 0 else \
            self.answered_in_time * 10_000 // self.invitations

    @property
    def mean_distance_x100(self):
        return None if not self.distances_x100 else \
            sum(self.distances_x100) // len(self.distances_x100)


def grade(figures, rules):
    """``(Grade, reasons)`` of a year's figures."""
    shortfalls = []
    if figures.no_shows >= rules.no_show_limit:
        shortfalls.append("too_many_no_shows")
    if figures.late_conflicts:
        shortfalls.append("conflict_found_later")
    if figures.invitations >= ASSESSMENT_MIN_CASES and \
            figures.in_time_bp < rules.min_in_time_bp:
        shortfalls.append("answers_late")
    if len(figures.distances_x100) >= ASSESSMENT_MIN_CASES and \
            figures.mean_distance_x100 > rules.max_distance_x100:
        shortfalls.append("scores_far_from_panel")
    if shortfalls:
        return Grade.NOT_COMPETENT, shortfalls
    if (figures.no_shows == 0 and figures.invitations >= ASSESSMENT_MIN_CASES
            and figures.in_time_bp >= rules.excellent_in_time_bp
            and figures.scored >= rules.excellent_min_scored
            and figures.mean_distance_x100 is not None
            and figures.mean_distance_x100 <= rules.excellent_distance_x100):
        return Grade.EXCELLENT, ["above_excellent"]
    return Grade.COMPETENT, ["meets_minimum"]


def assessments_query(year):
    return (select(ExpertAssessment).where(ExpertAssessment.year == year)
            .order_by(ExpertAssessment.grade.desc(), ExpertAssessment.expert_id))


def compute(year, actor):
    """Propose the year's assessment of every expert in the pool invited that year;
    proposals not yet confirmed are computed again."""
    # computed twice at once (a double click, two auditors), both would find no row of an
    # expert and the second insert would break its unique key: the second waits
    hold_key(_COMPUTE_LOCK_NAMESPACE, year)
    rules = Rules.from_config()
    inputs = claim_experts.assessment_inputs(year)
    in_pool = set(db.session.execute(select(ExpertProfile.user_id).where(
        ExpertProfile.user_id.in_(set(inputs)), ExpertProfile.removed_dt.is_(None))).scalars())
    existing = {a.expert_id: a for a in db.session.execute(
        assessments_query(year)).scalars()}
    done = []
    for expert_id in sorted(in_pool):
        figures = Figures(**inputs[expert_id])
        found, reasons = grade(figures, rules)
        row = existing.get(expert_id)
        if row is not None and row.status == AssessmentStatus.CONFIRMED:
            continue
        if row is None:
            row = ExpertAssessment(expert_id=expert_id, year=year)
            db.session.add(row)
        row.propose(found, reasons, actor)
        row.invitations, row.answered_in_time = figures.invitations, figures.answered_in_time
        row.no_shows, row.scored = figures.no_shows, figures.scored
        row.mean_distance_x100 = figures.mean_distance_x100
        row.late_conflicts = figures.late_conflicts
        db.session.flush()
        audit.record(row, "compute", actor=actor, after=row.status,
                     data={"grade": found.value, "reasons": reasons})
        done.append(row)
    return done


def confirm(row, actor, comment=None):
    """The supervisor confirms: a "not competent" expert is removed from the pool."""
    if row.status != AssessmentStatus.PROPOSED:
        raise InvalidTransition(details={"state": row.status.value, "action": "confirm"})
    transition(row, "confirm", actor=actor, data={"grade": row.grade.value})
    row.confirmed_by(actor, comment)
    profile = row.expert
    if row.grade == Grade.NOT_COMPETENT and profile.removed_dt is None:
        services.remove_from_pool(profile, actor, str(_l(
            "Not competent in the %(year)s assessment: %(no_shows)s no-shows, %(in_time)s of "
            "%(invitations)s invitations answered in time, %(late)s ties found after a draw.",
            year=row.year, no_shows=row.no_shows, in_time=row.answered_in_time,
            invitations=row.invitations, late=row.late_conflicts)))
    outbox.emit("experts.assessed", assessment_id=row.id)
    db.session.flush()
    return row
