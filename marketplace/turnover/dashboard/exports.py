"""The dashboard's tables and the registry itself as CSV (UTF-8 with a BOM, so Excel reads
the Chinese right) and XLSX (openpyxl's write-only mode). Headers are in the user's
language; amounts are yuan with two decimals, shares are percentages.

The registry can be large (a million rows): it is exported by a background job
(:mod:`marketplace.core.jobs`) that counts the rows, then writes the CSV or the XLSX row by
row from a server-side cursor to a file under the job's folder, reporting its progress;
the page shows a bar and then a download button.
"""
import io
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import District
from marketplace.core import jobs
from marketplace.core.errors import ValidationFailed
from marketplace.core.labels import label
from marketplace.core.money import fen_to_yuan
from marketplace.core.spreadsheets import csv_writer, xlsx_row
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.models import ContractRegistration as CR
from marketplace.turnover.models import RegistrationSource, RegistrationStatus

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 2000


def _percent(bp):
    return None if bp is None else (Decimal(int(bp)) / 100).quantize(Decimal("0.01"))


def header(column):
    if column.kind == "fen":
        return _("%(name)s (yuan)", name=column.header)
    if column.kind == "bp":
        return _("%(name)s (%%)", name=column.header)
    return str(column.header)


def cell(column, value):
    """A table cell as a file value: yuan and percentages as Decimals, the rest as is."""
    if column.kind == "fen":
        return fen_to_yuan(value)
    if column.kind == "bp":
        return _percent(value)
    return value


def table_rows(table):
    """The header row, the rows and the total row of a dashboard table, as file values."""
    yield [header(c) for c in table.columns]
    for row in table.rows + ([table.total] if table.total else []):
        yield [cell(c, v) for c, v in zip(table.columns, row)]


def table_csv(table):
    out = io.StringIO()
    writer = csv_writer(out)
    for row in table_rows(table):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(text, used):
    title = "".join(ch for ch in str(text) if ch not in "[]:*?/\\")[:28] or "Sheet"
    while title in used:
        title = title[:26] + f"{len(used)}"
    used.add(title)
    return title


def tables_xlsx(tables, stream):
    """Write each table to its own sheet of a write-only workbook saved to ``stream``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    used = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        rows = table_rows(table)
        sheet.append(xlsx_row(sheet, next(rows), font=Font(bold=True)))
        for row in rows:
            sheet.append(_xlsx_cells(sheet, row))
    workbook.save(stream)
    return stream


def _xlsx_cells(sheet, row):
    cells = xlsx_row(sheet, row)
    for value, written in zip(row, cells):
        if isinstance(value, Decimal):
            written.number_format = "#,##0.00"
    return cells


# --- the registry ---------------------------------------------------------------------

def registry_columns():
    return [_("Contract number"), _("Sequence"), _("Registration kind"), _("Source"),
            _("Status"), _("Contract type"), _("%(name)s (yuan)", name=_("Contract amount")),
            _("%(name)s (yuan)", name=_("Technical transaction amount")), _("Buyer"),
            _("Buyer's district"), _("Seller"), _("Seller's district"),
            _("Seller in the city"), _("Technology field"), _("Signed on"), _("Registered on"),
            _("Paid in part by a voucher")]


def registry_statement(*, year=None, district_id=None, contract_type=None, status=None,
                       source=None):
    """Every registration row (originals and adjustments) matching the filters."""
    buyer_district, seller_district = aliased(District), aliased(District)
    statement = (select(CR.contract_number, CR.sequence, CR.kind, CR.source, CR.status,
                        CR.contract_type, CR.contract_amount_fen, CR.technical_amount_fen,
                        CR.buyer_name, buyer_district.name_zh.label("buyer_zh"),
                        buyer_district.name_en.label("buyer_en"), CR.seller_name,
                        seller_district.name_zh.label("seller_zh"),
                        seller_district.name_en.label("seller_en"), CR.seller_in_city,
                        CR.field_code, CR.signed_on, CR.registered_on, CR.voucher_funded)
                 .outerjoin(buyer_district, buyer_district.id == CR.buyer_district_id)
                 .outerjoin(seller_district, seller_district.id == CR.seller_district_id)
                 .order_by(CR.registered_on, CR.id))
    if year is not None:
        statement = statement.where(CR.registered_year == year)
    if district_id is not None:
        statement = statement.where(CR.seller_district_id == district_id)
    if contract_type is not None:
        statement = statement.where(CR.contract_type == ContractType(contract_type))
    if status is not None:
        statement = statement.where(CR.status == RegistrationStatus(status))
    if source is not None:
        statement = statement.where(CR.source == RegistrationSource(source))
    return statement


class RegistryTexts:
    """Every word of the registry file in the language of the person who asked (the job
    runs under their locale), each label worked out once rather than once per row."""

    def __init__(self, locale, field_name):
        from marketplace.turnover.models import RegistrationKind
        self.english = locale == "en"
        self.columns = [str(c) for c in registry_columns()]
        self.labels = {member.value: label(member.value) for enum in (
            RegistrationKind, RegistrationSource, RegistrationStatus, ContractType)
            for member in enum}
        self.yes, self.no = _("yes"), _("no")
        self._field_name, self._fields = field_name, {}

    def field(self, code):
        if code not in self._fields:
            self._fields[code] = str(self._field_name(code))
        return self._fields[code]

    def values(self, row):
        def named(value):
            key = getattr(value, "value", value)
            return self.labels.get(key, key)
        return [row.contract_number, row.sequence, named(row.kind), named(row.source),
                named(row.status), named(row.contract_type), fen_to_yuan(row.contract_amount_fen),
                fen_to_yuan(row.technical_amount_fen), row.buyer_name,
                (row.buyer_en if self.english else row.buyer_zh) or "", row.seller_name,
                (row.seller_en if self.english else row.seller_zh) or "",
                self.yes if row.seller_in_city else self.no, self.field(row.field_code),
                row.signed_on, row.registered_on, self.yes if row.voucher_funded else self.no]


def write_registry_csv(session, statement, texts, path, advance):
    """Write the registry CSV (BOM and header first) to ``path`` from a server-side
    cursor, ``CHUNK_ROWS`` rows at a time, calling ``advance(n)`` as rows are written."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv_writer(out)
        writer.writerow(texts.columns)
        result = session.execute(statement.execution_options(yield_per=CHUNK_ROWS))
        for rows in result.partitions():
            writer.writerows(["" if v is None else v for v in texts.values(row)]
                             for row in rows)
            advance(len(rows))


