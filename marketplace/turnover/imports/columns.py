"""The columns of a registration export and how each cell is read and checked.

A file has a header row in Chinese or English (any order; unknown columns are ignored) and
one contract per row. Cells are checked one row at a time without touching the database
(the districts and the organisations' names are loaded once), so a file of any length is
checked in one streaming pass."""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import District, Organisation
from marketplace.core.forms import MAX_AMOUNT_FEN
from marketplace.core.money import MoneyError, yuan_to_fen
from marketplace.core.spreadsheets import cell_text, read_date
from marketplace.extensions import db
from marketplace.core.normalise import invoice_key, nfkc
from marketplace.orders.models import ContractType
from marketplace.technology_fields.services import TECH_FIELDS, resolve_field
from marketplace.turnover.models import EARLIEST_DATE

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
    ("invoice_number", "发票号码", "invoice_number", False),
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

MISSING = _l("required")
REASONS = {
    "missing": MISSING,
    "too_long": _l("too long"),
    "nul": _l("contains a NUL character, which cannot be stored"),
    "type": _l("not a contract type (技术开发, 技术转让, 技术许可, 技术咨询 or 技术服务)"),
    "amount": _l("not an amount in yuan with at most two decimals"),
    "amount_positive": _l("must be more than zero"),
    "technical_over": _l("more than the contract amount"),
    "district": _l("not a district of the city (or 市外 for a seller outside the city)"),
    "field": _l("not a technology field"),
    "date": _l("not a date (YYYY-MM-DD)"),
    "future": _l("in the future"),
    "too_early": _l("before 2000, when the registry's years begin"),
    "signed_after": _l("after the registration date"),
    "flag": _l("not 是 or 否"),
    "duplicate": _l("the same contract number is on row %(row)s"),
    "header": _l("the header row lacks this column"),
    "unreadable": _l("the file cannot be read as CSV (UTF-8 or GB18030) or XLSX"),
}


def district_lookup():
    """{code, Chinese or English name (lower-cased): district id}"""
    found = {}
    for row in db.session.execute(select(District.id, District.code, District.name_zh,
                                         District.name_en)).all():
        for name in (row.code, row.name_zh, row.name_en):
            found[name.strip().lower()] = row.id
    return found


# the registration values a checked row yields, in this order (``RowChecker.check``)
ROW_VALUES = ("contract_number", "contract_type", "contract_amount_fen",
              "technical_amount_fen", "buyer_name", "buyer_org_id", "seller_name",
              "seller_org_id", "seller_district_id", "seller_in_city", "field_code",
              "signed_on", "registered_on", "voucher_funded", "invoice_number",
              "invoice_number_key")
_CACHED = 20_000      # distinct dates, districts, fields remembered per file (memory flat)


