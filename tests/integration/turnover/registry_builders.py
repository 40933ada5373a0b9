"""Export files of the registration system for the import tests, and people."""
import csv
import io
from datetime import date, timedelta

from flask import current_app

from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import UserFactory

HEADER_ZH = ["合同编号", "合同类型", "成交额", "技术交易额", "买方", "卖方", "卖方所在县区",
             "技术领域", "签订日期", "登记日期", "是否使用科创券"]
HEADER_EN = ["contract_number", "contract_type", "contract_amount", "technical_amount",
             "buyer", "seller", "seller_district", "field", "signed_on", "registered_on",
             "voucher_funded"]
TYPES = ("技术开发", "技术服务", "技术转让", "技术咨询", "技术许可")
DISTRICTS = ("南昌高新技术产业开发区", "红谷滩区", "东湖区", "市外")


def good_rows(count, prefix="IMP", start=1):
    """``count`` valid rows; every 4th seller is outside the city."""
    registered = date.today() - timedelta(days=3)
    signed = registered - timedelta(days=10)
    for n in range(start, start + count):
        contract = 10_000 + n * 7
        yield [f"{prefix}{n:06d}", TYPES[n % 5], f"{contract}.50", f"{contract - 1000}",
               f"南昌买方{n % 97}有限公司", f"卖方研究院{n % 13}", DISTRICTS[n % 4],
               "电子信息" if n % 2 else "new_materials", signed.isoformat(),
               registered.isoformat(), "是" if n % 10 == 0 else "否"]


def csv_bytes(rows, header=HEADER_ZH, encoding="utf-8", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER_EN):
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person(role, **fields):
    return UserFactory(role=Role(role), locale="en", **fields)


def quiet():
    db.session.commit()
    outbox._committed_ids.set(None)


def signed_in(user):
    browser = current_app.test_client()
    login(browser, user.email)
    return browser


def settle():
    """Commit and let the outbox run every message (tasks run in-process in tests)."""
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()
