"""The dashboard's tables and the registry itself as CSV (UTF-8 with a BOM, so Excel reads
the Chinese right) and XLSX (openpyxl's write-only mode). Headers are in the user's
language; amounts are yuan with two decimals, shares are percentages.

The registry can be large: its CSV is streamed from a server-side cursor in chunks, and
its XLSX is written row by row to a temporary file that is streamed back and deleted, so
neither is ever held in memory whole.
"""
import csv
import io
import tempfile
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import District
from marketplace.core.labels import label
from marketplace.orders.models import ContractType
from marketplace.turnover.models import ContractRegistration as CR
from marketplace.turnover.models import RegistrationSource, RegistrationStatus

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 2000


def _yuan(fen):
    return None if fen is None else (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


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
        return _yuan(value)
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
    writer = csv.writer(out)
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
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    used = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        rows = table_rows(table)
        head = []
        for value in next(rows):
            bold = WriteOnlyCell(sheet, value=value)
            bold.font = Font(bold=True)
            head.append(bold)
        sheet.append(head)
        for row in rows:
            sheet.append(_xlsx_cells(sheet, row))
    workbook.save(stream)
    return stream


def _xlsx_cells(sheet, row):
    from openpyxl.cell import WriteOnlyCell
    cells = []
    for value in row:
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, Decimal):
            written.number_format = "#,##0.00"
        cells.append(written)
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
    """Every word of the registry file in the user's language, worked out while the
    request is still there: the CSV is written after the view has returned."""

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
                named(row.status), named(row.contract_type), _yuan(row.contract_amount_fen),
                _yuan(row.technical_amount_fen), row.buyer_name,
                (row.buyer_en if self.english else row.buyer_zh) or "", row.seller_name,
                (row.seller_en if self.english else row.seller_zh) or "",
                self.yes if row.seller_in_city else self.no, self.field(row.field_code),
                row.signed_on, row.registered_on, self.yes if row.voucher_funded else self.no]


def registry_csv_chunks(engine, statement, texts):
    """Yield the CSV in chunks of ``CHUNK_ROWS`` rows (BOM and header first), from a
    connection of its own opened on the first chunk and a server-side cursor, so that it
    runs after the request has ended without holding the rows in memory."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(texts.columns)
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    out.seek(0)
    out.truncate()
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=CHUNK_ROWS).execute(statement)
        for count, row in enumerate(result, start=1):
            writer.writerow(["" if v is None else v for v in texts.values(row)])
            if count % CHUNK_ROWS == 0:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def registry_xlsx(session, statement, texts):
    """The registry in a write-only workbook in a temporary file (deleted when closed),
    positioned at its start for streaming."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(_("Contract registry"), set()))
    sheet.append(texts.columns)
    for row in session.execute(statement.execution_options(yield_per=CHUNK_ROWS)):
        sheet.append(_xlsx_cells(sheet, texts.values(row)))
    stream = tempfile.TemporaryFile(prefix="hc-registry-", suffix=".xlsx")
    workbook.save(stream)
    stream.seek(0)
    return stream
