"""Turnover statistics for the bureau's dashboard, its exports, the stats API and the public
page. Everything is aggregated by the database: one GROUPING SETS statement (its UNION ALL
equivalent on SQLite) gives the month, type, district, field and voucher breakdowns of the
year and of the year before; a second statement gives the top sellers. No Python loop ever
walks the registrations, only the few aggregated groups.

Turnover counts confirmed registrations of sellers in the city, by registration year. Rows
are signed deltas (amendments and cancellations), so the sums need no replay; the number of
contracts is signed the same way (an original +1, a cancellation -1).
"""
import calendar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal, null, select, tuple_, union_all

from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN
from marketplace.turnover.models import ContractRegistration as CR
from marketplace.turnover.models import (RegistrationKind, RegistrationStatus,
                                         TurnoverTarget)

TOP_SELLERS = 10
# the breakdowns of the grouping statement, in the order of its key columns
SETS = ("month", "type", "district", "field", "voucher")
_KEYS = {"month": CR.registered_month, "type": CR.contract_type,
         "district": CR.seller_district_id, "field": CR.field_code,
         "voucher": CR.voucher_funded}


@dataclass(frozen=True)
class Filters:
    year: int
    district_id: int | None = None
    contract_type: str | None = None    # a ContractType value

    @classmethod
    def of(cls, year, district_id=None, contract_type=None):
        kind = getattr(contract_type, "value", contract_type) or None
        if kind is not None and kind not in {t.value for t in ContractType}:
            raise ValueError(f"unknown contract type {kind!r}")
        return cls(int(year), district_id or None, kind)


@dataclass
class Figures:
    """Technical and contract amounts (fen) and the signed number of contracts."""
    technical_fen: int = 0
    contract_fen: int = 0
    contracts: int = 0

    def add(self, other):
        self.technical_fen += other.technical_fen
        self.contract_fen += other.contract_fen
        self.contracts += other.contracts


@dataclass
class Turnover:
    filters: Filters
    total: Figures
    previous_total: Figures
    by_month: dict            # month -> Figures (1..12, all present)
    previous_by_month: dict   # the year before, same shape
    by_type: dict             # ContractType value -> Figures
    by_district: dict         # district id (None: not given) -> Figures
    by_field: dict            # field code -> Figures
    voucher: Figures          # the part of a voucher-funded contract
    top_sellers: list = field(default_factory=list)   # (name, org id, Figures)

    @property
    def cumulative(self):
        running, out = 0, {}
        for month in range(1, 13):
            running += self.by_month[month].technical_fen
            out[month] = running
        return out

    @property
    def previous_cumulative(self):
        running, out = 0, {}
        for month in range(1, 13):
            running += self.previous_by_month[month].technical_fen
            out[month] = running
        return out


def counted_conditions(filters, years=None):
    """The WHERE clause of the registrations that count toward the filtered turnover."""
    conditions = [CR.status == RegistrationStatus.CONFIRMED, CR.seller_in_city.is_(True),
                  CR.registered_year.in_(years or (filters.year,))]
    if filters.district_id is not None:
        conditions.append(CR.seller_district_id == filters.district_id)
    if filters.contract_type is not None:
        conditions.append(CR.contract_type == ContractType(filters.contract_type))
    return conditions


def _sums():
    signed_count = case((CR.kind == RegistrationKind.ORIGINAL, 1),
                        (CR.kind == RegistrationKind.CANCELLATION, -1), else_=0)
    return (func.coalesce(func.sum(CR.technical_amount_fen), 0).label("technical_fen"),
            func.coalesce(func.sum(CR.contract_amount_fen), 0).label("contract_fen"),
            func.coalesce(func.sum(signed_count), 0).label("contracts"))


# GROUPING(month, type, district, field, voucher) is a bit mask with a 1 for each key
# column a row is not grouped by: each breakdown leaves exactly its own bit at 0
_MASKS = {(2 ** len(SETS) - 1) - (1 << (len(SETS) - 1 - i)): name
          for i, name in enumerate(SETS)}
_MASK_OF = {name: mask for mask, name in _MASKS.items()}


def grouping_statement(filters, dialect_name):
    """One statement for every breakdown of the year and the year before. Each row carries
    ``grouping_bits`` (naming its breakdown, see ``_MASKS``), the year and the keys.

    The registrations are first summed at the finest grain (year, month, type, district,
    field, voucher: a few tens of thousands of groups for a million rows, in parallel on
    PostgreSQL), and the breakdowns are then taken from those sums: more than twice as fast
    as five hash aggregates over every row."""
    conditions = counted_conditions(filters, years=(filters.year, filters.year - 1))
    keys = [_KEYS[name].label(name) for name in SETS]
    fine = (select(CR.registered_year, *keys, *_sums()).where(*conditions)
            .group_by(CR.registered_year, *[_KEYS[name] for name in SETS])).cte("fine")
    year = fine.c.registered_year
    columns = [fine.c[name] for name in SETS]
    sums = (func.sum(fine.c.technical_fen).label("technical_fen"),
            func.sum(fine.c.contract_fen).label("contract_fen"),
            func.sum(fine.c.contracts).label("contracts"))
    if dialect_name == "postgresql":
        return (select(func.grouping(*columns).label("grouping_bits"), year, *columns, *sums)
                .group_by(func.grouping_sets(*[tuple_(year, column) for column in columns])))
    parts = []   # SQLite has no GROUPING SETS: the same rows, one GROUP BY per breakdown
    for name, column in zip(SETS, columns):
        shown = [(c if c is column else null()).label(n) for n, c in zip(SETS, columns)]
        parts.append(select(literal(_MASK_OF[name]).label("grouping_bits"), year, *shown,
                            *sums).group_by(year, column))
    return union_all(*parts)


