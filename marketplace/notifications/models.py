import json

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
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


class NotificationPreference(db.Model):
    """Whether a user wants e-mail for one notification kind (no row: yes). The in-app
    inbox row is written either way."""
    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    email_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                                server_default=sa_true())

    __table_args__ = (db.UniqueConstraint("user_id", "kind",
                                          name="uq_notification_preferences_user_kind"),)


class NotificationSettings(db.Model):
    """A user's mail settings beyond single kinds: one daily digest instead of single
    mails (no row: single mails)."""
    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                               server_default=sa_false())
    last_digest_dt: Mapped[object | None] = mapped_column(UTCDateTime)
