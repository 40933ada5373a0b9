"""The bureau's turnover dashboard and its exports. Filters are GET parameters (year,
district, type) kept in the form and carried by every export link; the registry export
is a POSTed form that starts a background job (see ``exports.start_registry_export``)."""
from datetime import date

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.models import District
from marketplace.core.money import FEN_PER_YUAN, format_fen
from marketplace.core.normalise import typed_id, whole_number
from marketplace.core.permissions import access
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.dashboard import charts, contents, exports, tables
from marketplace.turnover.dashboard.permissions import (can_export_turnover,
                                                        can_view_turnover_dashboard)
from marketplace.turnover.dashboard.stats import Filters
from marketplace.turnover.models import RegistrationSource, RegistrationStatus

bp = Blueprint("turnover_dashboard", __name__, url_prefix="/turnover")

YEARS_SHOWN = 8


@bp.app_template_filter("percent_bp")
def percent_bp(value):
    """Basis points as a percentage with two decimals: 1234 -> "12.34%"."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(int(value)), 100)
    return f"{sign}{whole}.{part:02d}%"


@bp.app_template_filter("yuan_whole")
def yuan_whole(fen):
    """Fen as whole yuan (rounded half up) for the page's tables: ¥1,234,568."""
    if fen is None:
        return "—"
    return format_fen(fen, places=0)


@bp.app_template_filter("yuan_short")
def yuan_short(fen):
    """A headline amount: 亿元 / 万元 in Chinese, bn / m yuan in English (two decimals)."""
    if fen is None:
        return "—"
    if _locale() == "zh":
        symbol, units = "", ((10**8, " 亿元"), (10**4, " 万元"))
    else:
        symbol, units = "¥", ((10**9, " bn"), (10**6, " m"))
    for size, unit in units:
        if abs(fen) >= size * FEN_PER_YUAN:
            return format_fen(fen, symbol, unit=size) + unit
    return format_fen(fen)


def _locale():
    return str(get_locale() or "zh")


def _is_district(district_id, known_districts=None):
    if known_districts is not None:
        return district_id in known_districts
    return db.session.get(District, district_id) is not None


def parse_filters(args, today=None, known_districts=None):
    """``(Filters, errors)`` from the query string; a value not understood is reported and
    left out (the page still shows the rest). ``known_districts``: the ids of the page's
    names, when it has read them (else the district is looked up)."""
    today = today or date.today()
    errors = {}
    year = today.year
    raw_year = (args.get("year") or "").strip()
    if raw_year:
        if whole_number(raw_year, 2000, 2100):
            year = int(raw_year)
        else:
            errors["year"] = _("Choose a year between 2000 and 2100.")
    district_id = None
    raw_district = (args.get("district") or "").strip()
    if raw_district:
        # an id that names no district is not understood either: filtering by it would
        # show every figure as zero under a list saying "the whole city"
        if typed_id(raw_district) and _is_district(int(raw_district), known_districts):
            district_id = int(raw_district)
        else:
            errors["district"] = _("Choose a district from the list.")
    kind = (args.get("type") or "").strip() or None
    if kind is not None and kind not in {t.value for t in ContractType}:
        errors["type"] = _("Choose a contract type from the list.")
        kind = None
    return Filters.of(year, district_id, kind), errors


def filter_args(filters):
    """The filters as query arguments for links (exports, other pages)."""
    args = {"year": filters.year}
    if filters.district_id is not None:
        args["district"] = filters.district_id
    if filters.contract_type is not None:
        args["type"] = filters.contract_type
    return args


def _charts(data, locale):
    money = lambda fen: charts.compact_yuan(fen, locale)  # noqa: E731
    turnover, this_year = data.turnover, date.today()
    last_month = 12 if data.filters.year < this_year.year else (
        this_year.month if data.filters.year == this_year.year else 0)
    cumulative = turnover.cumulative
    months = [tables.month_name(m, locale) for m in range(1, 13)]

    def bars(key, name_column=0):
        table = data.table(key)
        return [(row[name_column], row[name_column + 1]) for row in table.rows]

    year = data.filters.year
    return {
        "target": charts.target_chart(
            turnover.total.technical_fen, data.projection.amount_fen, data.target_fen,
            title=_("Technical transaction amount against the target"),
            description=_("%(done)s so far, projected %(projected)s, target %(target)s.",
                          done=format_fen(turnover.total.technical_fen),
                          projected=format_fen(data.projection.amount_fen) or "—",
                          target=format_fen(data.target_fen) or "—"),
            value_format=money, names=(_("So far"), _("Projection"), _("Target"))),
        "months": charts.line_chart(
            months,
            [(str(year), [cumulative[m] if m <= last_month else None
                          for m in range(1, 13)], "primary", False),
             (str(year - 1), list(turnover.previous_cumulative.values()), "previous",
              True)],
            title=_("Cumulative technical transaction amount by month"),
            description=_("The table beside the chart gives every month's figures."),
            value_format=money,
            reference=(_("Target"), data.target_fen) if data.target_fen else None),
        "types": charts.bar_chart(
            bars("types"), title=_("Technical transaction amount by contract type"),
            description=_("The table beside the chart gives the figures."),
            value_format=money),
        "districts": charts.bar_chart(
            bars("districts"), title=_("Technical transaction amount by district"),
            description=_("The table beside the chart gives the figures."),
            value_format=money),
        "fields": charts.bar_chart(
            bars("fields")[:12], title=_("Technical transaction amount by field"),
            description=_("The table beside the chart gives the figures."),
            value_format=money),
        "sellers": charts.bar_chart(
            bars("sellers", 1), title=_("Top 10 agencies by technical transaction amount"),
            description=_("The table beside the chart gives the figures."),
            value_format=money),
        "vouchers": charts.bar_chart(
            bars("vouchers"), title=_("Technical transaction amount with and without "
                                      "vouchers"),
            description=_("The table beside the chart gives the figures."),
            value_format=money, colour="voucher"),
        "funnel": charts.bar_chart(
            [(row[0], row[1]) for row in data.table("funnel").rows],
            title=_("From application to disbursement"),
            description=_("The table beside the chart gives the figures."),
            value_format=lambda n: f"{int(n):,}"),
        "sla": charts.bar_chart(
            [(row[0], [row[1], row[2]]) for row in data.table("sla").rows],
            title=_("Open claims on time and overdue by review stage"),
            description=_("The table beside the chart gives the figures."),
            value_format=lambda n: f"{int(n):,}", series_names=[_("On time"), _("Overdue")],
            colours=["voucher", "target"]),
    }


