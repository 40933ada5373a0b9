"""Recoveries: money paid out to an agency that it owes back (a claim voided after it was
paid, a co-pay refunded to the firm after it was paid out). Shown to the agency and the
bureau until collected, by netting from the agency's next payout or by repayment."""
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class RecoveryKind(str, enum.Enum):
    VOUCHER_PART = "voucher_part"
    COPAY = "copay"


class RecoveryStatus(str, enum.Enum):
    OWED = "owed"
    COLLECTED = "collected"


class Recovery(db.Model):
    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                           index=True)
    kind: Mapped[RecoveryKind] = mapped_column(enum_column(RecoveryKind,
                                                           name="recovery_kind"),
                                               nullable=False)
    status: Mapped[RecoveryStatus] = mapped_column(
        enum_column(RecoveryStatus, name="recovery_status"), nullable=False,
        default=RecoveryStatus.OWED, index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False,
                                          index=True)
    # the voucher a voucher part's recovery returns to once collected
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    collected_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    collected_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    collections = relationship("RecoveryCollection", back_populates="recovery",
                               order_by="RecoveryCollection.id", lazy="select")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("collected_fen >= 0 AND collected_fen <= amount_fen",
                        name="collected_within_amount"),
        CheckConstraint("(status = 'collected') = (collected_fen = amount_fen)",
                        name="collected_when_whole"),
        CheckConstraint("kind <> 'voucher_part' OR (claim_id IS NOT NULL AND "
                        "voucher_id IS NOT NULL)", name="voucher_part_names_claim"),
    )

    @property
    def outstanding_fen(self):
        return self.amount_fen - self.collected_fen


Recovery.TRANSITIONS = TransitionTable({
    RecoveryStatus.OWED: {"collect": RecoveryStatus.COLLECTED},
})


class CollectionMethod(str, enum.Enum):
    NETTED = "netted"      # deducted from the agency's payout in a disbursement batch
    REPAID = "repaid"      # the agency paid it back (a bank reference)


class RecoveryCollection(db.Model):
    __tablename__ = "recovery_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"), nullable=False,
                                             index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[CollectionMethod] = mapped_column(
        enum_column(CollectionMethod, name="collection_method"), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("disbursement_batches.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    recovery = relationship(Recovery, back_populates="collections")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("(method = 'netted') = (batch_id IS NOT NULL)",
                        name="netted_names_batch"),
    )
