"""The dashboard's tables, defined once: the page renders them beside their charts and the
exports write the very same rows to CSV and XLSX, so the figures cannot drift apart.

A cell holds a raw value: text, an integer count, fen (``"fen"`` columns) or basis points
(``"bp"`` columns, None when there is nothing to divide by).
"""
import calendar
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import literal, select, union_all

from marketplace.accounts.models import District
from marketplace.core.labels import label
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.dashboard.stats import Figures, share_bp
from marketplace.technology_fields.models import TechnologyField


@dataclass
class Column:
    header: str
    kind: str = "text"    # text, int, fen, bp
    wide_screens_only: bool = False   # on the page (not in files): shown on wide screens


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list
    total: list | None = None
    note: str | None = None


@dataclass
class Names:
    """Display names of districts and fields in the user's language (one statement)."""
    locale: str
    districts: dict = field(default_factory=dict)    # id -> (code, name)
    district_order: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)       # code -> name

    def district(self, district_id):
        if district_id is None:
            return _("District not given")
        return self.districts.get(district_id, (None, str(district_id)))[1]

    def field_name(self, code):
        """A technology field of the registration system (the table's name)."""
        return self.fields.get(code) or label(code)


def load_names(locale):
    name = District.name_en if locale == "en" else District.name_zh
    field_name = TechnologyField.name_en if locale == "en" else TechnologyField.name_zh
    statement = union_all(
        select(literal("district").label("kind"), District.id, District.code,
               name.label("name"), District.sort_order),
        select(literal("field"), TechnologyField.id, TechnologyField.code, field_name,
               TechnologyField.sort_order))
    names = Names(locale=locale)
    for row in db.session.execute(statement.order_by("kind", "sort_order", "id")):
        if row.kind == "district":
            names.districts[row.id] = (row.code, row.name)
            names.district_order.append(row.id)
        else:
            names.fields[row.code] = row.name
    return names


def month_name(month, locale):
    return f"{month}月" if locale == "zh" else calendar.month_abbr[month]


def _figure_columns():
    return [Column(_("Technical transaction amount"), "fen"),
            Column(_("Contract amount"), "fen"), Column(_("Contracts"), "int")]


def _figures(figures):
    return [figures.technical_fen, figures.contract_fen, figures.contracts]


def _breakdown(key, title, first_header, entries, total, extra_columns=(), extra=None):
    """Rows of ``(name, Figures)`` with the share of the total technical amount."""
    columns = [Column(first_header)] + _figure_columns() + [Column(_("Share"), "bp")] \
        + list(extra_columns)
    rows = [[name] + _figures(figures) + [share_bp(figures.technical_fen,
                                                   total.technical_fen)]
            + (extra(item) if extra else [])
            for name, figures, item in entries]
    return Table(key, title, columns, rows,
                 total=[_("Total")] + _figures(total) + [None] * (1 + len(extra_columns)))


def summary_table(turnover, projection, target_fen):
    total = turnover.total
    columns = [Column(_("Year"), "int")] + _figure_columns() + [
        Column(_("Target"), "fen"), Column(_("Share of target"), "bp"),
        Column(_("Projection to year-end"), "fen"),
        Column(_("Technical amount through vouchers"), "fen"),
        Column(_("Share through vouchers"), "bp")]
    row = [turnover.filters.year] + _figures(total) + [
        target_fen, share_bp(total.technical_fen, target_fen), projection.amount_fen,
        turnover.voucher.technical_fen,
        share_bp(turnover.voucher.technical_fen, total.technical_fen)]
    return Table("summary", _("Summary"), columns, [row])


def month_table(turnover, names):
    cumulative, previous = turnover.cumulative, turnover.previous_cumulative
    columns = [Column(_("Month"))] + _figure_columns() + [
        Column(_("Cumulative technical amount"), "fen"),
        Column(_("Last year's technical amount"), "fen"),
        Column(_("Last year's cumulative amount"), "fen")]
    rows = [[month_name(m, names.locale)] + _figures(turnover.by_month[m])
            + [cumulative[m], turnover.previous_by_month[m].technical_fen, previous[m]]
            for m in range(1, 13)]
    return Table("months", _("Cumulative by month"), columns, rows,
                 total=[_("Total")] + _figures(turnover.total)
                 + [None, turnover.previous_total.technical_fen, None])


