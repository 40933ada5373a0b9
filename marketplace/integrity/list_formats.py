"""The columns of the bureau's list files and of a business-registry export of people,
and how each row is read: the shared import machinery (``core.spreadsheets``: one
streaming pass, all or nothing, a report naming row, column and reason) with these
columns. Each reader turns a row's cells into values or a list of (column, reason)."""
from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.accounts import identity_numbers
from marketplace.accounts import uscc as uscc_rules
from marketplace.accounts.models import FirmTier
from marketplace.core import normalise
from marketplace.core.spreadsheets import cell_text, read_date

INTEGRITY_COLUMNS = (
    ("subject", "对象类型", "subject", True),
    ("name", "名称", "name", True),
    ("uscc", "统一社会信用代码", "uscc", False),
    ("id_number", "身份证件号码", "id_number", False),
    ("reason", "列入原因", "reason", True),
    ("source", "来源", "source", True),
    ("listed_from", "列入日期", "listed_from", True),
    ("listed_to", "移出日期", "listed_to", False),
)
CERTIFICATION_COLUMNS = (
    ("tier", "名单", "list", True),
    ("uscc", "统一社会信用代码", "uscc", True),
    ("name", "企业名称", "name", True),
    ("certificate_number", "证书编号", "certificate_number", True),
    ("valid_from", "有效期起", "valid_from", True),
    ("valid_to", "有效期至", "valid_to", True),
)
PEOPLE_COLUMNS = (
    ("uscc", "统一社会信用代码", "uscc", True),
    ("role", "职务", "role", True),
    ("name", "姓名", "name", True),
    ("id_kind", "证件类型", "id_kind", False),
    ("id_number", "证件号码", "id_number", False),
    ("share", "持股比例", "share_percent", False),
)
COLUMNS = {"integrity_list": INTEGRITY_COLUMNS, "certification": CERTIFICATION_COLUMNS,
           "people": PEOPLE_COLUMNS}

SUBJECTS = {"企业": "organisation", "单位": "organisation", "法人": "organisation",
            "organisation": "organisation", "organization": "organisation",
            "个人": "person", "自然人": "person", "person": "person"}
TIERS = {"高新技术企业": FirmTier.HIGH_TECH, "高企": FirmTier.HIGH_TECH,
         "科技型中小企业": FirmTier.TECH_SME, "标杆型高新技术企业": FirmTier.BENCHMARK_HIGH_TECH,
         "标杆高企": FirmTier.BENCHMARK_HIGH_TECH}
TIERS.update({tier.value: tier for tier in FirmTier})
# business-registry spellings of a role: (role, officer title)
ROLES = {"法定代表人": ("legal_representative", None), "法人代表": ("legal_representative", None),
         "legal_representative": ("legal_representative", None),
         "董事": ("officer", "director"), "董事长": ("officer", "director"),
         "执行董事": ("officer", "director"), "副董事长": ("officer", "director"),
         "director": ("officer", "director"), "监事": ("officer", "supervisor"),
         "监事会主席": ("officer", "supervisor"), "supervisor": ("officer", "supervisor"),
         "经理": ("officer", "manager"), "总经理": ("officer", "manager"),
         "manager": ("officer", "manager"), "股东": ("shareholder", None),
         "shareholder": ("shareholder", None)}
ID_KINDS = {"": "resident_id", "身份证": "resident_id", "居民身份证": "resident_id",
            "resident_id": "resident_id", "统一社会信用代码": "uscc", "营业执照": "uscc",
            "uscc": "uscc", "护照": "other", "其他": "other", "other": "other"}

REASONS = {
    "missing": _l("required"),
    "too_long": _l("too long"),
    "nul": _l("contains a NUL character, which cannot be stored"),
    "date": _l("not a date (YYYY-MM-DD)"),
    "future": _l("in the future"),
    "subject": _l("not 企业 or 个人 (organisation or person)"),
    "uscc": _l("not a valid unified social credit code"),
    "id_number": _l("not a valid identity-document number"),
    "dates_order": _l("before the first day"),
    "tier": _l("not a list (高新技术企业, 科技型中小企业 or 标杆型高新技术企业)"),
    "duplicate": _l("the same certificate is on row %(row)s"),
    "role": _l("not a role (法定代表人, 董事, 监事, 经理 or 股东)"),
    "id_kind": _l("not a document kind (身份证, 统一社会信用代码 or 护照)"),
    "share": _l("not a share between 0.01 and 100 (percent)"),
    "not_registered": _l("no organisation with this credit code is registered"),
    "representatives": _l("each organisation needs exactly one legal representative "
                          "(法定代表人), with an identity number"),
    "people": _l("the organisation's list of people is not valid: %(row)s"),
    "header": _l("the header row lacks this column"),
    "unreadable": _l("the file cannot be read as CSV (UTF-8 or GB18030) or XLSX"),
}
TITLES = {"subject": "对象类型", "name": "名称/姓名", "uscc": "统一社会信用代码",
          "id_number": "证件号码", "reason": "列入原因", "source": "来源",
          "listed_from": "列入日期", "listed_to": "移出日期", "tier": "名单",
          "certificate_number": "证书编号", "valid_from": "有效期起", "valid_to": "有效期至",
          "role": "职务", "id_kind": "证件类型", "share": "持股比例"}