def projection_note(projection):
    """How the year-end projection was made, in words for the page."""
    if projection.method == "shape":
        return _("Last year's monthly shape: the amount so far divided by the share of last "
                 "year's total that had been registered by the same day (%(day)s).",
                 day=projection.as_of.isoformat())
    if projection.method == "linear":
        return _("Linear on the days elapsed: the amount so far times the days of the year, "
                 "divided by the %(days)s days elapsed (%(day)s). Used when last year has no "
                 "turnover to give the monthly shape.",
                 days=projection.as_of.timetuple().tm_yday, day=projection.as_of.isoformat())
    if projection.method == "complete":
        return _("The year is over: the projection is the final amount.")
    return _("The year has not begun: there is nothing to project yet.")


@bp.route("/dashboard")
@access(can_view_turnover_dashboard)
def dashboard():
    locale = _locale()
    names = tables.load_names(locale)
    filters, errors = parse_filters(request.args, known_districts=names.districts)
    data = contents.build(filters, locale, names=names)
    this_year = date.today().year
    years = sorted({filters.year, *range(this_year - YEARS_SHOWN + 1, this_year + 1)},
                   reverse=True)
    return render_template(
        "turnover/dashboard.html", data=data, filters=filters, errors=errors,
        charts=_charts(data, locale), years=years,
        projection_note=projection_note(data.projection), types=list(ContractType),
        args=filter_args(filters), sources=list(RegistrationSource),
        statuses=list(RegistrationStatus)), 422 if errors else 200


@bp.route("/dashboard/<key>.<any(csv, xlsx):file_format>")
@access(can_export_turnover)
def export_table(key, file_format):
    names = tables.load_names(_locale())
    filters, errors = parse_filters(request.args, known_districts=names.districts)
    if errors:
        abort(400)
    data = contents.build(filters, _locale(), names=names)
    if key == "all" and file_format == "xlsx":
        chosen = list(data.tables.values())
    elif key in data.tables:
        chosen = [data.tables[key]]
    else:
        abort(404)
    name = f"turnover-{filters.year}-{key}.{file_format}"
    headers = {"Content-Disposition": f"attachment; filename={name}",
               "Cache-Control": "no-store"}
    if file_format == "csv":
        return Response(exports.table_csv(chosen[0]), mimetype=exports.CSV_MIMETYPE,
                        headers=headers)
    import io
    return Response(exports.tables_xlsx(chosen, io.BytesIO()).getvalue(),
                    mimetype=exports.XLSX_MIMETYPE, headers=headers)


def _registry_filters(args):
    """``(registry_statement keywords, the dashboard's Filters)`` from the form; 400 for
    a value not understood."""
    every_year = (args.get("year") or "").strip() == "all"
    if every_year:
        args = {name: value for name, value in args.items() if name != "year"}
    filters, errors = parse_filters(args)
    if errors:
        abort(400)
    status = args.get("status") or None
    source = args.get("source") or None
    if status not in (None, *[s.value for s in RegistrationStatus]) \
            or source not in (None, *[s.value for s in RegistrationSource]):
        abort(400)
    return dict(year=None if every_year else filters.year, district_id=filters.district_id,
                contract_type=filters.contract_type, status=status, source=source), filters


@bp.route("/export/registry", methods=["POST"])
@access(can_export_turnover)
def export_registry():
    """Every registration row (originals, amendments, cancellations; any status unless
    filtered) as ``format`` csv or xlsx: a million rows take a while, so a worker writes
    the file while the job page shows its progress, then offers it for download."""
    file_format = request.form.get("format") or "csv"
    if file_format not in exports.FORMATS:
        abort(400)
    chosen, filters = _registry_filters(request.form)
    job = exports.start_registry_export(current_user, chosen, file_format,
                                        back_args=filter_args(filters))
    db.session.commit()
    return redirect(url_for("jobs.job", job_id=job.id))