def top_sellers_statement(filters, limit=TOP_SELLERS):
    technical, contract, contracts = _sums()
    return (select(CR.seller_name, func.max(CR.seller_org_id).label("seller_org_id"),
                   technical, contract, contracts)
            .where(*counted_conditions(filters))
            .group_by(CR.seller_name)
            .order_by(technical.desc(), CR.seller_name).limit(limit))


def absorbed_conditions(filters):
    """Technology the city bought from sellers elsewhere (技术吸纳): confirmed registrations
    with the buyer in the city and the seller outside. They count toward the seller's city,
    so they are shown beside the turnover, never in it; the district filter is the
    buyer's."""
    conditions = [CR.status == RegistrationStatus.CONFIRMED, CR.seller_in_city.is_(False),
                  CR.buyer_district_id.is_not(None), CR.registered_year == filters.year]
    if filters.district_id is not None:
        conditions.append(CR.buyer_district_id == filters.district_id)
    if filters.contract_type is not None:
        conditions.append(CR.contract_type == ContractType(filters.contract_type))
    return conditions


def absorbed_statement(filters):
    return select(*_sums()).where(*absorbed_conditions(filters))


def absorbed(filters):
    """The filtered year's technology absorbed from outside the city: one statement."""
    row = db.session.execute(absorbed_statement(filters)).one()
    return Figures(int(row.technical_fen), int(row.contract_fen), int(row.contracts))


def reference_statements(filters, dialect_name="postgresql"):
    """The SQL the dashboard's turnover figures need (for the benchmark's reference)."""
    return [grouping_statement(filters, dialect_name), top_sellers_statement(filters),
            absorbed_statement(filters)]


def turnover(filters, *, with_top_sellers=True):
    """The filtered turnover of ``filters.year``: two statements at most."""
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(grouping_statement(filters, dialect)).mappings().all()
    result = Turnover(filters=filters, total=Figures(), previous_total=Figures(),
                      by_month={m: Figures() for m in range(1, 13)},
                      previous_by_month={m: Figures() for m in range(1, 13)},
                      by_type={}, by_district={}, by_field={}, voucher=Figures())
    for row in rows:     # one row per group (at most a few hundred), never per contract
        figures = Figures(int(row["technical_fen"]), int(row["contract_fen"]),
                          int(row["contracts"]))
        name = _MASKS.get(int(row["grouping_bits"]))
        current = int(row["registered_year"]) == filters.year
        if name == "month":
            (result.by_month if current else result.previous_by_month)[
                int(row["month"])] = figures
            (result.total if current else result.previous_total).add(figures)
        elif not current:
            continue
        elif name == "type":
            result.by_type[getattr(row["type"], "value", row["type"])] = figures
        elif name == "district":
            key = row["district"]
            result.by_district[int(key) if key is not None else None] = figures
        elif name == "field":
            result.by_field[row["field"]] = figures
        elif name == "voucher" and bool(row["voucher"]):
            result.voucher = figures
    if with_top_sellers:
        result.top_sellers = [
            (row.seller_name, row.seller_org_id,
             Figures(int(row.technical_fen), int(row.contract_fen), int(row.contracts)))
            for row in db.session.execute(top_sellers_statement(filters))]
    return result


def turnover_total(year):
    """The city's turnover of ``year`` (technical, contract, contracts): one statement."""
    row = db.session.execute(select(*_sums()).where(
        *counted_conditions(Filters(year)))).one()
    return Figures(int(row.technical_fen), int(row.contract_fen), int(row.contracts))


# --- targets --------------------------------------------------------------------------

def targets_of_year(year):
    """``{None: city target, district id: target}`` for ``year``, one statement; the city
    target is the default (¥6.0 bn) when the admin has set none."""
    found = dict(db.session.execute(
        select(TurnoverTarget.district_id, TurnoverTarget.target_fen)
        .where(TurnoverTarget.year == year)).all())
    found.setdefault(None, DEFAULT_CITY_TARGET_FEN)
    return {key: int(value) for key, value in found.items()}


# --- projection -----------------------------------------------------------------------

@dataclass
class Projection:
    amount_fen: int | None
    method: str          # "complete", "shape", "linear", "not_started"
    as_of: date | None


def project(result, today=None):
    """The year-end projection of the technical amount.

    A past year is complete. In the current year, when the year before has turnover in
    the same filter, the amount so far is divided by the share the year before had reached
    by the same day (its monthly shape, the current month pro rata by days); otherwise it
    is extrapolated linearly on the days elapsed. A future year has no projection.
    """
    today = today or date.today()
    year = result.filters.year
    actual = result.total.technical_fen
    if year < today.year:
        return Projection(actual, "complete", date(year, 12, 31))
    if year > today.year:
        return Projection(None, "not_started", None)
    day_of_year = today.timetuple().tm_yday
    days_in_year = 366 if calendar.isleap(year) else 365
    previous_total = result.previous_total.technical_fen
    if previous_total > 0:
        month_days = calendar.monthrange(year, today.month)[1]
        before = sum(result.previous_by_month[m].technical_fen
                     for m in range(1, today.month))
        # the share of last year's total reached by today, as a fraction over month_days
        reached = before * month_days \
            + result.previous_by_month[today.month].technical_fen * today.day
        if reached > 0:
            return Projection(actual * previous_total * month_days // reached, "shape",
                              today)
    return Projection(actual * days_in_year // day_of_year, "linear", today)


def share_bp(part, whole):
    """``part`` of ``whole`` in basis points (integer; None when the whole is not positive)."""
    if not whole or whole <= 0:
        return None
    return part * 10_000 // whole
