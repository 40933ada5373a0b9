"""The technology contract on paper, in the browser: the demo firm downloads its signed
contract's PDF from the order page, reads the verification page's address beside its QR
code, and a visitor opening that address sees the contract registered with its figures;
a changed code does not verify. The demo testing institute downloads the same document.
"""
import re
import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.services import find_user_by_email
from marketplace.catalogue.models import Offering
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from marketplace.orders.models import ContractType
from marketplace.vouchers.models import Voucher
from tests.support.copay import record_paid_copay
from tests.e2e.steps import Lang, sign_in, sign_out

pytestmark = pytest.mark.e2e

FIRM_EMAIL, AGENCY_EMAIL = "firm1@demo.local", "agency3@demo.local"
FIRM_NAME, AGENCY_NAME = "南昌赣新材料科技有限公司", "江西省材料科学研究所"
RENDER_MS = 60_000


@pytest.fixture
def signed_order(demo_data):
    """The demo firm's ¥30,000 contract for the institute's 材料检测服务, half by voucher,
    its co-pay paid."""
    firm = find_user_by_email(FIRM_EMAIL)
    offering = db.session.execute(select(Offering).where(
        Offering.title == "材料检测服务")).scalar_one()
    order = orders.request_order(firm_member=firm, offering=offering,
                                 message="请对两批涂层样品做盐雾试验，出具检测报告。")
    orders.submit_quote(order, offering.agency.organisation.members[0],
                        contract_type=ContractType.SERVICE.value,
                        contract_amount_fen=30_000_00, technical_amount_fen=25_000_00,
                        deliverables="盐雾试验检测报告（CMA）一份",
                        due_date=date.today() + timedelta(days=20))
    voucher = db.session.execute(select(Voucher).where(
        Voucher.firm_id == firm.organisation_id)).scalar_one()
    contract = orders.sign_contract(order, firm, voucher_id=voucher.id)
    record_paid_copay(order)
    db.session.commit()
    outbox.relay_pending()
    return order


def pdf_text(path):
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode()
    return re.sub(r"\s+", "", text)


def download_contract(page, order_url, tmp_path, who):
    page.goto(order_url)
    # the first download renders the document (about a second of CPU; far more on a
    # loaded machine): the click waits for it
    with page.expect_download(timeout=RENDER_MS) as download:
        page.get_by_test_id("contract-pdf").click(timeout=RENDER_MS)
    path = tmp_path / f"{who}.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".pdf")
    return path


def test_a_signed_contract_downloads_as_a_pdf_whose_qr_address_verifies_it(
        app, page, live_server, signed_order, csrf_on, page_problems, screenshot, tmp_path,
        monkeypatch):
    # the printed address is the public one: here, the served test app
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", live_server)
    t = Lang("zh")
    order_url = f"{live_server}/orders/{signed_order.id}"
    number = signed_order.contract.number

    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    text = pdf_text(download_contract(page, order_url, tmp_path, "firm"))
    assert number in text and FIRM_NAME in text and AGENCY_NAME in text
    assert "人民币¥30,000.00（大写：叁万元整）" in text
    assert "科创券支付部分：人民币¥15,000.00（大写：壹万伍仟元整）" in text
    address = re.search(r"核验地址：(http\S+?code=[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})", text)
    assert address, text[-400:]
    sign_out(page, t)

    sign_in(page, live_server, AGENCY_EMAIL, lang=t)
    assert number in pdf_text(download_contract(page, order_url, tmp_path, "agency"))
    sign_out(page, t)

    # a visitor follows the address beside the QR code
    page.goto(address.group(1))
    state = page.get_by_test_id("verification-state")
    expect(state).to_have_attribute("data-state", "registered")
    expect(state).to_contain_text(number)
    expect(page.get_by_test_id("verified-amount")).to_contain_text("叁万元整")
    expect(page.get_by_test_id("verified-figures")).not_to_contain_text("6222020200000000011")
    screenshot("contract-verified-zh")
    page.get_by_test_id("switch-language").click()
    expect(state).to_contain_text("is genuine and registered")
    screenshot("contract-verified-en")

    page_problems.assert_none()

    # the same number with a changed code does not verify (the 404 is the answer)
    forged = address.group(1)[:-1] + ("A" if not address.group(1).endswith("A") else "B")
    response = page.goto(forged)
    assert response.status == 404
    expect(page.get_by_test_id("verification-state")).to_have_attribute("data-state",
                                                                         "not_found")
