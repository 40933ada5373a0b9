"""The registry of technology-transfer service agencies (技术转移服务机构库): the agency's
profile and admission state, its qualification documents, objections filed during the
public notice, and the service-category tree."""
import enum

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String,
                        Table, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.notices import ObjectionRecord, ObjectionStatus  # noqa: F401
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class ServiceCategory(db.Model):
    """A service category (服务类别): an admin-managed tree."""
    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("service_categories.id"))
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False)
    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # the technology field (technology_fields) suggested when an offering of it is quoted
    technology_field_code: Mapped[str | None] = mapped_column(String(40))

    parent = relationship("ServiceCategory", remote_side=[id])

    def display_name(self, locale="zh"):
        return self.name_en if locale == "en" else self.name_zh


class AgencyType(str, enum.Enum):
    LOCAL_INTERMEDIARY = "local_intermediary"
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    OTHER = "other"


class AgencyStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLIC_NOTICE = "public_notice"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    REMOVED = "removed"


# Statuses in which the agency may still change its application.
EDITABLE_STATUSES = (AgencyStatus.DRAFT, AgencyStatus.RETURNED)
# Statuses of an agency that has been admitted at least once and is not yet removed.
IN_REGISTRY_STATUSES = (AgencyStatus.ADMITTED, AgencyStatus.SUSPENDED)

agency_categories = Table(
    "agency_categories", db.metadata,
    Column("agency_id", ForeignKey("agency_profiles.organisation_id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", ForeignKey("service_categories.id"), primary_key=True,
           index=True),
)


class AgencyProfile(db.Model):
    """An agency's registry application and, once admitted, its registry entry."""
    __tablename__ = "agency_profiles"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 primary_key=True)
    status: Mapped[AgencyStatus] = mapped_column(
        enum_column(AgencyStatus, name="agency_status"), nullable=False,
        default=AgencyStatus.DRAFT, index=True)
    agency_type: Mapped[AgencyType] = mapped_column(
        enum_column(AgencyType, name="agency_type"), nullable=False,
        default=AgencyType.LOCAL_INTERMEDIARY, index=True)
    in_city: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    home_city: Mapped[str | None] = mapped_column(String(100))
    introduction: Mapped[str] = mapped_column(Text, nullable=False, default="")
    staff_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    qualified_staff_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    staff_qualifications: Mapped[str] = mapped_column(Text, nullable=False, default="")
    years_in_operation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fee_schedule: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_broker: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    submitted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    notice_opened_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    notice_ends_dt: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    admitted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    status_changed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False,
                                                      default=now_utc)
    # the reason of the last rejection, return, suspension or removal, shown to the agency
    status_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    organisation = relationship(Organisation, lazy="joined", innerjoin=True)
    categories = relationship(ServiceCategory, secondary=agency_categories, lazy="selectin",
                              order_by=ServiceCategory.sort_order)
    documents = relationship("QualificationDocument", back_populates="agency",
                             lazy="select", order_by="QualificationDocument.id")

    __table_args__ = (
        CheckConstraint("staff_count >= 0 AND qualified_staff_count >= 0 "
                        "AND qualified_staff_count <= staff_count", name="staff_sensible"),
        CheckConstraint("years_in_operation >= 0", name="years_sensible"),
        CheckConstraint("in_city OR home_city IS NOT NULL", name="out_of_town_names_city"),
    )

    @property
    def id(self):
        return self.organisation_id

    @property
    def name(self):
        return self.organisation.name

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def is_active_in_registry(self):
        return self.status == AgencyStatus.ADMITTED

    def current_documents(self):
        return [d for d in self.documents if not d.is_withdrawn]


AgencyProfile.TRANSITIONS = TransitionTable({
    AgencyStatus.DRAFT: {"submit": AgencyStatus.SUBMITTED},
    AgencyStatus.RETURNED: {"submit": AgencyStatus.SUBMITTED},
    AgencyStatus.SUBMITTED: {"approve": AgencyStatus.PUBLIC_NOTICE,
                             "reject": AgencyStatus.REJECTED,
                             "return": AgencyStatus.RETURNED},
    AgencyStatus.PUBLIC_NOTICE: {"admit": AgencyStatus.ADMITTED,
                                 "reject": AgencyStatus.REJECTED},
    AgencyStatus.ADMITTED: {"suspend": AgencyStatus.SUSPENDED,
                            "remove": AgencyStatus.REMOVED},
    AgencyStatus.SUSPENDED: {"reinstate": AgencyStatus.ADMITTED,
                             "remove": AgencyStatus.REMOVED},
    # a rejected agency may correct its profile and apply again
    AgencyStatus.REJECTED: {"reopen": AgencyStatus.DRAFT},
})


class DocumentKind(str, enum.Enum):
    BUSINESS_LICENCE = "business_licence"
    ACCREDITATION = "accreditation"
    OTHER = "other"


class QualificationDocument(db.Model):
    """An uploaded qualification (licence, accreditation) with its expiry date. The file
    lives outside the web root under a random name; the row keeps the original name."""
    __tablename__ = "qualification_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind,
                                                           name="document_kind"),
                                               nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    expires_on: Mapped[object] = mapped_column(Date, nullable=False, index=True)
    storage_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    expiry_warned_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    is_withdrawn: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    agency = relationship(AgencyProfile, back_populates="documents")


class Objection(ObjectionRecord, db.Model):
    """An objection (异议) filed against an agency during its public notice."""
    __tablename__ = "agency_objections"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency_profiles.organisation_id"),
                                           nullable=False, index=True)

    agency = relationship(AgencyProfile)
