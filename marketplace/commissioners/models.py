"""Science and technology commissioners (科技特派员): a person's application and, once
recognised, their entry in the public directory; the firms, villages and parks they are
paired with; each service they log and the served party's answer; the yearly minimums
(versioned rules) and the yearly assessment that ends in renewal or withdrawal."""
import enum

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.assessments import AssessmentRecord
from marketplace.core.notices import ObjectionRecord
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.core.yearly_rules import YearlyRuleVersion
from marketplace.extensions import db


class CommissionerStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLIC_NOTICE = "public_notice"
    RECOGNISED = "recognised"
    REJECTED = "rejected"
    WITHDRAWN = "recognition_withdrawn"


# the applicant may change the application in these states (and submit it again)
EDITABLE = (CommissionerStatus.RETURNED, CommissionerStatus.REJECTED,
            CommissionerStatus.WITHDRAWN)


class Commissioner(db.Model):
    """One person's application to be a commissioner, and their record once recognised."""
    __tablename__ = "commissioners"

    # submitted -> public notice (approve) -> recognised (the notice concluded) ; returned
    # for correction -> submitted again; rejected (also by an upheld objection); a
    # recognised commissioner is renewed each year or withdrawn; the rejected and the
    # withdrawn may apply again.
    TRANSITIONS = TransitionTable({
        CommissionerStatus.SUBMITTED: {"approve": CommissionerStatus.PUBLIC_NOTICE,
                                       "return": CommissionerStatus.RETURNED,
                                       "reject": CommissionerStatus.REJECTED},
        CommissionerStatus.RETURNED: {"submit": CommissionerStatus.SUBMITTED},
        CommissionerStatus.PUBLIC_NOTICE: {"recognise": CommissionerStatus.RECOGNISED,
                                           "reject": CommissionerStatus.REJECTED},
        CommissionerStatus.RECOGNISED: {"renew": CommissionerStatus.RECOGNISED,
                                        "withdraw": CommissionerStatus.WITHDRAWN},
        CommissionerStatus.REJECTED: {"submit": CommissionerStatus.SUBMITTED},
        CommissionerStatus.WITHDRAWN: {"submit": CommissionerStatus.SUBMITTED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, unique=True)
    status: Mapped[CommissionerStatus] = mapped_column(
        enum_column(CommissionerStatus, name="commissioner_status"), nullable=False,
        default=CommissionerStatus.SUBMITTED, index=True)
    field_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # the applicant's organisation when it is on the platform (their firm or agency)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    qualifications: Mapped[str] = mapped_column(Text, nullable=False)
    expertise: Mapped[str] = mapped_column(Text, nullable=False)
    service_areas: Mapped[str] = mapped_column(Text, nullable=False)
    # where the commissioner mainly serves (the directory's district filter)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False,
                                             index=True)

    submitted_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    notice_opened_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    notice_ends_dt: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    recognised_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    recognised_until: Mapped[object | None] = mapped_column(Date)
    status_changed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False,
                                                      default=now_utc)
    # the reason of the last return, rejection or withdrawal, shown to the applicant
    status_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the latest reminder of silence or of falling behind the year's minimum
    reminded_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    user = relationship("User", foreign_keys=[user_id], lazy="joined", innerjoin=True)
    district = relationship("District", lazy="joined")
    organisation = relationship("Organisation", lazy="select")

    __table_args__ = (
        CheckConstraint("status <> 'recognised' OR recognised_dt IS NOT NULL",
                        name="recognised_has_date"),
    )

    @property
    def name(self):
        return self.user.name

    @property
    def is_editable(self):
        return self.status in EDITABLE

    @property
    def is_recognised(self):
        return self.status == CommissionerStatus.RECOGNISED


class CommissionerObjection(ObjectionRecord, db.Model):
    """An objection filed against a commissioner's recognition during its notice."""
    __tablename__ = "commissioner_objections"

    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"),
                                                 nullable=False, index=True)

    commissioner = relationship(Commissioner)


class PairingKind(str, enum.Enum):
    FIRM = "firm"
    VILLAGE = "village"
    PARK = "park"


class PairingStatus(str, enum.Enum):
    REQUESTED = "asked"        # a firm asked; the commissioner has not answered
    ACTIVE = "paired"
    DECLINED = "declined"
    ENDED = "ended"


