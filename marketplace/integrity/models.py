"""The bureau's lists: certification lists (高新技术企业名单, 科技型中小企业入库名单) that
give a firm its tier, and the integrity list (失信名单 / 科研诚信) of organisations and people
barred from the programme. Both are imported from files or entered by hand; every row
names where it came from."""
import enum

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import FirmTier
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class CertificationSource(str, enum.Enum):
    LIST = "list"             # a row of an imported certification list
    CONFIRMED = "confirmed"   # a certificate an auditor checked for a firm's tier request


class CertificationEntry(db.Model):
    """A firm's certificate on one of the lists, valid from one day to another."""
    __tablename__ = "certification_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tier: Mapped[FirmTier] = mapped_column(enum_column(FirmTier, name="firm_tier"),
                                           nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    organisation_name: Mapped[str] = mapped_column(String(200), nullable=False)
    certificate_number: Mapped[str] = mapped_column(String(60), nullable=False)
    valid_from: Mapped[object] = mapped_column(Date, nullable=False)
    valid_to: Mapped[object] = mapped_column(Date, nullable=False)
    source: Mapped[CertificationSource] = mapped_column(
        enum_column(CertificationSource, name="certification_source"), nullable=False)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_import_batches.id"), index=True)
    change_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_change_requests.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        UniqueConstraint("tier", "certificate_number",
                         name="uq_certification_entries_certificate"),
        CheckConstraint("valid_to >= valid_from", name="certificate_dates_in_order"),
        Index("ix_certification_entries_uscc_valid_to", "uscc", "valid_to"),
    )


class BarredSubject(str, enum.Enum):
    ORGANISATION = "organisation"
    PERSON = "person"


class EntryStatus(str, enum.Enum):
    LISTED = "listed"
    LIFTED = "lifted"     # ended early (a court lifted the listing); kept, with who and why


class IntegrityListEntry(db.Model):
    """An organisation (by its USCC) or a person (by the keyed hash of their identity
    number) barred from the programme from one day, until another or for good."""
    __tablename__ = "integrity_list_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[BarredSubject] = mapped_column(
        enum_column(BarredSubject, name="barred_subject"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    # an organisation's credit code hashed as a person's identity number is: a company
    # holding shares in a party is one of its people, named by that hash
    uscc_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    listed_from: Mapped[object] = mapped_column(Date, nullable=False)
    listed_to: Mapped[object | None] = mapped_column(Date)
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus, name="integrity_entry_status"), nullable=False,
        default=EntryStatus.LISTED)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_import_batches.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    lifted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    created_by = relationship("User", foreign_keys=[created_by_id], lazy="select")

    __table_args__ = (
        CheckConstraint("subject <> 'organisation' OR uscc IS NOT NULL",
                        name="organisation_has_uscc"),
        CheckConstraint("subject <> 'person' OR id_number_hash IS NOT NULL",
                        name="person_has_identity_hash"),
        CheckConstraint("(uscc IS NULL) = (uscc_hash IS NULL)", name="uscc_and_hash_together"),
        CheckConstraint("(id_number_hash IS NULL) = (id_number_masked IS NULL)",
                        name="hash_and_mask_together"),
        CheckConstraint("listed_to IS NULL OR listed_to >= listed_from",
                        name="listing_dates_in_order"),
        CheckConstraint("(status = 'lifted') = (lifted_dt IS NOT NULL AND "
                        "lifted_by_id IS NOT NULL AND lift_reason IS NOT NULL)",
                        name="lifted_by_someone"),
    )

    def is_active_on(self, day):
        return (self.status == EntryStatus.LISTED and self.listed_from <= day
                and (self.listed_to is None or self.listed_to >= day))


class IdentityImportKind(str, enum.Enum):
    INTEGRITY_LIST = "integrity_list"
    CERTIFICATION = "certification"
    PEOPLE = "people"


class IdentityImportBatch(db.Model):
    """One imported file of a bureau list or of a business-registry export of people.
    Only a file whose every row is good is imported (and leaves this row)."""
    __tablename__ = "identity_import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[IdentityImportKind] = mapped_column(
        enum_column(IdentityImportKind, name="identity_import_kind"), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    rows_in_file: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    imported_by = relationship("User", lazy="joined")

    __table_args__ = (
        CheckConstraint("rows_added >= 0 AND rows_in_file >= 0",
                        name="identity_import_counts_non_negative"),
    )


IntegrityListEntry.TRANSITIONS = TransitionTable({
    EntryStatus.LISTED: {"lift": EntryStatus.LIFTED},
})
