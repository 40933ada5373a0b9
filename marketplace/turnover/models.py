"""Technology-contract registration (技术合同认定登记) and the turnover targets.

Every registration row is an immutable fact. An original registration carries the contract's
figures; an amendment or a cancellation is a further row of the same contract number whose
amounts are the signed change (a cancellation is the negative of what remains). Turnover for a
year is therefore one SUM over confirmed rows registered in that year, with no edits to replay.
"""
import enum
from datetime import date

from sqlalchemy import false as sa_false
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index,
                        Integer, SmallInteger, String, Text, UniqueConstraint, literal_column)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import District, Organisation
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db
from marketplace.orders.models import ContractType


DEFAULT_CITY_TARGET_FEN = 6_000_000_000 * 100  # ¥6.0 bn, the bureau's yearly target

# the registry's years begin here, as the dashboard's, the exports' and the API's (2000 to
# 2100): a contract signed or registered before it could never be shown in any year
EARLIEST_DATE = date(2000, 1, 1)


class RegistrationKind(str, enum.Enum):
    ORIGINAL = "original"
    AMENDMENT = "amendment"
    CANCELLATION = "cancellation"


class RegistrationSource(str, enum.Enum):
    PLATFORM = "platform"   # a contract signed through an order on this marketplace
    MANUAL = "manual"       # typed in by a party; an auditor confirms it
    IMPORT = "import"       # from the registration system's export file
    EXCHANGE = "exchange"   # a deal brokered on the technology exchange


class RegistrationStatus(str, enum.Enum):
    PENDING = "pending"       # manual, awaiting an auditor
    CONFIRMED = "confirmed"   # counts toward turnover
    REJECTED = "rejected"     # an auditor refused it; never counts


# A rejected registration stays as history but no longer holds its contract number: the
# uniqueness of (number, sequence) is over the other rows only. Spelt as SQL once, for the
# partial indexes and for the queries that must match their predicates (the planner uses a
# partial index only for a query whose WHERE implies the index's, literally).
LIVE_SQL = "status <> 'rejected'"
REJECTED_SQL = "status = 'rejected'"


class ContractRegistration(db.Model):
    __tablename__ = "contract_registrations"

    TRANSITIONS = TransitionTable({
        RegistrationStatus.PENDING: {"confirm": RegistrationStatus.CONFIRMED,
                                     "reject": RegistrationStatus.REJECTED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_number: Mapped[str] = mapped_column(String(60), nullable=False)
    # 0 for the original, then 1, 2, ... for each amendment or cancellation of the number
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kind: Mapped[RegistrationKind] = mapped_column(
        enum_column(RegistrationKind, name="registration_kind"), nullable=False,
        default=RegistrationKind.ORIGINAL)
    original_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_registrations.id"), index=True)
    source: Mapped[RegistrationSource] = mapped_column(
        enum_column(RegistrationSource, name="registration_source"), nullable=False)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, name="registration_status"), nullable=False,
        default=RegistrationStatus.CONFIRMED)

    contract_type: Mapped[ContractType] = mapped_column(
        enum_column(ContractType, name="registration_contract_type"), nullable=False)
    # signed changes: positive for an original, of either sign for an amendment
    contract_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    technical_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    buyer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    buyer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                     index=True)
    buyer_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    seller_name: Mapped[str] = mapped_column(String(200), nullable=False)
    seller_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                      index=True)
    # the seller's location decides the city; NULL district = seller outside the city
    seller_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    seller_in_city: Mapped[bool] = mapped_column(Boolean, nullable=False)
    field_code: Mapped[str] = mapped_column(String(40), nullable=False)
    # a platform contract registered before technology fields were chosen at quote time
    # carries the field suggested by its service category until an auditor confirms it
    field_unconfirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                    server_default=sa_false())

    signed_on: Mapped[object] = mapped_column(Date, nullable=False)
    registered_on: Mapped[object] = mapped_column(Date, nullable=False)
    # registered_on's year, stored so the dashboard's GROUP BYs use one composite index
    registered_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    registered_month: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    voucher_funded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # the invoice (发票号码) of an imported registration, and its comparison key: a claim's
    # invoice already registered elsewhere is a duplicate
    invoice_number: Mapped[str | None] = mapped_column(String(60))
    invoice_number_key: Mapped[str | None] = mapped_column(String(60))

    tech_contract_id: Mapped[int | None] = mapped_column(ForeignKey("tech_contracts.id"))
    broker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration_import_batches.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    original = relationship("ContractRegistration", remote_side=[id], lazy="select")
    buyer_org = relationship(Organisation, foreign_keys=[buyer_org_id], lazy="select")
    seller_org = relationship(Organisation, foreign_keys=[seller_org_id], lazy="select")
    seller_district = relationship(District, foreign_keys=[seller_district_id],
                                   lazy="joined")
    buyer_district = relationship(District, foreign_keys=[buyer_district_id],
                                  lazy="select")

    __table_args__ = (
        # at most one live (pending or confirmed) original per contract number, and one
        # live amendment per sequence; rejected rows stay, without blocking a new attempt
        Index("uq_contract_registrations_live_number_sequence", "contract_number",
              "sequence", unique=True, postgresql_where=db.text(LIVE_SQL),
              sqlite_where=db.text(LIVE_SQL)),
        # the few rejected rows of a number, for the contract's history (an index over every
        # row would slow the import's COPY for their sake)
        Index("ix_contract_registrations_rejected_number", "contract_number",
              postgresql_where=db.text(REJECTED_SQL), sqlite_where=db.text(REJECTED_SQL)),
        # each platform contract is registered once
        UniqueConstraint("tech_contract_id", name="uq_contract_registrations_tech_contract"),
        CheckConstraint("sequence >= 0", name="registration_sequence_non_negative"),
        CheckConstraint(
            "kind <> 'original' OR (contract_amount_fen >= 0 AND technical_amount_fen >= 0 "
            "AND technical_amount_fen <= contract_amount_fen)",
            name="registration_original_amounts"),
        CheckConstraint("(kind = 'original') = (sequence = 0)",
                        name="registration_original_is_sequence_zero"),
        CheckConstraint("registered_month BETWEEN 1 AND 12",
                        name="registration_month_valid"),
        # the dashboard's filters (year, then district and type) and its monthly series
        Index("ix_contract_registrations_year_district_type", "registered_year",
              "seller_district_id", "contract_type"),
        Index("ix_contract_registrations_year_month", "registered_year", "registered_month"),
        Index("ix_contract_registrations_seller_year", "seller_org_id", "registered_year"),
        Index("ix_contract_registrations_status", "status"),
        # technology absorbed: the few rows whose seller is outside the city, by year
        Index("ix_contract_registrations_absorbed", "registered_year", "buyer_district_id",
              postgresql_where=db.text("NOT seller_in_city"),
              sqlite_where=db.text("NOT seller_in_city")),
        # the registry list: newest first, one page at a time
        Index("ix_contract_registrations_registered_on_id", "registered_on", "id"),
        # the duplicate-invoice check: the few rows that carry an invoice
        Index("ix_contract_registrations_invoice_number_key", "invoice_number_key",
              postgresql_where=db.text("invoice_number_key IS NOT NULL"),
              sqlite_where=db.text("invoice_number_key IS NOT NULL")),
    )

    @property
    def counts_toward_turnover(self):
        return self.status == RegistrationStatus.CONFIRMED and self.seller_in_city

    @classmethod
    def is_live(cls):
        """Pending or confirmed, as the live-number index's predicate (a literal, not a
        bound parameter, so that a prepared plan still proves it)."""
        return cls.status != literal_column("'rejected'")

    @classmethod
    def is_rejected(cls):
        return cls.status == literal_column("'rejected'")


