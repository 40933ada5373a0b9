"""An order (委托) moves from a firm's request through the agency's quote to a technology
contract (技术合同) with the voucher part reserved, the co-pay paid, delivery and
acceptance (验收). Cancellation and disputes are side paths."""
import enum

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index,
                        Integer, LargeBinary, SmallInteger, String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class OrderStatus(str, enum.Enum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    CONTRACTED = "contracted"
    PAID = "paid"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


# before acceptance either side may ask to cancel
CANCELLABLE_STATUSES = (OrderStatus.REQUESTED, OrderStatus.QUOTED, OrderStatus.CONTRACTED,
                        OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.DISPUTED)
OPEN_STATUSES = CANCELLABLE_STATUSES


class ContractType(str, enum.Enum):
    DEVELOPMENT = "development"
    TRANSFER = "transfer"
    LICENSING = "licensing"
    CONSULTING = "consulting"
    SERVICE = "service"


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                         index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), nullable=False,
                                             index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, name="order_status"),
                                                nullable=False, default=OrderStatus.REQUESTED,
                                                index=True)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    # set when the agency is suspended or removed while the order is open
    is_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    # a pending request to cancel, by "firm" or "agency", awaiting the other side
    cancel_requested_by: Mapped[str | None] = mapped_column(String(10))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancel_requested_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    accepted_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    firm = relationship(Organisation, foreign_keys=[firm_id], lazy="joined", innerjoin=True)
    agency = relationship("AgencyProfile", lazy="joined", innerjoin=True)
    offering = relationship("Offering", lazy="joined", innerjoin=True)
    quotes = relationship("Quote", back_populates="order", order_by="Quote.id",
                          lazy="select")
    contract = relationship("TechContract", back_populates="order", uselist=False,
                            lazy="select")
    delivery = relationship("Delivery", back_populates="order", uselist=False, lazy="select")

    __table_args__ = (
        CheckConstraint("cancel_requested_by IS NULL OR cancel_requested_by IN "
                        "('firm', 'agency')", name="cancel_party_known"),
        Index("ix_orders_firm_agency", "firm_id", "agency_id"),
    )

    @property
    def current_quote(self):
        return self.quotes[-1] if self.quotes else None


Order.TRANSITIONS = TransitionTable({
    OrderStatus.REQUESTED: {"quote": OrderStatus.QUOTED, "cancel": OrderStatus.CANCELLED},
    OrderStatus.QUOTED: {"quote": OrderStatus.QUOTED, "sign": OrderStatus.CONTRACTED,
                         "cancel": OrderStatus.CANCELLED},
    OrderStatus.CONTRACTED: {"pay": OrderStatus.PAID, "cancel": OrderStatus.CANCELLED},
    OrderStatus.PAID: {"deliver": OrderStatus.DELIVERED, "cancel": OrderStatus.CANCELLED},
    OrderStatus.DELIVERED: {"accept": OrderStatus.ACCEPTED, "dispute": OrderStatus.DISPUTED,
                            "cancel": OrderStatus.CANCELLED},
    # the auditor mediates: back to delivery (redo) or on to acceptance, or cancel
    OrderStatus.DISPUTED: {"redeliver": OrderStatus.PAID, "accept": OrderStatus.ACCEPTED,
                           "cancel": OrderStatus.CANCELLED},
})


class Quote(db.Model):
    """The agency's offer; a new quote replaces the previous one until the firm signs."""
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    contract_type: Mapped[ContractType] = mapped_column(
        enum_column(ContractType, name="contract_type"), nullable=False)
    contract_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    technical_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deliverables: Mapped[str] = mapped_column(Text, nullable=False)
    due_date: Mapped[object] = mapped_column(Date, nullable=False)
    # the technology field (技术领域) of the registration system, chosen by the agency
    field_code: Mapped[str] = mapped_column(String(40), nullable=False)
    quoted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    order = relationship(Order, back_populates="quotes")

    __table_args__ = (
        CheckConstraint("contract_amount_fen > 0", name="contract_amount_positive"),
        CheckConstraint("technical_amount_fen >= 0 AND "
                        "technical_amount_fen <= contract_amount_fen",
                        name="technical_within_contract"),
    )