def reason_text(reason):
    if isinstance(reason, (list, tuple)):
        return str(REASONS[reason[0]]) % {"row": reason[1]}
    return str(REASONS[reason])


def column_title(key):
    return str(_l("the whole file")) if key == "file" else TITLES.get(key, key)


def _text(cell, key, errors, limit, required=True):
    value = (cell if isinstance(cell, str) else cell_text(cell)).strip()
    if not value:
        if required:
            errors.append((key, "missing"))
        return None
    if len(value) > limit:
        errors.append((key, "too_long"))
        return None
    return value


def _date(cell, key, errors, today=None, required=True):
    if not required and not cell_text(cell):
        return None
    found, reason = read_date(cell, today)
    if reason:
        errors.append((key, reason))
    return found


def _uscc(cell, errors, required=True):
    value = normalise.nfkc(cell_text(cell)).upper()
    if not value:
        if required:
            errors.append(("uscc", "missing"))
        return None
    if not uscc_rules.is_valid(value):
        errors.append(("uscc", "uscc"))
        return None
    return value


def integrity_row(cells, today):
    errors = []
    subject = SUBJECTS.get(normalise.nfkc(cell_text(cells["subject"])).lower())
    if subject is None:
        errors.append(("subject", "subject"))
    values = {"subject": subject, "name": _text(cells["name"], "name", errors, 200),
              "reason": _text(cells["reason"], "reason", errors, 2000),
              "source": _text(cells["source"], "source", errors, 200),
              "listed_from": _date(cells["listed_from"], "listed_from", errors, today),
              "listed_to": _date(cells["listed_to"], "listed_to", errors, required=False),
              "uscc": None, "id_number": None}
    if subject == "organisation":
        values["uscc"] = _uscc(cells["uscc"], errors)
    elif subject == "person":
        number = cell_text(cells["id_number"])
        kind = "resident_id" if len(normalise.identity_number_key(number) or "") in (15, 18) \
            else "other"
        try:
            identity_numbers.checked_number(kind, number)
            values["id_number"] = number
        except identity_numbers.InvalidIdentityNumber:
            errors.append(("id_number", "id_number"))
    if values["listed_from"] and values["listed_to"] and \
            values["listed_to"] < values["listed_from"]:
        errors.append(("listed_to", "dates_order"))
    return values, errors


def certification_row(cells, today):
    errors = []
    tier = TIERS.get(normalise.nfkc(cell_text(cells["tier"])).lower()) or \
        TIERS.get(normalise.nfkc(cell_text(cells["tier"])))
    if tier is None:
        errors.append(("tier", "tier"))
    values = {"tier": tier, "uscc": _uscc(cells["uscc"], errors),
              "name": _text(cells["name"], "name", errors, 200),
              "certificate_number": _text(cells["certificate_number"], "certificate_number",
                                          errors, 60),
              "valid_from": _date(cells["valid_from"], "valid_from", errors),
              "valid_to": _date(cells["valid_to"], "valid_to", errors)}
    if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
        errors.append(("valid_to", "dates_order"))
    return values, errors


def people_row(cells, today):
    errors = []
    role = ROLES.get(normalise.nfkc(cell_text(cells["role"])).lower()) or \
        ROLES.get(normalise.nfkc(cell_text(cells["role"])))
    if role is None:
        errors.append(("role", "role"))
    kind = ID_KINDS.get(normalise.nfkc(cell_text(cells["id_kind"])).lower())
    if kind is None:
        errors.append(("id_kind", "id_kind"))
    number = cell_text(cells["id_number"]) or None
    if number and kind:
        try:
            identity_numbers.checked_number(kind, number)
        except identity_numbers.InvalidIdentityNumber:
            errors.append(("id_number", "id_number"))
    # NFKC: exports write 30％ (full width) as often as 30%
    share = normalise.nfkc(cell_text(cells["share"])).strip().rstrip("%").strip() or None
    share_bp = None
    if share is not None:
        try:
            share_bp = round(float(share) * 100)
            if not 1 <= share_bp <= 10000:
                raise ValueError
        except (ValueError, OverflowError):    # "inf" cannot be rounded to an integer
            share_bp = None
            errors.append(("share", "share"))
    values = {"uscc": _uscc(cells["uscc"], errors), "role": role[0] if role else None,
              "title": role[1] if role else None,
              "name": _text(cells["name"], "name", errors, 100), "id_kind": kind,
              "id_number": number,
              "share_bp": share_bp if role and role[0] == "shareholder" else None}
    return values, errors


READERS = {"integrity_list": integrity_row, "certification": certification_row,
           "people": people_row}


def template_rows(kind):
    """The header and an example row of each file's CSV template."""
    header = [zh for _key, zh, _en, _req in COLUMNS[kind]]
    year = date.today().year
    code = uscc_rules.make("91360100MA35TEMPL")          # made up, but valid
    person = "36010219800101001" + normalise.resident_id_check("36010219800101001")
    examples = {
        "integrity_list": ["企业", "南昌某某科技有限公司", code, "",
                           "虚报冒领财政补助资金", "信用中国（江西）", f"{year}-01-15", ""],
        "certification": ["高新技术企业", code, "南昌某某科技有限公司",
                          f"GR{year - 1}36000123", f"{year - 1}-12-01", f"{year + 2}-11-30"],
        "people": [code, "法定代表人", "张某", "身份证", person, ""],
    }
    return [header, examples[kind]]
