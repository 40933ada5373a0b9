import json

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db


class Notification(db.Model):
    """One message in a user's in-app inbox. Text is rendered in the reader's language
    when shown, from ``kind`` and ``params``, so nothing is stored pre-translated."""
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    link: Mapped[str | None] = mapped_column(String(500))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    read_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    emailed_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_dt"),)

    @property
    def params_dict(self):
        return json.loads(self.params or "{}")


class SentMail(db.Model):
    """A record of each e-mail handed to the SMTP server, keyed by the outbox message that
    asked for it, so a retried delivery never sends the same mail twice."""
    __tablename__ = "sent_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    sent_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
