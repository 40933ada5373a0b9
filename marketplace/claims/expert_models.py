"""The expert pool (专家库): experts with their fields, their declared ties to
organisations, and each invitation to review a claim with its scores."""
import enum

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Integer, SmallInteger,
                        String, Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db

expert_fields = Table(
    "expert_fields", db.metadata,
    Column("expert_id", ForeignKey("expert_profiles.user_id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", ForeignKey("service_categories.id"), primary_key=True, index=True),
)


class ExpertProfile(db.Model):
    __tablename__ = "expert_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    is_suspended: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    suspended_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # the latest reinstatement: a fresh start, only no-shows of invitations sent after it
    # count toward the automatic suspension
    reinstated_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    # the organisation the expert works for, when it is on the platform: never drawn for
    # its claims
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    # the province the expert works in (GB/T 2260 code); NULL: not stated, counted as home
    province: Mapped[str | None] = mapped_column(String(2), index=True)
    # removal from the pool (退库): out of the draws for good, unless admitted again
    removed_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    removal_reason: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    user = relationship("User", lazy="joined", innerjoin=True)
    organisation = relationship("Organisation", lazy="joined")
    fields = relationship("ServiceCategory", secondary=expert_fields, lazy="selectin")

    @property
    def id(self):
        """The audit log names a profile by its user's id."""
        return self.user_id

    @property
    def pool_status(self):
        """active, suspended or removed, as a state of the pool's transition table."""
        if self.removed_dt is not None:
            return ExpertStatus.REMOVED
        return ExpertStatus.SUSPENDED if self.is_suspended else ExpertStatus.ACTIVE

    @pool_status.setter
    def pool_status(self, value):
        value = ExpertStatus(value)
        # a removed expert is out of the draws as a suspended one is
        self.is_suspended = value != ExpertStatus.ACTIVE
        if value == ExpertStatus.REMOVED:
            self.removed_dt = self.removed_dt or now_utc()
        else:
            self.removed_dt = self.removal_reason = None


class ExpertStatus(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed_from_pool"


# suspended by the bureau or by the no-show rule; reinstated only by an explicit step;
# removed (退库) after a "not competent" assessment, and back only by a new admission
ExpertProfile.TRANSITIONS = TransitionTable({
    ExpertStatus.ACTIVE: {"suspend": ExpertStatus.SUSPENDED, "remove": ExpertStatus.REMOVED},
    ExpertStatus.SUSPENDED: {"reinstate": ExpertStatus.ACTIVE,
                             "remove": ExpertStatus.REMOVED},
    ExpertStatus.REMOVED: {"readmit": ExpertStatus.ACTIVE},
})


class ExpertConflict(db.Model):
    """A recorded tie (employment, shareholding, family...) between an expert and an
    organisation: the expert is never drawn for that organisation's claims."""
    __tablename__ = "expert_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.user_id"),
                                           nullable=False, index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 nullable=False, index=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (UniqueConstraint("expert_id", "organisation_id",
                                       name="uq_expert_conflicts_pair"),)


class InvitationState(str, enum.Enum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    SCORED = "scored"


class ExpertInvitation(db.Model):
    __tablename__ = "expert_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), nullable=False, index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.user_id"),
                                           nullable=False, index=True)
    status: Mapped[InvitationState] = mapped_column(
        enum_column(InvitationState, name="expert_invitation_state"), nullable=False,
        default=InvitationState.INVITED, index=True)
    invited_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    respond_by_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    responded_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    necessity: Mapped[int | None] = mapped_column(SmallInteger)
    price_reasonableness: Mapped[int | None] = mapped_column(SmallInteger)
    delivery_quality: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    scored_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    expert = relationship(ExpertProfile, lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("claim_id", "expert_id", name="uq_expert_invitations_once"),
        CheckConstraint("(status = 'scored') = (necessity IS NOT NULL AND "
                        "price_reasonableness IS NOT NULL AND delivery_quality IS NOT NULL)",
                        name="scores_when_scored"),
        CheckConstraint("necessity IS NULL OR (necessity BETWEEN 1 AND 5 AND "
                        "price_reasonableness BETWEEN 1 AND 5 AND "
                        "delivery_quality BETWEEN 1 AND 5)", name="scores_in_range"),
    )

    @property
    def mean_score_x100(self):
        if self.necessity is None:
            return None
        return (self.necessity + self.price_reasonableness + self.delivery_quality) * 100 // 3


ExpertInvitation.TRANSITIONS = TransitionTable({
    InvitationState.INVITED: {"accept": InvitationState.ACCEPTED,
                              "decline": InvitationState.DECLINED,
                              "expire": InvitationState.NO_SHOW},
    InvitationState.ACCEPTED: {"score": InvitationState.SCORED,
                               "expire": InvitationState.NO_SHOW},
})
