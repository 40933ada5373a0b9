"""The shape of a coded reference row: a short list kept by the admin (the city's
districts, the technology fields) whose codes other tables and imported files refer to."""
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class CodedReferenceRow:
    """Mixin of a model whose rows are such a list: a code fixed at creation (at most
    ``CODE_LENGTH`` characters, each list its own), a unique Chinese name and an English
    one, switched off rather than deleted (rows elsewhere still name it), shown in
    ``sort_order``."""
    CODE_LENGTH = 40

    # the declared ``code`` is made after the plain columns: ``sort_order`` keeps the
    # tables' column order (id, code, names, ...) as the migrations made them
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-2)

    @declared_attr
    def code(cls) -> Mapped[str]:
        return mapped_column(String(cls.CODE_LENGTH), nullable=False, unique=True,
                             sort_order=-1)

    name_zh: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def display_name(self, locale="zh"):
        return self.name_en if locale == "en" else self.name_zh
