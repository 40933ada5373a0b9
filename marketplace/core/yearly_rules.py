"""Rules the bureau sets for a year (the commissioners' minimums, the rewards for
registration), versioned as a programme's rules are: a change is a new version of the
year's rules, never an edit, so a computation records the version it applied and can be
explained later. A year without rules of its own takes the latest earlier year's, else the
defaults. Each rule is a whole number (fen, basis points, counts, days)."""
import zlib

from sqlalchemy import ForeignKey, Integer, SmallInteger, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core import audit
from marketplace.core.rows import hold_key
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db


class YearlyRuleVersion:
    """Columns of a version; the table adds one integer column per name in ``DEFAULTS``
    and a unique constraint on (year, version)."""

    DEFAULTS: dict = {}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    @property
    def is_saved(self):
        return self.id is not None

    def values(self):
        return {name: getattr(self, name) for name in self.DEFAULTS}


def rules_for(model, year):
    """The rules in force in ``year``: its latest version, else the latest version of the
    latest earlier year, else an unsaved row holding the defaults (version 0)."""
    found = db.session.execute(
        select(model).where(model.year <= year)
        .order_by(model.year.desc(), model.version.desc()).limit(1)).scalar_one_or_none()
    if found is not None:
        return found
    return model(year=year, version=0, **model.DEFAULTS)


def versions_of(model, year):
    return db.session.execute(select(model).where(model.year == year)
                              .order_by(model.version.desc())).scalars().all()


def set_rules(model, year, actor, values, note=None):
    """Record ``values`` as the year's rules: a new version when they differ from those in
    force (or the year has none of its own yet); returns the rules in force afterwards."""
    # the year's rules held first: saved twice at once (a double click), both would read
    # the same latest version and the second insert break (year, version); the second
    # waits, then finds the first's version and, the same values, adds none
    hold_key(zlib.crc32(model.__tablename__.encode()) - 2**31, year)
    current = rules_for(model, year)
    merged = {**current.values(), **{k: int(v) for k, v in values.items()
                                     if k in model.DEFAULTS}}
    if current.year == year and current.is_saved and merged == current.values():
        return current
    latest = db.session.execute(select(func.max(model.version)).where(
        model.year == year)).scalar() or 0
    version = model(year=year, version=latest + 1, note=(note or "").strip() or None,
                    created_by_id=getattr(actor, "id", None), **merged)
    db.session.add(version)
    db.session.flush()
    audit.record(version, "set_rules", actor=actor,
                 data={"year": year, "version": version.version, **merged})
    return version