class Pairing(db.Model):
    """A commissioner serving a firm (on the platform), a village or a park. A firm asks
    and the commissioner accepts; the bureau pairs directly."""
    __tablename__ = "commissioner_pairings"

    TRANSITIONS = TransitionTable({
        PairingStatus.REQUESTED: {"accept": PairingStatus.ACTIVE,
                                  "decline": PairingStatus.DECLINED},
        PairingStatus.ACTIVE: {"end": PairingStatus.ENDED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"),
                                                 nullable=False, index=True)
    kind: Mapped[PairingKind] = mapped_column(enum_column(PairingKind, name="pairing_kind"),
                                              nullable=False)
    status: Mapped[PairingStatus] = mapped_column(
        enum_column(PairingStatus, name="pairing_status"), nullable=False,
        default=PairingStatus.REQUESTED, index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # a village's or park's name (a firm's is its organisation's)
    place_name: Mapped[str | None] = mapped_column(String(200))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    decided_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    ended_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    commissioner = relationship(Commissioner, lazy="joined", innerjoin=True)
    firm = relationship("Organisation", lazy="joined")
    district = relationship("District", lazy="joined")

    __table_args__ = (
        CheckConstraint("(kind = 'firm') = (firm_id IS NOT NULL)", name="firm_names_firm"),
        CheckConstraint("kind = 'firm' OR place_name IS NOT NULL", name="place_named"),
        # one live pairing of a commissioner with a firm
        Index("uq_commissioner_pairings_live_firm", "commissioner_id", "firm_id",
              unique=True, postgresql_where=db.text("status IN ('asked', 'paired')"),
              sqlite_where=db.text("status IN ('asked', 'paired')")),
    )

    @property
    def served_name(self):
        return self.firm.name if self.firm is not None else self.place_name


class ServiceStatus(str, enum.Enum):
    LOGGED = "logged"          # waiting for the served party's answer
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class CommissionerService(db.Model):
    """One service a commissioner gave (date, place, who, what, outcome). A firm's members
    confirm or dispute it; for a village or a park the bureau does."""
    __tablename__ = "commissioner_services"

    TRANSITIONS = TransitionTable({
        ServiceStatus.LOGGED: {"confirm": ServiceStatus.CONFIRMED,
                               "dispute": ServiceStatus.DISPUTED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"),
                                                 nullable=False)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("commissioner_pairings.id"),
                                            nullable=False, index=True)
    status: Mapped[ServiceStatus] = mapped_column(
        enum_column(ServiceStatus, name="commissioner_service_status"), nullable=False,
        default=ServiceStatus.LOGGED, index=True)
    service_on: Mapped[object] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    participants: Mapped[str] = mapped_column(Text, nullable=False)
    work_done: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    logged_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    dispute_reason: Mapped[str | None] = mapped_column(Text)

    pairing = relationship(Pairing, lazy="joined", innerjoin=True)
    attachments = relationship("ServiceAttachment", lazy="selectin",
                               order_by="ServiceAttachment.id")

    __table_args__ = (
        Index("ix_commissioner_services_commissioner_date", "commissioner_id", "service_on"),
        CheckConstraint("status <> 'disputed' OR dispute_reason IS NOT NULL",
                        name="dispute_has_reason"),
    )


class ServiceAttachment(db.Model):
    """A file given with a logged service (a photo, the minutes), stored as the registry
    stores qualification documents."""
    __tablename__ = "commissioner_service_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("commissioner_services.id"),
                                            nullable=False, index=True)
    storage_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)


class CommissionerRules(YearlyRuleVersion, db.Model):
    """The year's minimum and the assessment's thresholds (rates in basis points)."""
    __tablename__ = "commissioner_rules"

    DEFAULTS = {"min_services": 12, "min_firms": 3, "silence_days": 60,
                "min_confirmed_rate_bp": 0, "excellent_services": 24,
                "excellent_firms": 5, "excellent_confirmed_rate_bp": 9000}

    min_services: Mapped[int] = mapped_column(Integer, nullable=False)
    min_firms: Mapped[int] = mapped_column(Integer, nullable=False)
    silence_days: Mapped[int] = mapped_column(Integer, nullable=False)
    min_confirmed_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    excellent_services: Mapped[int] = mapped_column(Integer, nullable=False)
    excellent_firms: Mapped[int] = mapped_column(Integer, nullable=False)
    excellent_confirmed_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        UniqueConstraint("year", "version", name="uq_commissioner_rules_year_version"),
        CheckConstraint("min_services >= 0 AND min_firms >= 0 AND silence_days >= 1 "
                        "AND excellent_services >= min_services "
                        "AND excellent_firms >= min_firms "
                        "AND min_confirmed_rate_bp BETWEEN 0 AND 10000 "
                        "AND excellent_confirmed_rate_bp BETWEEN 0 AND 10000",
                        name="rules_sensible"),
    )


class CommissionerAssessment(AssessmentRecord, db.Model):
    """A commissioner's year: the figures, the grade they give under the year's rules,
    and once confirmed the outcome (renewal or withdrawal)."""
    __tablename__ = "commissioner_assessments"

    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"),
                                                 nullable=False)
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("commissioner_rules.id"))
    logged: Mapped[int] = mapped_column(Integer, nullable=False)
    confirmed: Mapped[int] = mapped_column(Integer, nullable=False)
    disputed: Mapped[int] = mapped_column(Integer, nullable=False)
    served: Mapped[int] = mapped_column(Integer, nullable=False)
    confirmed_rate_bp: Mapped[int | None] = mapped_column(Integer)

    commissioner = relationship(Commissioner, lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("commissioner_id", "year", name="uq_commissioner_assessments_year"),
        CheckConstraint("logged >= confirmed + disputed AND confirmed >= 0 "
                        "AND disputed >= 0 AND served >= 0", name="figures_sensible"),
    )
