"""Programmes (yearly calls with a budget), their versioned rules, applications, vouchers."""
import enum
import json

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class Programme(db.Model):
    """A yearly voucher call (科创券年度计划) with its budget pool."""
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    budget_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    applications_open_on: Mapped[object] = mapped_column(Date, nullable=False)
    applications_close_on: Mapped[object] = mapped_column(Date, nullable=False)
    vouchers_valid_until: Mapped[object] = mapped_column(Date, nullable=False)
    current_rules_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_rule_versions.id", use_alter=True,
                   name="fk_programmes_current_rules_id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    current_rules = relationship("ProgrammeRuleVersion", foreign_keys=[current_rules_id],
                                 post_update=True, lazy="joined")

    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        CheckConstraint("applications_close_on >= applications_open_on",
                        name="window_in_order"),
        CheckConstraint("vouchers_valid_until >= applications_close_on",
                        name="validity_after_window"),
    )

    def is_open_on(self, day):
        return self.applications_open_on <= day <= self.applications_close_on


class ProgrammeRuleVersion(db.Model):
    """The rules of a programme as they stood from ``created_dt``; never edited after use.

    Every decision records the version it applied, so a changed cap cannot silently
    rewrite the reasons given for yesterday's decisions.
    """
    __tablename__ = "programme_rule_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), nullable=False,
                                              index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # share of the contract amount in basis points (5000 = 50%) and cap, per firm tier
    share_bp_tech_sme: Mapped[int] = mapped_column(Integer, nullable=False)
    share_bp_high_tech: Mapped[int] = mapped_column(Integer, nullable=False)
    share_bp_benchmark: Mapped[int] = mapped_column(Integer, nullable=False)
    cap_fen_tech_sme: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cap_fen_high_tech: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cap_fen_benchmark: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_order_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # the most one contract's voucher part may be (split orders add up against it)
    single_order_max_fen: Mapped[int] = mapped_column(BigInteger, nullable=False,
                                                      server_default="20000000")
    claim_deadline_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # the integrity checks' thresholds: contracts of one firm with one seller (agencies
    # sharing a person count as one) within this many days add up against the single-order
    # maximum; a contract amount above this share of the offering's listed price (or the
    # top of its guide band), or of the 90th percentile of its category on the platform
    # (once the category has this many contracts), is flagged
    split_window_days: Mapped[int] = mapped_column(Integer, nullable=False,
                                                   server_default="90")
    price_ratio_max_bp: Mapped[int] = mapped_column(Integer, nullable=False,
                                                    server_default="15000")
    category_ratio_max_bp: Mapped[int] = mapped_column(Integer, nullable=False,
                                                       server_default="20000")
    category_min_contracts: Mapped[int] = mapped_column(Integer, nullable=False,
                                                        server_default="10")
    eligible_category_codes: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    note: Mapped[str | None] = mapped_column(String(300))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("programme_id", "version", name="uq_programme_rule_versions_version"),
        CheckConstraint("share_bp_tech_sme BETWEEN 1 AND 10000 AND share_bp_high_tech "
                        "BETWEEN 1 AND 10000 AND share_bp_benchmark BETWEEN 1 AND 10000",
                        name="shares_in_range"),
        CheckConstraint("cap_fen_tech_sme > 0 AND cap_fen_high_tech > 0 AND "
                        "cap_fen_benchmark > 0", name="caps_positive"),
        CheckConstraint("min_order_fen >= 0 AND claim_deadline_days > 0",
                        name="limits_sensible"),
        CheckConstraint("single_order_max_fen > 0", name="single_order_max_positive"),
        CheckConstraint("split_window_days BETWEEN 1 AND 3650 AND price_ratio_max_bp > 10000 "
                        "AND category_ratio_max_bp > 10000 AND category_min_contracts >= 1",
                        name="integrity_thresholds_sensible"),
    )

    def cap_for(self, tier):
        return {"tech_sme": self.cap_fen_tech_sme, "high_tech": self.cap_fen_high_tech,
                "benchmark_high_tech": self.cap_fen_benchmark}[_tier_value(tier)]

    def share_bp_for(self, tier):
        return {"tech_sme": self.share_bp_tech_sme, "high_tech": self.share_bp_high_tech,
                "benchmark_high_tech": self.share_bp_benchmark}[_tier_value(tier)]

    @property
    def category_codes(self):
        return json.loads(self.eligible_category_codes or "[]")