class TechContract(db.Model):
    """The technology contract made when the firm accepts a quote. Its figures are final:
    the voucher part, the co-pay and the rule version that computed them."""
    __tablename__ = "tech_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False,
                                          unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), nullable=False)
    contract_type: Mapped[ContractType] = mapped_column(
        enum_column(ContractType, name="contract_type"), nullable=False)
    contract_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    technical_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), index=True)
    rule_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_rule_versions.id"))
    share_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    voucher_part_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    copay_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                          index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                           index=True)
    # the seller's location decides which city's turnover the contract counts toward
    seller_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    seller_in_city: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # the technology field (技术领域) of the quote signed
    field_code: Mapped[str] = mapped_column(String(40), nullable=False)
    due_date: Mapped[object] = mapped_column(Date, nullable=False)
    signed_on: Mapped[object] = mapped_column(Date, nullable=False, index=True)
    signed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # the regulated facts of both parties as they stood at signing (their versions): the
    # share, the integrity checks and the contract document read these
    buyer_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_versions.id"))
    seller_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_versions.id"))

    order = relationship(Order, back_populates="contract")
    voucher = relationship("Voucher", lazy="select")
    buyer_version = relationship("OrganisationVersion", foreign_keys=[buyer_version_id],
                                 lazy="select")
    seller_version = relationship("OrganisationVersion", foreign_keys=[seller_version_id],
                                  lazy="select")

    __table_args__ = (
        CheckConstraint("contract_amount_fen > 0", name="contract_amount_positive"),
        CheckConstraint("technical_amount_fen >= 0 AND "
                        "technical_amount_fen <= contract_amount_fen",
                        name="technical_within_contract"),
        CheckConstraint("voucher_part_fen >= 0 AND copay_fen >= 0 AND "
                        "voucher_part_fen + copay_fen = contract_amount_fen",
                        name="parts_sum_to_contract"),
        CheckConstraint("voucher_id IS NOT NULL OR voucher_part_fen = 0",
                        name="voucher_part_needs_voucher"),
        Index("ix_tech_contracts_pair_signed", "buyer_id", "seller_id", "signed_on"),
        # the price check's usual range of a category on the platform
        Index("ix_tech_contracts_field_signed", "field_code", "signed_on"),
    )


class ContractDocument(db.Model):
    """The contract's PDF as first rendered (orders.contract_document), kept so every
    download is the same document, byte for byte, on every web machine."""
    __tablename__ = "contract_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("tech_contracts.id"), nullable=False,
                                             unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    rendered_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)


class Delivery(db.Model):
    """The agency's delivery with its invoice (发票). An invoice number is used once across
    the whole system, compared by its key (``core.normalise.invoice_key``): delivery
    refuses a number seen before, and the claim's check finds any that got past it (two
    deliveries at once, a registration imported later)."""
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False,
                                          unique=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    invoice_number: Mapped[str] = mapped_column(String(40), nullable=False)
    invoice_number_key: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    invoice_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    invoice_date: Mapped[object] = mapped_column(Date, nullable=False)
    delivered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    delivered_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    order = relationship(Order, back_populates="delivery")

    __table_args__ = (
        CheckConstraint("invoice_amount_fen > 0", name="invoice_amount_positive"),
    )


class OrderDocumentKind(str, enum.Enum):
    SIGNED_CONTRACT = "signed_contract"
    DELIVERABLE = "deliverable"
    INVOICE = "invoice"


class OrderDocument(db.Model):
    __tablename__ = "order_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    kind: Mapped[OrderDocumentKind] = mapped_column(
        enum_column(OrderDocumentKind, name="order_document_kind"), nullable=False)
    storage_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    uploaded_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)


class Rating(db.Model):
    """A firm's rating of the agency after acceptance, once per order."""
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False,
                                          unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    stars: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_in_range"),)
