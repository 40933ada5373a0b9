"""The columns of a registration export and how each cell is read and checked.

A file has a header row in Chinese or English (any order; unknown columns are ignored) and
one contract per row. Cells are checked one row at a time without touching the database
(the districts and the organisations' names are loaded once), so a file of any length is
checked in one streaming pass."""
import codecs
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import District, Organisation
from marketplace.core.forms import MAX_AMOUNT_FEN
from marketplace.core.money import MoneyError, yuan_to_fen
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.fields import TECH_FIELDS, resolve_field

# (key, Chinese header, English header, required)
COLUMNS = (
    ("contract_number", "合同编号", "contract_number", True),
    ("contract_type", "合同类型", "contract_type", True),
    ("contract_amount", "成交额", "contract_amount", True),
    ("technical_amount", "技术交易额", "technical_amount", True),
    ("buyer", "买方", "buyer", True),
    ("seller", "卖方", "seller", True),
    ("seller_district", "卖方所在县区", "seller_district", True),
    ("field", "技术领域", "field", True),
    ("signed_on", "签订日期", "signed_on", True),
    ("registered_on", "登记日期", "registered_on", True),
    ("voucher_funded", "是否使用科创券", "voucher_funded", False),
)
COLUMN_KEYS = tuple(key for key, _zh, _en, _req in COLUMNS)
COLUMN_TITLES = {key: zh for key, zh, _en, _req in COLUMNS}

TYPE_NAMES = {
    "技术开发": ContractType.DEVELOPMENT, "开发": ContractType.DEVELOPMENT,
    "技术转让": ContractType.TRANSFER, "转让": ContractType.TRANSFER,
    "技术许可": ContractType.LICENSING, "许可": ContractType.LICENSING,
    "技术咨询": ContractType.CONSULTING, "咨询": ContractType.CONSULTING,
    "技术服务": ContractType.SERVICE, "服务": ContractType.SERVICE,
}
for _type in ContractType:
    TYPE_NAMES[_type.value] = _type
    TYPE_NAMES[f"technology {_type.value}"] = _type
OUTSIDE_CITY = {"市外", "外地", "外市", "outside", "outside the city", "out of town"}
YES = {"是", "y", "yes", "true", "1", "有"}
NO = {"否", "n", "no", "false", "0", "无", ""}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

MISSING = _l("required")
REASONS = {
    "missing": MISSING,
    "too_long": _l("too long"),
    "type": _l("not a contract type (技术开发, 技术转让, 技术许可, 技术咨询 or 技术服务)"),
    "amount": _l("not an amount in yuan with at most two decimals"),
    "amount_positive": _l("must be more than zero"),
    "technical_over": _l("more than the contract amount"),
    "district": _l("not a district of the city (or 市外 for a seller outside the city)"),
    "field": _l("not a technology field"),
    "date": _l("not a date (YYYY-MM-DD)"),
    "future": _l("in the future"),
    "signed_after": _l("after the registration date"),
    "flag": _l("not 是 or 否"),
    "duplicate": _l("the same contract number is on row %(row)s"),
    "header": _l("the header row lacks this column"),
    "unreadable": _l("the file cannot be read as CSV (UTF-8 or GB18030) or XLSX"),
}


class Reader:
    """Rows of a CSV (UTF-8 with or without BOM, or GB18030) or XLSX file as lists of
    cells, the header first."""

    def __init__(self, stream, filename):
        self.stream = stream
        self.is_xlsx = filename.lower().endswith((".xlsx", ".xlsm"))

    def rows(self):
        self.stream.seek(0)
        if self.is_xlsx:
            from openpyxl import load_workbook
            workbook = load_workbook(self.stream, read_only=True, data_only=True)
            try:
                yield from workbook.worksheets[0].iter_rows(values_only=True)
            finally:
                workbook.close()
            return
        encoding = sniff_encoding(self.stream)
        self.stream.seek(0)
        text = io.TextIOWrapper(self.stream, encoding=encoding, newline="")
        try:
            yield from csv.reader(text)
        finally:
            text.detach()


def sniff_encoding(stream, size=65536):
    """``utf-8-sig`` when the first 64 KiB decode as UTF-8 (a BOM is skipped), else
    ``gb18030`` (the encoding of Chinese Excel's CSV)."""
    head = stream.read(size)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def header_map(header):
    """{column key: position} and the keys of required columns the header lacks."""
    positions = {}
    names = {}
    for key, zh, en, _req in COLUMNS:
        for name in (key, zh, en, en.replace("_", " ")):
            names[name.lower()] = key
    for index, cell in enumerate(header or ()):
        name = str(cell or "").strip().lstrip("\ufeff").lower()
        key = names.get(name)
        if key and key not in positions:
            positions[key] = index
    missing = [key for key, _zh, _en, req in COLUMNS if req and key not in positions]
    return positions, missing


