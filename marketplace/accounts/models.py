import enum
import hashlib

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.core import normalise
from marketplace.core.reference_rows import CodedReferenceRow
from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class Role(str, enum.Enum):
    FIRM_MEMBER = "firm_member"
    AGENCY_MEMBER = "agency_member"
    AUDITOR = "auditor"
    SUPERVISOR = "supervisor"
    EXPERT = "expert"
    ADMIN = "admin"

    @classmethod
    def staff_roles(cls):
        return (cls.AUDITOR, cls.SUPERVISOR, cls.EXPERT, cls.ADMIN)


class OrganisationKind(str, enum.Enum):
    FIRM = "firm"
    AGENCY = "agency"


class FirmTier(str, enum.Enum):
    TECH_SME = "tech_sme"
    HIGH_TECH = "high_tech"
    BENCHMARK_HIGH_TECH = "benchmark_high_tech"

    @property
    def rank(self):
        """1 to 3, in the order above: of two valid certificates the higher tier counts."""
        return list(FirmTier).index(self) + 1


class District(CodedReferenceRow, db.Model):
    """A county, district or development zone of the city (admin-editable)."""
    __tablename__ = "districts"
    CODE_LENGTH = 32


class Organisation(db.Model):
    """A firm or a service agency; members of one organisation see its private data.

    Its regulated facts are versions (``accounts.version_models``): the columns here are a
    copy of the current version's, written only when a version is made."""
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind,
                                                               name="organisation_kind"),
                                                   nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    legal_representative: Mapped[str] = mapped_column(String(100), nullable=False)
    registered_address: Mapped[str] = mapped_column(String(300), nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(40), nullable=False)
    bank_account: Mapped[str | None] = mapped_column(String(64))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    firm_tier: Mapped[FirmTier | None] = mapped_column(enum_column(FirmTier, name="firm_tier"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_versions.id", use_alter=True,
                   name="fk_organisations_current_version_id"))

    # Normalised copies, indexed, so related-party checks are lookups rather than scans.
    legal_representative_key: Mapped[str | None] = mapped_column(String(100), index=True)
    registered_address_key: Mapped[str | None] = mapped_column(String(300), index=True)
    contact_phone_key: Mapped[str | None] = mapped_column(String(40), index=True)
    bank_account_key: Mapped[str | None] = mapped_column(String(64), index=True)

    district = relationship(District, lazy="joined")
    members = relationship("User", back_populates="organisation", lazy="select")
    current_version = relationship("OrganisationVersion", foreign_keys=[current_version_id],
                                   post_update=True, lazy="select")

    __table_args__ = (
        db.CheckConstraint("kind = 'firm' OR firm_tier IS NULL", name="tier_only_for_firms"),
    )

    def refresh_keys(self):
        self.legal_representative_key = normalise.name_key(self.legal_representative)
        self.registered_address_key = normalise.address_key(self.registered_address)
        self.contact_phone_key = normalise.phone_key(self.contact_phone)
        self.bank_account_key = normalise.digits_key(self.bank_account)

    @property
    def is_firm(self):
        return self.kind == OrganisationKind.FIRM

    @property
    def is_agency(self):
        return self.kind == OrganisationKind.AGENCY

    def __repr__(self):
        return f"<Organisation {self.id} {self.kind.value} {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role, name="user_role"), nullable=False,
                                       index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Changing it logs every session and remember-me cookie of the user out.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_login_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    organisation = relationship(Organisation, back_populates="members", lazy="joined")

    __table_args__ = (
        db.CheckConstraint(
            "(role IN ('firm_member', 'agency_member')) = (organisation_id IS NOT NULL)",
            name="members_belong_to_an_organisation"),
    )

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return self.is_active_account

    @property
    def is_staff(self):
        return self.role in Role.staff_roles()

    def __repr__(self):
        return f"<User {self.id} {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_used_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    # a token works until then, however often it is used
    expires_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False)

    user = relationship(User, lazy="joined")

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @property
    def is_revoked(self):
        return self.revoked_dt is not None

    def is_expired(self, now):
        return now >= self.expires_dt


class InvitationStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus, name="invitation_status"), nullable=False,
        default=InvitationStatus.PENDING)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    accepted_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    organisation = relationship(Organisation, lazy="joined")



Invitation.TRANSITIONS = TransitionTable({
    InvitationStatus.PENDING: {"accept": InvitationStatus.ACCEPTED,
                               "revoke": InvitationStatus.REVOKED},
})


def lower_email(email):
    return (email or "").strip().lower()



# the versions an organisation's relationships name, mapped wherever organisations are
from marketplace.accounts import version_models  # noqa: E402,F401
