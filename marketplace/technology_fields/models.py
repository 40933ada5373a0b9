"""The technology fields' table (技术领域)."""
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class TechnologyField(db.Model):
    """A technology field (技术领域) of the national technology-contract registration
    system. Kept by the admin; codes are fixed at creation (registrations, contracts,
    quotes, imports and the exchange's listings refer to them), a field no longer used is
    switched off rather than deleted."""
    __tablename__ = "technology_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def display_name(self, locale="zh"):
        return self.name_en if locale == "en" else self.name_zh
