"""Technology results (成果), demands (需求), the matching index, brokers and their matches.

A result or a demand is drafted, published and closed through a transition table. The
matching index holds, for every listing (result, demand, offering, agency), its terms with
their frequencies and its length, so a ranking is one SQL query (see matching.py).
"""
import enum

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index,
                        Integer, SmallInteger, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class ListingStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


LISTING_TRANSITIONS = TransitionTable({
    ListingStatus.DRAFT: {"publish": ListingStatus.PUBLISHED},
    ListingStatus.PUBLISHED: {"close": ListingStatus.CLOSED},
    ListingStatus.CLOSED: {"reopen": ListingStatus.PUBLISHED},
})


class IpType(str, enum.Enum):
    INVENTION_PATENT = "invention_patent"
    UTILITY_PATENT = "utility_patent"
    SOFTWARE_COPYRIGHT = "software_copyright"
    KNOW_HOW = "know_how"


class TransferMode(str, enum.Enum):
    TRANSFER = "mode_transfer"
    LICENCE = "mode_licence"
    JOINT_DEVELOPMENT = "mode_joint_development"
    EQUITY = "mode_equity"


class TechResult(db.Model):
    """A technology result an agency (university, institute, intermediary) offers."""
    __tablename__ = "tech_results"
    TRANSITIONS = LISTING_TRANSITIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # a technology field (技术领域) of the registration system: technology_fields/services.py
    field_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    ip_type: Mapped[IpType] = mapped_column(enum_column(IpType, name="result_ip_type"),
                                            nullable=False)
    ip_numbers: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    trl: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # the transfer modes' values, comma-separated in a fixed order
    transfer_modes: Mapped[str] = mapped_column(String(200), nullable=False)
    # NULL = negotiable (面议)
    asking_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, name="result_status"), nullable=False,
        default=ListingStatus.DRAFT, index=True)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    agency = relationship("AgencyProfile", lazy="joined", innerjoin=True)

    __table_args__ = (
        CheckConstraint("trl BETWEEN 1 AND 9", name="result_trl_range"),
        CheckConstraint("asking_price_fen IS NULL OR asking_price_fen > 0",
                        name="result_price_positive"),
        CheckConstraint("transfer_modes <> ''", name="result_has_transfer_mode"),
    )

    @property
    def modes(self):
        return [TransferMode(value) for value in self.transfer_modes.split(",") if value]


class TechDemand(db.Model):
    """A problem a firm needs solved. Agencies see it without the firm's name until the
    firm accepts to talk (see permissions.can_see_demand_firm)."""
    __tablename__ = "tech_demands"
    TRANSITIONS = LISTING_TRANSITIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                         index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    field_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[object | None] = mapped_column(Date)
    intends_voucher: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, name="demand_status"), nullable=False,
        default=ListingStatus.DRAFT, index=True)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    firm = relationship(Organisation, lazy="joined", innerjoin=True)

    __table_args__ = (
        CheckConstraint("budget_min_fen IS NULL OR budget_min_fen >= 0",
                        name="demand_budget_min_non_negative"),
        CheckConstraint("budget_min_fen IS NULL OR budget_max_fen IS NULL "
                        "OR budget_min_fen <= budget_max_fen", name="demand_budget_in_order"),
    )


class MatchDocument(db.Model):
    """One listing in the matching index: its length in terms and its fields."""
    __tablename__ = "exchange_match_documents"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    length: Mapped[int] = mapped_column(Integer, nullable=False)
    # ",code," or ",code1,code2," - a field-match test is one LIKE
    field_codes: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (
        CheckConstraint("kind IN ('result', 'demand', 'offering', 'agency')",
                        name="match_document_kind_known"),
    )


class MatchTerm(db.Model):
    """A term of a listing with its frequency; ranked by joining a query's terms here."""
    __tablename__ = "exchange_match_terms"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tf: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index("ix_exchange_match_terms_listing", "kind", "listing_id"),
    )


class BrokerProfile(db.Model):
    """An agency member marked as a technology broker (技术经纪人)."""
    __tablename__ = "broker_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    user = relationship(User, foreign_keys=[user_id], lazy="joined", innerjoin=True)


class MatchStatus(str, enum.Enum):
    PROPOSED = "match_proposed"
    ACCEPTED = "match_accepted"      # both parties said yes: the thread is open
    DECLINED = "match_declined"
    WITHDRAWN = "match_withdrawn"
    CONTRACTED = "match_contracted"  # registered directly as a technology contract
    ORDERED = "match_ordered"        # turned into an order (quoted through the orders flow)


class BrokeredMatch(db.Model):
    """A broker's proposal that a result answers a demand, and the deal it leads to."""
    __tablename__ = "exchange_matches"

    TRANSITIONS = TransitionTable({
        MatchStatus.PROPOSED: {"accept": MatchStatus.ACCEPTED,
                               "decline": MatchStatus.DECLINED,
                               "withdraw": MatchStatus.WITHDRAWN},
        MatchStatus.ACCEPTED: {"register_contract": MatchStatus.CONTRACTED,
                               "order": MatchStatus.ORDERED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("tech_demands.id"), nullable=False,
                                           index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("tech_results.id"), nullable=False,
                                           index=True)
    broker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False,
                                           index=True)
    broker_agency_id: Mapped[int] = mapped_column(
        ForeignKey("agency_profiles.organisation_id"), nullable=False, index=True)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[MatchStatus] = mapped_column(
        enum_column(MatchStatus, name="match_status"), nullable=False,
        default=MatchStatus.PROPOSED, index=True)
    firm_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    firm_accepted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    agency_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_accepted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    accepted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_registrations.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    demand = relationship(TechDemand, lazy="joined", innerjoin=True)
    result = relationship(TechResult, lazy="joined", innerjoin=True)
    broker = relationship(User, foreign_keys=[broker_id], lazy="joined", innerjoin=True)
    messages = relationship("ExchangeMessage", back_populates="match", lazy="select",
                            order_by="ExchangeMessage.id")

    __table_args__ = (
        UniqueConstraint("demand_id", "result_id", name="uq_exchange_matches_pair"),
        CheckConstraint("(status = 'match_contracted') = (registration_id IS NOT NULL)",
                        name="match_contract_has_registration"),
        CheckConstraint("(status = 'match_ordered') = (order_id IS NOT NULL)",
                        name="match_order_has_order"),
        Index("ix_exchange_matches_broker_created", "broker_id", "created_dt"),
    )


class ExchangeMessage(db.Model):
    """A message of a match's conversation, with an optional file (PDF, PNG, JPEG)."""
    __tablename__ = "exchange_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("exchange_matches.id"), nullable=False,
                                          index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    storage_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    match = relationship(BrokeredMatch, back_populates="messages")
    author = relationship(User, lazy="joined", innerjoin=True)