class ImportStatus(str, enum.Enum):
    QUEUED = "queued"        # a big file stored under instance/, waiting for a worker
    RUNNING = "running"      # a worker validates and inserts it
    IMPORTED = "imported"    # every row valid: the new contracts are registered
    REFUSED = "refused"      # some row invalid: nothing imported, the report names them
    FAILED = "failed"        # the worker could not finish (unreadable file, crash)


class RegistrationImportBatch(db.Model):
    """One imported file. Its digest makes a re-import of the same bytes recognisable.

    Small files are imported inline and only a successful import leaves a row; big files
    are queued (status ``queued``), and the worker records its progress and, for a refused
    file, the report of the bad rows."""
    __tablename__ = "registration_import_batches"

    TRANSITIONS = TransitionTable({
        ImportStatus.QUEUED: {"start": ImportStatus.RUNNING, "fail": ImportStatus.FAILED},
        ImportStatus.RUNNING: {"finish": ImportStatus.IMPORTED,
                               "refuse": ImportStatus.REFUSED,
                               "fail": ImportStatus.FAILED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, name="import_status"), nullable=False,
        default=ImportStatus.IMPORTED)
    rows_in_file: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_already_registered: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # where a queued file waits (under instance/); removed once the worker is done
    stored_path: Mapped[str | None] = mapped_column(String(500))
    # JSON list of {"row", "column", "reason"} for a refused file
    report: Mapped[str | None] = mapped_column(Text)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    finished_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("rows_added >= 0 AND rows_already_registered >= 0 AND "
                        "rows_processed >= 0 AND rows_in_file >= 0",
                        name="import_batch_counts_non_negative"),
    )


class TurnoverTarget(db.Model):
    """The year's turnover target for the city (district NULL) or for one district."""
    __tablename__ = "turnover_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    target_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    district = relationship(District, lazy="joined")

    __table_args__ = (
        CheckConstraint("target_fen > 0", name="turnover_target_positive"),
        # NULL districts are distinct in a plain unique constraint, so the city row and the
        # district rows each get a partial unique index
        Index("uq_turnover_targets_city_year", "year", unique=True,
              postgresql_where=db.text("district_id IS NULL"),
              sqlite_where=db.text("district_id IS NULL")),
        Index("uq_turnover_targets_district_year", "year", "district_id", unique=True,
              postgresql_where=db.text("district_id IS NOT NULL"),
              sqlite_where=db.text("district_id IS NOT NULL")),
    )