class RowChecker:
    """Turns a row's cells into a registration's values, or names what is wrong.

    A file repeats the same few dates, districts, types and fields on every row, so each
    distinct spelling is resolved once and remembered: the per-row work is dictionary
    look-ups, which is what makes one pass over 100,000 rows cheap."""

    def __init__(self, positions, today=None):
        self.today = today or date.today()
        self.districts = {name: (district_id, True)
                          for name, district_id in district_lookup().items()}
        self.districts.update((name, (None, False)) for name in OUTSIDE_CITY)
        self.organisations = dict(db.session.execute(
            select(Organisation.name, Organisation.id)).all())
        self.types = {name: kind.value for name, kind in TYPE_NAMES.items()}
        self.seen = {}
        # an optional column the header lacks reads as the (None) cell past the row's end
        self.width = max(positions.values(), default=0) + 2
        self.positions = tuple(positions.get(key, self.width - 1) for key in COLUMN_KEYS)
        self._dates, self._fields, self._places, self._kinds = {}, {}, {}, {}

    def cells(self, row):
        """The row's cells as a list long enough for every column position."""
        if len(row) < self.width:
            return list(row) + [None] * (self.width - len(row))
        return row

    def check(self, row, row_number):
        """(values in ROW_VALUES order, []) or (None, [(column, reason)])."""
        errors = []
        (number, kind, contract, technical, buyer, seller, district, field, signed,
         registered, flag, invoice) = [row[i] for i in self.positions]
        # NFKC, as registration.register_original stores it: a number exported with
        # full-width digits is the same contract (a duplicate, or already registered)
        number = nfkc(number) if type(number) is str else cell_text(number)
        if not number:
            errors.append(("contract_number", "missing"))
        elif "\x00" in number:
            errors.append(("contract_number", "nul"))
        else:
            if len(number) > 60:
                errors.append(("contract_number", "too_long"))
            first = self.seen.setdefault(number, row_number)
            if first != row_number:
                errors.append(("contract_number", ("duplicate", first)))
        kind = self._kind(kind)
        if kind is None:
            errors.append(("contract_type", "type"))
        contract = self._amount(contract, "contract_amount", errors, positive=True)
        technical = self._amount(technical, "technical_amount", errors)
        if contract is not None and technical is not None and technical > contract:
            errors.append(("technical_amount", "technical_over"))
        buyer = buyer.strip() if type(buyer) is str else cell_text(buyer)
        if not buyer:
            errors.append(("buyer", "missing"))
        elif "\x00" in buyer:
            errors.append(("buyer", "nul"))
        elif len(buyer) > 200:
            errors.append(("buyer", "too_long"))
        seller = seller.strip() if type(seller) is str else cell_text(seller)
        if not seller:
            errors.append(("seller", "missing"))
        elif "\x00" in seller:
            errors.append(("seller", "nul"))
        elif len(seller) > 200:
            errors.append(("seller", "too_long"))
        place = self._place(district)
        if place is None:
            errors.append(("seller_district", "district"))
        field = self._field(field)
        if field is None:
            errors.append(("field", "field"))
        signed = self._date(signed, "signed_on", errors)
        registered = self._date(registered, "registered_on", errors)
        if signed and registered and signed > registered:
            errors.append(("signed_on", "signed_after"))
        flag = flag.strip().lower() if type(flag) is str else cell_text(flag).lower()
        if flag not in YES and flag not in NO:
            errors.append(("voucher_funded", "flag"))
        # the invoice, when the export names one: a claim's invoice registered here is a
        # duplicate (integrity.invoices)
        invoice = (invoice.strip() if type(invoice) is str else cell_text(invoice)) or None
        if invoice is not None and len(invoice) > 60:
            errors.append(("invoice_number", "too_long"))
        elif invoice is not None and "\x00" in invoice:
            errors.append(("invoice_number", "nul"))
        if errors:
            return None, errors
        organisations = self.organisations
        return (number, kind, contract, technical, buyer, organisations.get(buyer), seller,
                organisations.get(seller), place[0], place[1], field, signed, registered,
                flag in YES, invoice, invoice_key(invoice) if invoice else None), errors

    def _remember(self, cache, key, value):
        if len(cache) < _CACHED:
            cache[key] = value
        return value

    def _kind(self, cell):
        if isinstance(cell, str):
            try:
                return self._kinds[cell]
            except KeyError:
                return self._remember(self._kinds, cell, self.types.get(cell.strip().lower()))
        return self.types.get(cell_text(cell).lower())

    def _place(self, cell):
        """(district id, in the city) or None when not a district."""
        if isinstance(cell, str):
            try:
                return self._places[cell]
            except KeyError:
                return self._remember(self._places, cell,
                                      self.districts.get(cell.strip().lower()))
        return self.districts.get(cell_text(cell).lower())

    def _field(self, cell):
        if isinstance(cell, str):
            try:
                return self._fields[cell]
            except KeyError:
                return self._remember(self._fields, cell, resolve_field(cell.strip()))
        return resolve_field(cell_text(cell))

    def _amount(self, cell, key, errors, positive=False):
        if isinstance(cell, float):
            cell = Decimal(repr(cell))     # the shortest decimal that is this float
        value = cell if type(cell) is str else cell_text(cell)
        if not value or value.isspace():
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
        if isinstance(cell, str):
            try:
                found, reason = self._dates[cell]
            except KeyError:
                found, reason = self._remember(self._dates, cell, self._read_date(cell))
        else:
            found, reason = self._read_date(cell)
        if reason:
            errors.append((key, reason))
        return found

    def _read_date(self, cell):
        found, reason = read_date(cell, self.today)
        if found is not None and found < EARLIEST_DATE:
            return None, "too_early"
        return found, reason


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
             "2026-03-15", "否", "36001234"]]
