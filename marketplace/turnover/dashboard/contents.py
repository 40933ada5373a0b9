"""Everything the dashboard page and its exports show, gathered with a fixed, small number
of statements whatever the number of registrations: the names, the turnover breakdowns,
top sellers, technology absorbed from outside the city, the year's targets and the voucher
figures (bench/RESULTS.md counts them)."""
from dataclasses import dataclass
from datetime import date

from marketplace.turnover.dashboard import programme_stats, stats, tables


@dataclass
class Dashboard:
    filters: stats.Filters
    names: tables.Names
    turnover: stats.Turnover
    absorbed: stats.Figures
    projection: stats.Projection
    targets: dict
    target_fen: int | None
    programme: programme_stats.ProgrammeFigures
    tables: dict     # key -> tables.Table, in page order

    def table(self, key):
        return self.tables[key]


def headline_target(filters, targets):
    """The city's target, or the district's when one district is chosen (None if unset)."""
    if filters.district_id is None:
        return targets[None]
    return targets.get(filters.district_id)


def reference_statements(filters, dialect_name="postgresql", today=None):
    """The raw aggregates behind the page (turnover breakdowns, top sellers, voucher
    figures), for a benchmark to time directly against the page."""
    return stats.reference_statements(filters, dialect_name) + [
        programme_stats.programme_statement(filters.year, today or date.today())]


def build(filters, locale, today=None, names=None):
    """``names``: the districts' and fields' names, when the caller has read them."""
    today = today or date.today()
    names = names or tables.load_names(locale)
    turnover = stats.turnover(filters)
    absorbed = stats.absorbed(filters)
    projection = stats.project(turnover, today)
    targets = stats.targets_of_year(filters.year)
    target_fen = headline_target(filters, targets)
    programme = programme_stats.programme_figures(filters.year, today)
    built = [
        tables.summary_table(turnover, projection, target_fen),
        tables.month_table(turnover, names),
        tables.type_table(turnover),
        tables.district_table(turnover, names, targets),
        tables.field_table(turnover, names),
        tables.seller_table(turnover),
        tables.voucher_table(turnover),
        tables.budget_table(programme),
        tables.funnel_table(programme),
        tables.sla_table(programme),
    ]
    return Dashboard(filters=filters, names=names, turnover=turnover, absorbed=absorbed,
                     projection=projection,
                     targets=targets, target_fen=target_fen, programme=programme,
                     tables={t.key: t for t in built})