def write_registry_xlsx(session, statement, texts, path, advance):
    """The registry in a write-only workbook saved to ``path`` (rows are never all held
    in memory as cells), calling ``advance(n)`` as rows are written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(_("Contract registry"), set()))
    sheet.append(xlsx_row(sheet, texts.columns))
    result = session.execute(statement.execution_options(yield_per=CHUNK_ROWS))
    for rows in result.partitions():
        for row in rows:
            sheet.append(_xlsx_cells(sheet, texts.values(row)))
        advance(len(rows))
    workbook.save(path)


# --- the registry export as a background job -------------------------------------------

REGISTRY_EXPORT = "turnover.registry_export"
XLSX_MAX_ROWS = 1_048_575      # Excel's 1,048,576 rows a sheet, less the header
FORMATS = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}


def registry_filename(filters, file_format):
    return f"contract-registry-{filters.get('year') or 'all'}.{file_format}"


def start_registry_export(actor, filters, file_format, back_args=None, locale=None):
    """Queue the export of the registry rows matching ``filters`` (the keywords of
    :func:`registry_statement`); ``back_args`` are the dashboard's filters, for the link
    back. Flushes, never commits."""
    if file_format not in FORMATS:
        raise ValueError(file_format)
    return jobs.start(REGISTRY_EXPORT, actor, locale=locale, params={
        "filters": filters, "format": file_format, "back_args": back_args or {}})


def _back_to_dashboard(job):
    return (url_for("turnover_dashboard.dashboard", **job.params_dict.get("back_args", {})),
            _("Back to the turnover dashboard"))


@jobs.job_runner(REGISTRY_EXPORT, title=_l("Export of the contract registry"),
                 unit=_l("%(done)s of %(total)s rows"), back=_back_to_dashboard)
def run_registry_export(job, context):
    """Count the rows first (the bar's total), then write the file under the job's
    folder; the texts are in the language of the person who asked."""
    from marketplace.turnover.dashboard import tables

    params = job.params_dict
    filters, file_format = params["filters"], params["format"]
    statement = registry_statement(**filters)
    context.set_total(db.session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one())
    if file_format == "xlsx" and context.total > XLSX_MAX_ROWS:
        raise ValidationFailed(_l(
            "An XLSX sheet holds at most %(most)s rows and these filters give %(rows)s: "
            "choose CSV, or narrow the filters.", most=f"{XLSX_MAX_ROWS:,}",
            rows=f"{context.total:,}"))
    texts = RegistryTexts(job.locale, tables.load_names(job.locale).field_name)
    name = registry_filename(filters, file_format)
    path = context.output_path(name)
    write = write_registry_csv if file_format == "csv" else write_registry_xlsx
    write(db.session, statement, texts, path, context.advance)
    return jobs.JobResult(path=path, name=name, mimetype=FORMATS[file_format])
