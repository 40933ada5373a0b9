"""A day that differs from the week's rule (Monday to Friday work, the weekend off): a public
holiday on any day, or a weekend day worked instead (调休). Days not listed follow the rule."""
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

SOURCES = ("official", "admin", "import")


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[object] = mapped_column(Date, nullable=False, unique=True)
    # False: a holiday (休息); True: a make-up working day (调休上班)
    is_working: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False)
    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    # "official" (the State Council's schedule, seeded), "admin" (typed), "import" (CSV)
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="admin")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        db.CheckConstraint("source IN ('official', 'admin', 'import')",
                           name="calendar_day_source_known"),
    )

    def display_name(self, locale="zh"):
        return self.name_en if locale == "en" else self.name_zh

