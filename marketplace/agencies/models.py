from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

    parent = relationship("ServiceCategory", remote_side=[id])

    def display_name(self, locale="zh"):
        return self.name_en if locale == "en" else self.name_zh