def _tier_value(tier):
    return getattr(tier, "value", tier)


class ApplicationStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# An application still "alive" blocks a second one for the same firm and programme.
LIVE_APPLICATION_STATUSES = ("submitted", "returned", "approved")


class VoucherApplication(db.Model):
    __tablename__ = "voucher_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), nullable=False,
                                              index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                         index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, name="application_status"), nullable=False,
        default=ApplicationStatus.SUBMITTED, index=True)
    requested_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    approved_fen: Mapped[int | None] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    planned_category_codes: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    declares_no_double_funding: Mapped[bool] = mapped_column(Boolean, nullable=False)
    eligibility: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("programme_rule_versions.id"),
                                                 nullable=False)
    submitted_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    decided_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decision_rule_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_rule_versions.id"))

    programme = relationship(Programme, lazy="joined")
    firm = relationship(Organisation, lazy="joined")
    rule_version = relationship(ProgrammeRuleVersion, foreign_keys=[rule_version_id])

    __table_args__ = (
        CheckConstraint("requested_fen > 0", name="requested_positive"),
        CheckConstraint("approved_fen IS NULL OR approved_fen > 0", name="approved_positive"),
        CheckConstraint("status <> 'approved' OR approved_fen IS NOT NULL",
                        name="approved_has_amount"),
        db.Index("uq_voucher_applications_live", "programme_id", "firm_id", unique=True,
                 postgresql_where=db.text("status IN ('submitted', 'returned', 'approved')"),
                 sqlite_where=db.text("status IN ('submitted', 'returned', 'approved')")),
    )

    @property
    def eligibility_results(self):
        return json.loads(self.eligibility or "[]")

    @property
    def planned_categories(self):
        return json.loads(self.planned_category_codes or "[]")

    @property
    def is_eligible(self):
        return all(result["passed"] for result in self.eligibility_results)


VoucherApplication.TRANSITIONS = TransitionTable({
    ApplicationStatus.SUBMITTED: {"approve": ApplicationStatus.APPROVED,
                                  "reject": ApplicationStatus.REJECTED,
                                  "return": ApplicationStatus.RETURNED,
                                  "withdraw": ApplicationStatus.WITHDRAWN},
    ApplicationStatus.RETURNED: {"resubmit": ApplicationStatus.SUBMITTED,
                                 "withdraw": ApplicationStatus.WITHDRAWN},
})


class VoucherStatus(str, enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Voucher(db.Model):
    """An issued innovation voucher (洪城科创券). Its money lives in two ledger accounts
    (available and reserved); spent and expired amounts are flows out of them."""
    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), nullable=False)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                         index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"),
                                                nullable=False, unique=True)
    face_value_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[VoucherStatus] = mapped_column(
        enum_column(VoucherStatus, name="voucher_status"), nullable=False,
        default=VoucherStatus.ACTIVE, index=True)
    issued_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    expires_on: Mapped[object] = mapped_column(Date, nullable=False, index=True)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("programme_rule_versions.id"),
                                                 nullable=False)
    reminder_30_sent_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    reminder_7_sent_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    programme = relationship(Programme, lazy="joined")
    firm = relationship(Organisation, lazy="joined")

    __table_args__ = (
        UniqueConstraint("programme_id", "firm_id", name="uq_vouchers_one_per_firm"),
        CheckConstraint("face_value_fen > 0", name="face_value_positive"),
    )

    @property
    def is_active(self):
        """It may still commit money: released money on any other voucher goes back to
        the pool (funds asks this, it does not know the statuses)."""
        return self.status == VoucherStatus.ACTIVE

    @property
    def is_revoked(self):
        return self.status == VoucherStatus.REVOKED


Voucher.TRANSITIONS = TransitionTable({
    VoucherStatus.ACTIVE: {"expire": VoucherStatus.EXPIRED, "revoke": VoucherStatus.REVOKED},
})
