"""Rewards for registering technology contracts (技术合同登记奖补): the year's rules
(versioned), the reward list the bureau computes from the registry, its lines (one per
organisation and role, with the basis they were computed on) and the contracts it
excluded with the reason. Rewards are recorded as paid with the payment's reference; the
money itself moves outside the platform's ledger."""
import enum
import json

from sqlalchemy import (BigInteger, CheckConstraint, ForeignKey, Index, Integer, SmallInteger,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.core.yearly_rules import YearlyRuleVersion
from marketplace.extensions import db


class RewardRole(str, enum.Enum):
    SELLER = "seller"
    BUYER = "buyer"
    BROKER = "broker"
    REGISTRATION_OFFICE = "registration_office"


class IncentiveRules(YearlyRuleVersion, db.Model):
    """Per role: a reward per registered contract and a rate on its technical transaction
    amount (basis points), capped per beneficiary and year (0: no cap); the registration
    office gets an amount per registration. Related parties' contracts are excluded unless
    ``excludes_related_parties`` is 0; cancelled contracts and those amended to zero always
    are."""
    __tablename__ = "incentive_rules"

    DEFAULTS = {
        "seller_per_contract_fen": 0, "seller_rate_bp": 100, "seller_cap_fen": 200_000_00,
        "buyer_per_contract_fen": 0, "buyer_rate_bp": 0, "buyer_cap_fen": 0,
        "broker_per_contract_fen": 2_000_00, "broker_rate_bp": 0, "broker_cap_fen": 0,
        "office_per_registration_fen": 100_00, "office_cap_fen": 0,
        "excludes_related_parties": 1,
    }

    seller_per_contract_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seller_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    seller_cap_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buyer_per_contract_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buyer_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    buyer_cap_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    broker_per_contract_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    broker_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    broker_cap_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    office_per_registration_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    office_cap_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    excludes_related_parties: Mapped[int] = mapped_column(SmallInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("year", "version", name="uq_incentive_rules_year_version"),
        CheckConstraint(
            "seller_per_contract_fen >= 0 AND seller_cap_fen >= 0 AND buyer_per_contract_fen "
            ">= 0 AND buyer_cap_fen >= 0 AND broker_per_contract_fen >= 0 AND broker_cap_fen "
            ">= 0 AND office_per_registration_fen >= 0 AND office_cap_fen >= 0",
            name="amounts_not_negative"),
        CheckConstraint("seller_rate_bp BETWEEN 0 AND 10000 AND buyer_rate_bp BETWEEN 0 AND "
                        "10000 AND broker_rate_bp BETWEEN 0 AND 10000",
                        name="rates_are_shares"),
        CheckConstraint("excludes_related_parties IN (0, 1)", name="flag_is_boolean"),
    )


class ListStatus(str, enum.Enum):
    COMPUTED = "computed"      # for review; computing again replaces it
    APPROVED = "approved"      # reviewed by a supervisor
    PAID = "rewards_paid"      # the payment recorded, with its reference
    DISCARDED = "discarded"    # replaced by a newer computation


class RewardList(db.Model):
    __tablename__ = "reward_lists"

    TRANSITIONS = TransitionTable({
        ListStatus.COMPUTED: {"approve": ListStatus.APPROVED,
                              "discard": ListStatus.DISCARDED},
        ListStatus.APPROVED: {"pay": ListStatus.PAID},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("incentive_rules.id"))
    rules_version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[ListStatus] = mapped_column(
        enum_column(ListStatus, name="reward_list_status"), nullable=False,
        default=ListStatus.COMPUTED, index=True)
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    contracts_counted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contracts_excluded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    computed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    payment_reference: Mapped[str | None] = mapped_column(String(100))

    rules = relationship(IncentiveRules, lazy="joined")

    __table_args__ = (
        # one live list a year: a new computation discards the previous one first
        Index("uq_reward_lists_live_year", "year", unique=True,
              postgresql_where=db.text("status <> 'discarded'"),
              sqlite_where=db.text("status <> 'discarded'")),
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
        CheckConstraint("status <> 'rewards_paid' OR payment_reference IS NOT NULL",
                        name="paid_has_reference"),
    )

    @property
    def is_published(self):
        """Approved or paid: each organisation sees its own line."""
        return self.status in (ListStatus.APPROVED, ListStatus.PAID)


class RewardLine(db.Model):
    """One beneficiary's reward in one role, with the contracts it was computed from."""
    __tablename__ = "reward_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("reward_lists.id"), nullable=False,
                                         index=True)
    role: Mapped[RewardRole] = mapped_column(enum_column(RewardRole, name="reward_role"),
                                             nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    beneficiary_name: Mapped[str] = mapped_column(String(200), nullable=False)
    contracts: Mapped[int] = mapped_column(Integer, nullable=False)
    registrations: Mapped[int] = mapped_column(Integer, nullable=False)
    basis_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    computed_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # [[contract number, technical amount in fen, reward in fen], ...]
    basis: Mapped[str] = mapped_column(Text, nullable=False, default="[]")

    reward_list = relationship(RewardList, lazy="joined", innerjoin=True)
    district = relationship("District", lazy="joined")

    __table_args__ = (
        CheckConstraint("amount_fen >= 0 AND amount_fen <= computed_fen",
                        name="amount_within_computed"),
        CheckConstraint("cap_fen IS NULL OR amount_fen <= cap_fen", name="amount_within_cap"),
    )

    @property
    def items(self):
        return json.loads(self.basis or "[]")

    @property
    def is_capped(self):
        return self.amount_fen < self.computed_fen


class ExclusionReason(str, enum.Enum):
    RELATED_PARTY = "related_party"
    CANCELLED = "cancelled_contract"
    AMENDED_TO_ZERO = "amended_to_zero"


class RewardExclusion(db.Model):
    """A contract registered in the year that earns nothing, and why."""
    __tablename__ = "reward_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("reward_lists.id"), nullable=False,
                                         index=True)
    contract_number: Mapped[str] = mapped_column(String(60), nullable=False)
    reason: Mapped[ExclusionReason] = mapped_column(
        enum_column(ExclusionReason, name="reward_exclusion_reason"), nullable=False)
    seller_name: Mapped[str] = mapped_column(String(200), nullable=False)
    buyer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    technical_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # what decided it (the facts related parties share)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")

    @property
    def detail_dict(self):
        return json.loads(self.detail or "{}")
