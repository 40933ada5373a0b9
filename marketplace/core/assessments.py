"""A yearly assessment (考核) of someone the bureau relies on, commissioner or expert: a
grade computed from the platform's figures with the reasons that decided it, proposed by
an auditor and confirmed by a supervisor (who may add a comment). Each domain's table adds
the person and the figures it grades."""
import enum
import json

from sqlalchemy import ForeignKey, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column


class Grade(str, enum.Enum):
    EXCELLENT = "excellent"
    COMPETENT = "competent"
    NOT_COMPETENT = "not_competent"


class AssessmentStatus(str, enum.Enum):
    PROPOSED = "proposed"      # computed; may be computed again
    CONFIRMED = "confirmed"    # confirmed by a supervisor, with its outcome


class AssessmentRecord:
    """The columns every assessment has; a unique (person, year) goes with the table."""

    TRANSITIONS = TransitionTable({
        AssessmentStatus.PROPOSED: {"confirm": AssessmentStatus.CONFIRMED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_column(AssessmentStatus, name="assessment_status"), nullable=False,
        default=AssessmentStatus.PROPOSED)
    grade: Mapped[Grade] = mapped_column(enum_column(Grade, name="assessment_grade"),
                                         nullable=False)
    # the reasons the grade gives, as label keys (a JSON list)
    reasons: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    computed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    @property
    def reason_codes(self):
        return json.loads(self.reasons or "[]")

    def propose(self, grade, reasons, actor):
        """Record a (new) computation; only a proposal may be computed again."""
        self.grade, self.reasons = grade, json.dumps(list(reasons))
        self.computed_dt, self.computed_by_id = now_utc(), getattr(actor, "id", None)

    def confirmed_by(self, actor, comment=None):
        self.confirmed_dt, self.confirmed_by_id = now_utc(), actor.id
        self.comment = (comment or "").strip() or None