def district_lookup():
    """{code, Chinese or English name (lower-cased): district id}"""
    found = {}
    for row in db.session.execute(select(District.id, District.code, District.name_zh,
                                         District.name_en)).all():
        for name in (row.code, row.name_zh, row.name_en):
            found[name.strip().lower()] = row.id
    return found


class RowChecker:
    """Turns a row's cells into a registration's values, or names what is wrong."""

    def __init__(self, today=None):
        self.today = today or date.today()
        self.districts = district_lookup()
        self.organisations = dict(db.session.execute(
            select(Organisation.name, Organisation.id)).all())
        self.seen = {}

    def check(self, cells, row_number):
        """(values, [(column, reason)])."""
        errors = []
        values = {}

        def text(key, limit):
            value = cell_text(cells.get(key))
            if not value:
                errors.append((key, "missing"))
            elif len(value) > limit:
                errors.append((key, "too_long"))
            return value

        number = text("contract_number", 60)
        if number:
            first = self.seen.setdefault(number, row_number)
            if first != row_number:
                errors.append(("contract_number", ("duplicate", first)))
        values["contract_number"] = number
        kind = TYPE_NAMES.get(cell_text(cells.get("contract_type")).lower())
        if kind is None:
            errors.append(("contract_type", "type"))
        values["contract_type"] = kind
        contract = self._amount(cells.get("contract_amount"), "contract_amount", errors,
                                positive=True)
        technical = self._amount(cells.get("technical_amount"), "technical_amount", errors)
        if contract is not None and technical is not None and technical > contract:
            errors.append(("technical_amount", "technical_over"))
        values["contract_amount_fen"], values["technical_amount_fen"] = contract, technical
        values["buyer_name"] = text("buyer", 200)
        values["seller_name"] = text("seller", 200)
        district = cell_text(cells.get("seller_district")).lower()
        if district in OUTSIDE_CITY:
            values["seller_district_id"], values["seller_in_city"] = None, False
        elif district in self.districts:
            values["seller_district_id"], values["seller_in_city"] = \
                self.districts[district], True
        else:
            errors.append(("seller_district", "district"))
        field = resolve_field(cell_text(cells.get("field")))
        if field is None:
            errors.append(("field", "field"))
        values["field_code"] = field
        signed = self._date(cells.get("signed_on"), "signed_on", errors)
        registered = self._date(cells.get("registered_on"), "registered_on", errors)
        if signed and registered and signed > registered:
            errors.append(("signed_on", "signed_after"))
        values["signed_on"], values["registered_on"] = signed, registered
        flag = cell_text(cells.get("voucher_funded")).lower()
        if flag not in YES and flag not in NO:
            errors.append(("voucher_funded", "flag"))
        values["voucher_funded"] = flag in YES
        values["buyer_org_id"] = self.organisations.get(values["buyer_name"])
        values["seller_org_id"] = self.organisations.get(values["seller_name"])
        return values, errors

    def _amount(self, cell, key, errors, positive=False):
        if isinstance(cell, float):
            cell = Decimal(repr(cell))
        value = cell_text(cell)
        if not value:
            errors.append((key, "missing"))
            return None
        try:
            fen = yuan_to_fen(value)
        except MoneyError:
            errors.append((key, "amount"))
            return None
        if fen < 0 or fen > MAX_AMOUNT_FEN:
            errors.append((key, "amount"))
            return None
        if positive and fen == 0:
            errors.append((key, "amount_positive"))
            return None
        return fen

    def _date(self, cell, key, errors):
        if isinstance(cell, datetime):
            found = cell.date()
        elif isinstance(cell, date):
            found = cell
        else:
            value = cell_text(cell)
            if not value:
                errors.append((key, "missing"))
                return None
            match = _DATE.match(value)
            if not match and len(value) == 8 and value.isdigit():
                match = re.match(r"(\d{4})(\d{2})(\d{2})", value)
            try:
                found = date(*(int(part) for part in match.groups())) if match else None
            except ValueError:
                found = None
            if found is None:
                errors.append((key, "date"))
                return None
        if found > self.today:
            errors.append((key, "future"))
            return None
        return found


def cell_text(cell):
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def reason_text(reason):
    """The translated reason of one problem (``reason`` or ``(reason, row)``)."""
    if isinstance(reason, (list, tuple)):
        return str(REASONS[reason[0]]) % {"row": reason[1]}
    return str(REASONS[reason])


def column_title(key):
    if key == "file":
        return str(_l("the whole file"))
    return COLUMN_TITLES.get(key, key)


def template_rows():
    """The header and one example row of the CSV template offered on the import page."""
    return [[zh for _key, zh, _en, _req in COLUMNS],
            ["2026360100000123", "技术开发", "1200000.00", "950000.00", "江西某某科技有限公司",
             "南昌某某研究院", "南昌高新技术产业开发区", TECH_FIELDS[0][1], "2026-03-02",
             "2026-03-15", "否"]]
