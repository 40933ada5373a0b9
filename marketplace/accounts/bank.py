"""The payee's bank: name (开户行), CNAPS code (联行号) and account number.

A CNAPS code is 12 digits: the bank's category (3), the city (4), the branch (4) and a
check digit. The People's Bank does not publish how the check digit is computed, so the
code is checked as far as is public: 12 digits, a known bank category, and for the
national banks a bank name that agrees with the category (a 102 code is a branch of the
Industrial and Commercial Bank of China, whatever the form says)."""
import re

from flask_babel import lazy_gettext as _l

from marketplace.core.errors import ValidationFailed
from marketplace.core import normalise

# category -> the words a branch name of that bank contains (None: a class of banks)
CATEGORIES = {
    "001": None,                 # the People's Bank of China
    "102": ("工商银行", "工行"), "103": ("农业银行", "农行"), "104": ("中国银行", "中行"),
    "105": ("建设银行", "建行"), "201": ("国家开发银行",), "202": ("进出口银行",),
    "203": ("农业发展银行",), "301": ("交通银行",), "302": ("中信银行",),
    "303": ("光大银行",), "304": ("华夏银行",), "305": ("民生银行",),
    "306": ("广发银行", "广东发展银行"), "307": ("平安银行", "深圳发展银行"),
    "308": ("招商银行",), "309": ("兴业银行",), "310": ("浦东发展银行", "浦发银行"),
    "313": None, "314": None, "315": ("恒丰银行",), "316": ("浙商银行",), "317": None,
    "318": ("渤海银行",), "319": ("徽商银行",), "320": None, "321": None, "322": None,
    "323": None, "325": None, "401": None, "402": None, "403": ("邮政储蓄",),
}
FOREIGN_BANK = re.compile(r"^5\d\d$")


class BankDetailsInvalid(ValidationFailed):
    code = "bank_details_invalid"


def checked_bank(bank_name, cnaps_code, account):
    """(bank name, CNAPS code, account) as stored, each None when all are blank; else
    :class:`BankDetailsInvalid` naming the field."""
    bank_name = normalise.nfkc(bank_name) or None
    code = normalise.digits_key(cnaps_code) if (cnaps_code or "").strip() else None
    account = normalise.nfkc(account) or None
    if not (bank_name or code or account):
        return None, None, None
    if not account or not re.fullmatch(r"[0-9\s\-]{8,40}", account) or \
            not 8 <= len(normalise.digits_key(account) or "") <= 32:
        raise BankDetailsInvalid(_l("A bank account number has 8 to 32 digits."),
                                 details={"field": "bank_account"})
    if not bank_name or len(bank_name) > 100:
        raise BankDetailsInvalid(_l("Give the bank and branch of the account (开户行)."),
                                 details={"field": "bank_name"})
    if code is None or len(code) != 12 or \
            not re.fullmatch(r"[0-9\s\-]+", normalise.nfkc(cnaps_code)):
        raise BankDetailsInvalid(_l("A CNAPS code (联行号) has exactly 12 digits."),
                                 details={"field": "bank_cnaps_code"})
    category = code[:3]
    if category not in CATEGORIES and not FOREIGN_BANK.match(category):
        raise BankDetailsInvalid(_l("%(category)s is not a bank category of a CNAPS code: "
                                    "check the code.", category=category),
                                 details={"field": "bank_cnaps_code"})
    names = CATEGORIES.get(category)
    if names and re.search(r"[\u4e00-\u9fff]", bank_name) and \
            not any(word in bank_name for word in names):
        raise BankDetailsInvalid(_l("The CNAPS code is of a branch of %(bank)s, but the "
                                    "bank name says otherwise.", bank=names[0]),
                                 details={"field": "bank_cnaps_code"})
    return bank_name, code, re.sub(r"[\s\-]", "", account)
