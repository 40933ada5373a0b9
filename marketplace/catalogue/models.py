"""Offerings (服务产品) of admitted agencies and the agencies' scorecards."""
import enum

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer,
                        String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.agencies.models import AgencyProfile, AgencyType, ServiceCategory
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class PriceModel(str, enum.Enum):
    FIXED = "fixed"
    QUOTATION = "quotation"


class OfferingStatus(str, enum.Enum):
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"      # by the agency
    TAKEN_DOWN = "taken_down"    # by an auditor, with a reason


class Offering(db.Model):
    """A service an agency offers. It is visible while published and its agency is
    admitted and active; a new or edited one waits for an auditor's moderation check."""
    __tablename__ = "offerings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"),
                                             nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    deliverables: Mapped[str] = mapped_column(Text, nullable=False)
    price_model: Mapped[PriceModel] = mapped_column(
        enum_column(PriceModel, name="price_model"), nullable=False)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    guide_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    guide_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    # The price band used by the price filter and sorting: the fixed price twice, or the
    # guide range of an offering "on quotation" (null when no guide is given).
    price_low_fen: Mapped[int | None] = mapped_column(BigInteger, index=True)
    price_high_fen: Mapped[int | None] = mapped_column(BigInteger)
    typical_duration_days: Mapped[int] = mapped_column(Integer, nullable=False)
    accepts_vouchers: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[OfferingStatus] = mapped_column(
        enum_column(OfferingStatus, name="offering_status"), nullable=False,
        default=OfferingStatus.PUBLISHED, index=True)
    needs_check: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                              index=True)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    takedown_reason: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                               index=True)
    # Pre-tokenised text for the full-text index (see catalogue/search.py): space-separated
    # terms, CJK as unigrams and bigrams. PostgreSQL indexes them in a generated tsvector
    # column, SQLite in an FTS5 table; both are made by the migration.
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    search_body: Mapped[str] = mapped_column(Text, nullable=False, default="")

    agency = relationship(AgencyProfile, lazy="joined", innerjoin=True)
    category = relationship(ServiceCategory, lazy="joined", innerjoin=True)

    __table_args__ = (
        CheckConstraint(
            "(price_model = 'fixed' AND price_fen IS NOT NULL AND price_fen > 0 "
            " AND guide_min_fen IS NULL AND guide_max_fen IS NULL) OR "
            "(price_model = 'quotation' AND price_fen IS NULL)", name="price_by_model"),
        CheckConstraint("guide_min_fen IS NULL OR guide_max_fen IS NULL OR "
                        "(guide_min_fen >= 0 AND guide_min_fen <= guide_max_fen)",
                        name="guide_range_in_order"),
        CheckConstraint("typical_duration_days > 0", name="duration_positive"),
        Index("ix_offerings_visible", "status", "agency_id"),
    )


Offering.TRANSITIONS = TransitionTable({
    OfferingStatus.PUBLISHED: {"withdraw": OfferingStatus.WITHDRAWN,
                               "take_down": OfferingStatus.TAKEN_DOWN},
    OfferingStatus.WITHDRAWN: {"publish": OfferingStatus.PUBLISHED},
    # corrected by the agency after a take-down; it waits for a check again
    OfferingStatus.TAKEN_DOWN: {"publish": OfferingStatus.PUBLISHED},
})


class AgencyScorecard(db.Model):
    """Figures about an agency's work on the platform, recomputed from orders, claims and
    ratings whenever one of them changes (and nightly), so pages and sorting read one row."""
    __tablename__ = "agency_scorecards"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           primary_key=True)
    orders_completed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # median of (days taken / days promised), in basis points: 10000 = exactly on time
    median_delivery_ratio_bp: Mapped[int | None] = mapped_column(Integer)
    acceptance_rate_bp: Mapped[int | None] = mapped_column(Integer)
    claim_rejection_rate_bp: Mapped[int | None] = mapped_column(Integer)
    disputes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # average rating × 100 (1–5 stars → 100–500), an integer for exact sorting
    rating_avg_x100: Mapped[int | None] = mapped_column(Integer, index=True)
    # the agency's technology brokers' work on the exchange (marketplace/exchange/stats.py)
    broker_matches_proposed: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                         server_default="0")
    broker_matches_accepted: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                         server_default="0")
    broker_deals: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                              server_default="0")
    broker_turnover_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0,
                                                     server_default="0")
    computed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)


class CatalogueEntry(db.Model):
    """The catalogue search's own table: one row per offering the public search may show
    (published, its agency admitted), with every column the search filters, sorts and
    lists by, copied from the offering, its agency, organisation, category and scorecard.

    Kept by marketplace/catalogue/search_table.py in the transaction of every change to
    those sources, so a search reads one table instead of five joined ones. The columns
    copied from outer-joined rows keep their NULLs (no scorecard: NULL, not 0), so sorting
    here orders exactly as the joined query did."""
    __tablename__ = "catalogue_search"

    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    category_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    category_code: Mapped[str] = mapped_column(String(40), nullable=False)
    district_id: Mapped[int | None] = mapped_column(Integer)
    agency_type: Mapped[AgencyType] = mapped_column(
        enum_column(AgencyType, name="agency_type"), nullable=False)
    in_city: Mapped[bool] = mapped_column(Boolean, nullable=False)
    agency_name: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_low_fen: Mapped[int | None] = mapped_column(BigInteger, index=True)
    price_high_fen: Mapped[int | None] = mapped_column(BigInteger)
    accepts_vouchers: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    rating_avg_x100: Mapped[int | None] = mapped_column(Integer)
    orders_completed: Mapped[int | None] = mapped_column(Integer)
    # the offering's pre-tokenised terms (catalogue/search.py), indexed here as there
    search_title: Mapped[str] = mapped_column(Text, nullable=False)
    search_body: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        # the default order of a search without words: newest first
        Index("ix_catalogue_search_newest", "updated_dt", "offering_id"),
    )
