"""The growing expert pool (专家库): applications to join, the admin's yearly target of
experts from outside the province (with the rule that large claims draw one of them), and
each expert's yearly assessment. The pool itself (profiles, ties, invitations) lives with
the claims the experts review (marketplace/claims/expert_models.py)."""
import enum

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Integer, SmallInteger,
                        String, Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts import uscc
from marketplace.core.assessments import AssessmentRecord
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db

application_fields = Table(
    "expert_application_fields", db.metadata,
    Column("application_id", ForeignKey("expert_applications.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", ForeignKey("service_categories.id"), primary_key=True),
)


class ApplicationStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    ADMITTED = "admitted"
    REJECTED = "rejected"


class ExpertApplication(db.Model):
    """A person's application to join the pool, with the ties they declare."""
    __tablename__ = "expert_applications"

    TRANSITIONS = TransitionTable({
        ApplicationStatus.SUBMITTED: {"admit": ApplicationStatus.ADMITTED,
                                      "reject": ApplicationStatus.REJECTED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # the employer's credit code when it is on the platform (never drawn for its claims)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    province: Mapped[str] = mapped_column(String(2), nullable=False)
    # organisations the applicant declares ties to: credit codes, one a line, and why
    conflict_codes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    declared_conflicts: Mapped[str] = mapped_column(Text, nullable=False, default="")
    locale: Mapped[str] = mapped_column(String(8), nullable=False, default="zh")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, name="expert_application_status"), nullable=False,
        default=ApplicationStatus.SUBMITTED, index=True)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    decided_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # the expert's account, once admitted
    expert_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    fields = relationship("ServiceCategory", secondary=application_fields, lazy="selectin")
    organisation = relationship("Organisation", lazy="joined")

    @property
    def codes(self):
        return uscc.codes_in(self.conflict_codes)


class PoolSetting(db.Model):
    """The admin's choices for a year: the target share of experts from outside the
    province, and whether a large claim's panel must include one."""
    __tablename__ = "expert_pool_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False, unique=True)
    out_of_province_target_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    require_out_of_province: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        CheckConstraint("out_of_province_target_bp BETWEEN 0 AND 10000",
                        name="target_is_a_share"),
    )


class ExpertAssessment(AssessmentRecord, db.Model):
    """An expert's year from the platform's figures; confirmed by a supervisor. A "not
    competent" one removes the expert from the pool (退库) when confirmed."""
    __tablename__ = "expert_assessments"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.user_id"),
                                           nullable=False)
    invitations: Mapped[int] = mapped_column(Integer, nullable=False)
    answered_in_time: Mapped[int] = mapped_column(Integer, nullable=False)
    no_shows: Mapped[int] = mapped_column(Integer, nullable=False)
    scored: Mapped[int] = mapped_column(Integer, nullable=False)
    # the mean distance of the expert's mean score from the panel's, in hundredths
    mean_distance_x100: Mapped[int | None] = mapped_column(Integer)
    late_conflicts: Mapped[int] = mapped_column(Integer, nullable=False)

    expert = relationship("ExpertProfile", lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("expert_id", "year", name="uq_expert_assessments_year"),
        CheckConstraint("invitations >= answered_in_time AND invitations >= no_shows "
                        "AND answered_in_time >= 0 AND no_shows >= 0 AND scored >= 0 "
                        "AND late_conflicts >= 0", name="figures_sensible"),
    )
