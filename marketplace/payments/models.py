"""Payments through the gateway and the webhook events that told us about them."""
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class PaymentStatus(str, enum.Enum):
    PENDING = "pending"                      # created, the gateway has not answered yet
    REQUIRES_ACTION = "requires_action"      # 3-D Secure: the card holder must confirm
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED,
                 PaymentStatus.REFUNDED)

S = PaymentStatus
# Money once received never goes back to "unpaid": a payment_failed event arriving after
# succeeded finds no "fail" action from succeeded, and is ignored. A failed PaymentIntent
# may still succeed (the card holder retries it on the Stripe.js page).
PAYMENT_TRANSITIONS = TransitionTable({
    S.PENDING: {"require_action": S.REQUIRES_ACTION, "succeed": S.SUCCEEDED, "fail": S.FAILED},
    S.REQUIRES_ACTION: {"succeed": S.SUCCEEDED, "fail": S.FAILED},
    S.FAILED: {"require_action": S.REQUIRES_ACTION, "succeed": S.SUCCEEDED},
    S.SUCCEEDED: {"refund_part": S.PARTIALLY_REFUNDED, "refund": S.REFUNDED},
    S.PARTIALLY_REFUNDED: {"refund_part": S.PARTIALLY_REFUNDED, "refund": S.REFUNDED},
    S.REFUNDED: {},
})


class Payment(db.Model):
    """One charge of a card through the gateway for something of another domain.

    The subject is named generically (``subject_type`` "order", ``subject_id`` 7) so
    payments depend on no other domain. ``idempotency_key`` is the caller's key for the
    charge: asking again with it returns this row instead of charging twice.
    """
    __tablename__ = "payments"
    TRANSITIONS = PAYMENT_TRANSITIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="cny")
    # None until the gateway names one (localstripe names none for a declined card).
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, name="payment_status"), nullable=False,
        default=PaymentStatus.PENDING)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    last_error_message: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                               onupdate=now_utc)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen",
                        name="refund_within_amount"),
        CheckConstraint("refunded_fen = 0 OR status IN ('partially_refunded', 'refunded')",
                        name="refund_needs_refund_status"),
        CheckConstraint("status <> 'refunded' OR refunded_fen = amount_fen",
                        name="refunded_in_full"),
        CheckConstraint("status IN ('pending', 'failed') OR payment_intent_id IS NOT NULL",
                        name="intent_known_once_answered"),
        db.Index("ix_payments_subject", "subject_type", "subject_id"),
    )

    @property
    def is_paid(self):
        """The money came in (some of it may have gone back since)."""
        return self.status in PAID_STATUSES

    @property
    def refundable_fen(self):
        return self.amount_fen - self.refunded_fen if self.is_paid else 0

    def __repr__(self):
        return f"<Payment {self.id} {self.subject_type}:{self.subject_id} {self.status.value}>"


class WebhookEvent(db.Model):
    """Every event the webhook accepted, once: a replay finds its id and does nothing.

    ``processed_dt`` is set when a handler of the payments domain ran for it (events of
    other types are kept, unprocessed); ``error`` when the handler refused the event
    (for instance an amount that does not match the payment), which needs a person.
    """
    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    received_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    processed_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text, nullable=False)


class Reconciliation(db.Model):
    """One reading of the gateway's PaymentIntents for a window, matched to payments and
    their postings: what differed, and what was done about it (``differences``: a JSON
    list of ``{"intent", "payment", "kind", "detail"}``)."""
    __tablename__ = "payment_reconciliations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_from: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    window_to: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    intents_seen: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    payments_seen: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    difference_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    differences: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (CheckConstraint("window_from < window_to", name="window_ordered"),)

    @property
    def difference_list(self):
        import json
        return json.loads(self.differences or "[]")
