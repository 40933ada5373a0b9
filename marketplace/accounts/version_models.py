"""An organisation's regulated facts as versions (版本), and the requests that change them.

The facts a subsidy rests on (USCC, name, legal representative, officers, shareholders,
tier, registered address, contact phone, bank account with bank and CNAPS code) change only
when an auditor approves a change request; each approved state is a new, never-edited
version, and a contract pins the version of each party it was signed with. The
organisation row keeps a copy of its current version's facts for the pages that show them.

People are part of a version: a new version carries its own list. Identity-document
numbers are kept only as a keyed hash (``accounts.identity_numbers``) and a masked form.
"""
import enum
import json

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import FirmTier
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class VersionSource(str, enum.Enum):
    REGISTRATION = "registration"       # the facts given when the organisation registered
    MIGRATION = "migration"             # the facts it had before versions existed
    CHANGE_REQUEST = "change_request"   # a request an auditor approved
    REGISTRY_IMPORT = "registry_import"  # the bureau's import of a business-registry export


class PersonRole(str, enum.Enum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    OFFICER = "officer"             # director, supervisor or manager
    SHAREHOLDER = "shareholder"


class OfficerTitle(str, enum.Enum):
    DIRECTOR = "director"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


# the facts of a version that a change request may change, in the order pages show them
FACT_FIELDS = ("name", "uscc", "registered_address", "district_id", "contact_phone",
               "bank_name", "bank_cnaps_code", "bank_account", "firm_tier")


class OrganisationVersion(db.Model):
    """One approved state of an organisation's regulated facts."""
    __tablename__ = "organisation_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[VersionSource] = mapped_column(
        enum_column(VersionSource, name="version_source"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    legal_representative: Mapped[str] = mapped_column(String(100), nullable=False)
    registered_address: Mapped[str] = mapped_column(String(300), nullable=False)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    contact_phone: Mapped[str] = mapped_column(String(40), nullable=False)
    # the payee's bank (开户行), its CNAPS code (联行号, 12 digits) and the account number:
    # what a bank payment file needs
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_cnaps_code: Mapped[str | None] = mapped_column(String(12))
    bank_account: Mapped[str | None] = mapped_column(String(64))
    firm_tier: Mapped[FirmTier | None] = mapped_column(enum_column(FirmTier,
                                                                   name="firm_tier"))
    # the certificate an auditor confirmed the tier against, or the list entry it came from
    tier_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certification_entries.id", use_alter=True,
                   name="fk_organisation_versions_tier_certificate_id_certification_entries"))
    # comparison keys (core.normalise), indexed where other organisations are
    # looked up by them
    name_key: Mapped[str | None] = mapped_column(String(200))
    address_key: Mapped[str | None] = mapped_column(String(300), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(40), index=True)
    bank_account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    change_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_change_requests.id", use_alter=True,
                   name="fk_organisation_versions_change_request_id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    people = relationship("VersionPerson", order_by="VersionPerson.position",
                          lazy="selectin", cascade="all, delete-orphan",
                          back_populates="version")
    district = relationship("District", lazy="joined")
    # the integrity domain's model, named so that accounts imports nothing of it: the name
    # resolves once the whole schema is imported (marketplace/models.py, by the app factory)
    tier_certificate = relationship("CertificationEntry", lazy="select")

    __table_args__ = (
        UniqueConstraint("organisation_id", "number",
                         name="uq_organisation_versions_number"),
        CheckConstraint("number > 0", name="version_number_positive"),
        CheckConstraint("bank_cnaps_code IS NULL OR length(bank_cnaps_code) = 12",
                        name="cnaps_code_length"),
    )

    def fact(self, field):
        value = getattr(self, field)
        return getattr(value, "value", value)

    def facts(self):
        return {field: self.fact(field) for field in FACT_FIELDS}


class VersionPerson(db.Model):
    """A legal representative, officer or shareholder as one version lists them."""
    __tablename__ = "organisation_version_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("organisation_versions.id"),
                                            nullable=False, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    role: Mapped[PersonRole] = mapped_column(enum_column(PersonRole, name="person_role"),
                                             nullable=False)
    title: Mapped[OfficerTitle | None] = mapped_column(
        enum_column(OfficerTitle, name="officer_title"))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    id_kind: Mapped[str | None] = mapped_column(String(12))
    # HMAC-SHA256 of the identity-document number (never the number itself)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    # a shareholder's share in basis points (2500 = 25%)
    share_bp: Mapped[int | None] = mapped_column(Integer)

    version = relationship(OrganisationVersion, back_populates="people")

    __table_args__ = (
        CheckConstraint("role = 'shareholder' OR share_bp IS NULL",
                        name="share_only_for_shareholders"),
        CheckConstraint("share_bp IS NULL OR share_bp BETWEEN 1 AND 10000",
                        name="share_in_range"),
        CheckConstraint("role = 'officer' OR title IS NULL", name="title_only_for_officers"),
        CheckConstraint("(id_number_hash IS NULL) = (id_number_masked IS NULL)",
                        name="hash_and_mask_together"),
        CheckConstraint("id_kind IS NULL OR id_kind IN ('resident_id', 'uscc', 'other')",
                        name="id_kind_known"),
    )

    def as_dict(self):
        """The person as a change request stores them (no identity number, only its hash)."""
        return {"role": self.role.value, "title": self.title.value if self.title else None,
                "name": self.name, "id_kind": self.id_kind,
                "id_number_hash": self.id_number_hash,
                "id_number_masked": self.id_number_masked, "share_bp": self.share_bp}


class ChangeRequestStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ChangeRequest(db.Model):
    """A member's request to change regulated facts, decided by an auditor. ``proposed``
    holds the whole new state (facts and people, identity numbers already hashed), so an
    approval makes it the next version exactly as the auditor saw it."""
    __tablename__ = "organisation_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 nullable=False, index=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("organisation_versions.id"),
                                                 nullable=False)
    status: Mapped[ChangeRequestStatus] = mapped_column(
        enum_column(ChangeRequestStatus, name="change_request_status"), nullable=False,
        default=ChangeRequestStatus.PENDING, index=True)
    proposed: Mapped[str] = mapped_column(Text, nullable=False)
    # a tier change: the certificate the firm names, which the auditor checks
    certificate_number: Mapped[str | None] = mapped_column(String(60))
    certificate_valid_from: Mapped[object | None] = mapped_column(Date)
    certificate_valid_to: Mapped[object | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    requested_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    result_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_versions.id"))

    organisation = relationship("Organisation", lazy="joined", innerjoin=True)
    base_version = relationship(OrganisationVersion, foreign_keys=[base_version_id],
                                lazy="select")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="select")

    __table_args__ = (
        # one open request per organisation: a second waits until the first is decided
        Index("uq_organisation_change_requests_pending", "organisation_id", unique=True,
              postgresql_where=db.text("status = 'pending'"),
              sqlite_where=db.text("status = 'pending'")),
        CheckConstraint("(status = 'approved') = (result_version_id IS NOT NULL)",
                        name="approved_has_version"),
        CheckConstraint("certificate_valid_to IS NULL OR certificate_valid_from IS NULL OR "
                        "certificate_valid_to >= certificate_valid_from",
                        name="certificate_dates_in_order"),
    )

    @property
    def proposal(self):
        return json.loads(self.proposed or "{}")


ChangeRequest.TRANSITIONS = TransitionTable({
    ChangeRequestStatus.PENDING: {"approve": ChangeRequestStatus.APPROVED,
                                  "reject": ChangeRequestStatus.REJECTED,
                                  "withdraw": ChangeRequestStatus.WITHDRAWN},
})