def type_table(turnover):
    entries = [(label(kind.value), turnover.by_type.get(kind.value, Figures()), kind)
               for kind in ContractType
               if turnover.filters.contract_type in (None, kind.value)]
    return _breakdown("types", _("By contract type"), _("Contract type"), entries,
                      turnover.total)


def district_table(turnover, names, targets):
    ids = set(turnover.by_district)
    if turnover.filters.district_id is None:
        ids |= {d for d in targets if d is not None}
    else:
        ids.add(turnover.filters.district_id)
    ordered = sorted(ids, key=lambda d: (-turnover.by_district.get(d, Figures())
                                         .technical_fen, str(names.district(d))))
    entries = [(names.district(d), turnover.by_district.get(d, Figures()), d)
               for d in ordered]

    def with_target(district_id):
        target = targets.get(district_id) if district_id is not None else None
        done = turnover.by_district.get(district_id, Figures()).technical_fen
        return [target, share_bp(done, target) if target else None]

    table = _breakdown("districts", _("By district"), _("District"), entries,
                       turnover.total, [Column(_("District target"), "fen"),
                                        Column(_("Share of target"), "bp")], with_target)
    table.columns[2].wide_screens_only = True     # the contract amount: room for targets
    return table


def field_table(turnover, names):
    ordered = sorted(turnover.by_field.items(),
                     key=lambda item: (-item[1].technical_fen, item[0]))
    entries = [(names.field_name(code), figures, code) for code, figures in ordered]
    return _breakdown("fields", _("By technology field"), _("Technology field"), entries,
                      turnover.total)


def seller_table(turnover):
    columns = [Column(_("Rank"), "int"), Column(_("Seller"))] + _figure_columns() + [
        Column(_("Share"), "bp")]
    rows = [[rank, name] + _figures(figures)
            + [share_bp(figures.technical_fen, turnover.total.technical_fen)]
            for rank, (name, _org, figures) in enumerate(turnover.top_sellers, start=1)]
    return Table("sellers", _("Top 10 agencies (sellers)"), columns, rows)


def voucher_table(turnover):
    total, voucher = turnover.total, turnover.voucher
    without = Figures(total.technical_fen - voucher.technical_fen,
                      total.contract_fen - voucher.contract_fen,
                      total.contracts - voucher.contracts)
    entries = [(_("Paid in part by a voucher"), voucher, True),
               (_("Without a voucher"), without, False)]
    return _breakdown("vouchers", _("Share through vouchers"), _("Funding"), entries, total)


def budget_table(figures):
    budget = figures.budget
    rows = [[_("Budget"), budget["budget_fen"]],
            [_("Issued as vouchers"), budget["issued_fen"]],
            [_("Reserved by contracts"), budget["reserved_fen"]],
            [_("Spent (claims approved)"), budget["spent_fen"]],
            [_("Expired and returned"), budget["expired_fen"]],
            [_("Still available to issue"), budget["available_fen"]]]
    return Table("budget", _("Voucher budget use"),
                 [Column(_("Item")), Column(_("Amount"), "fen")], rows)


FUNNEL_NAMES = {
    "applications": lambda: _("Voucher applications"),
    "vouchers": lambda: _("Vouchers issued"),
    "orders": lambda: _("Orders by voucher holders"),
    "contracts": lambda: _("Contracts with a voucher part"),
    "claims": lambda: _("Redemption claims"),
    "disbursed": lambda: _("Claims disbursed"),
}


def funnel_table(figures):
    rows, previous = [], None
    for step, count, amount in figures.funnel:
        rows.append([FUNNEL_NAMES[step](), count, amount,
                     share_bp(count, previous) if previous is not None else None])
        previous = count
    return Table("funnel", _("From application to disbursement"),
                 [Column(_("Step")), Column(_("Count"), "int"), Column(_("Amount"), "fen"),
                  Column(_("Of the step before"), "bp")], rows)


def sla_table(figures):
    rows = [[label(stage.value), on_time, overdue, on_time + overdue]
            for stage, on_time, overdue in figures.sla]
    return Table("sla", _("Review deadlines of open claims"),
                 [Column(_("Review stage")), Column(_("On time"), "int"),
                  Column(_("Overdue"), "int"), Column(_("Total"), "int")], rows,
                 total=[_("Total"), sum(r[1] for r in rows), sum(r[2] for r in rows),
                        sum(r[3] for r in rows)])
