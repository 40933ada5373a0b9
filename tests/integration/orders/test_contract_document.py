"""The technology contract as a PDF: rendered once with the Chinese font embedded, its text
extracted again (pdftotext, poppler-utils) shows the number, the parties and the amounts in figures and in
capital numerals; the public page verifies it by its QR code's address and refuses a
changed or made-up one without showing private data."""
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from marketplace.core.fonts import FontMissing, find_cjk_font
from marketplace.extensions import db
from marketplace.orders import contract_document, verification
from marketplace.orders.models import ContractDocument
from tests.conftest import login
from tests.factories import AgencyMemberFactory, FirmMemberFactory, staff
from tests.integration.orders.order_world import (agency_member, committed, firm_member,  # noqa: F401
                                                  offering, page_text, quoted, reload,
                                                  signed, voucher)

try:   # make test stops before this when either is missing; a bare pytest says why
    find_cjk_font()
    if not shutil.which("pdftotext"):
        pytestmark = pytest.mark.skip(reason="needs pdftotext: apt-get install poppler-utils")
except FontMissing as missing:
    pytestmark = pytest.mark.skip(reason=str(missing))


def _poppler(tool, data):
    return subprocess.run([tool, "-", "-"] if tool == "pdftotext" else [tool, "-"],
                          input=data, capture_output=True, check=True, timeout=60).stdout


def pdf_text(data):
    """The document's text without the layout's spaces and line breaks."""
    return re.sub(r"\s+", "", _poppler("pdftotext", data).decode())


@pytest.fixture
def contract(quoted, firm_member, voucher):
    """¥100,000 signed with the ¥200,000 voucher: ¥50,000 voucher part, ¥50,000 co-pay."""
    return reload(signed(quoted, firm_member, voucher)).contract


def test_the_pdf_names_the_number_the_parties_and_the_amounts_in_capitals(contract):
    text = pdf_text(contract_document.render(contract))
    order = contract.order
    assert "技术服务合同" in text and "委托方（甲方）" in text and "受托方（乙方）" in text
    assert contract.number in text
    assert order.firm.name in text and order.agency.organisation.name in text
    assert order.firm.uscc in text and order.agency.organisation.uscc in text
    assert "人民币¥100,000.00（大写：壹拾万元整）" in text       # the contract amount
    assert "人民币¥80,000.00（大写：捌万元整）" in text          # the technical amount
    assert "科创券支付部分：人民币¥50,000.00（大写：伍万元整）" in text
    assert "甲方自付部分：人民币¥50,000.00（大写：伍万元整）" in text
    assert "先进制造" in text        # the field the testing category suggests
    assert verification.verification_code(contract) in text
    assert f"{contract.signed_on.year}年{contract.signed_on.month}月" in text


def test_no_line_starts_with_closing_punctuation(contract):
    lines = _poppler("pdftotext", contract_document.render(contract)).decode().splitlines()
    assert len(lines) > 40
    assert not [line for line in lines if line and line[0] in contract_document.NO_LINE_START]


def test_each_contract_type_has_its_model_contracts_title_and_roles(contract):
    from marketplace.orders.models import ContractType

    expected = {ContractType.DEVELOPMENT: ("技术开发（委托）合同", "研究开发项目的要求"),
                ContractType.TRANSFER: ("技术转让合同", "让与方（乙方）"),
                ContractType.LICENSING: ("技术许可合同", "许可方（乙方）"),
                ContractType.CONSULTING: ("技术咨询合同", "咨询报告"),
                ContractType.SERVICE: ("技术服务合同", "服务的内容、方式和要求")}
    for contract_type, words in expected.items():
        contract.contract_type = contract_type
        text = pdf_text(contract_document.render(contract))
        assert all(word in text for word in words), contract_type
    db.session.rollback()


def test_the_font_is_embedded_so_a_reader_needs_none(contract):
    listing = _poppler("pdffonts", contract_document.render(contract)).decode().splitlines()
    fonts = [line.split() for line in listing[2:]]
    # name, type..., emb, sub, uni, object, generation: every font embedded, with Unicode
    assert fonts and all(font[-5:-2] == ["yes", "yes", "yes"] for font in fonts), listing
    assert all("NotoSerifCJKSC" in font[0] for font in fonts)


def test_the_parties_and_the_bureau_download_it_rendered_once(client, contract,
                                                              firm_member, agency_member):
    auditor = committed(staff("auditor"))
    for who in (firm_member, agency_member, auditor):
        login(client, who.email)
        response = client.get(f"/orders/{contract.order_id}/contract.pdf")
        assert response.status_code == 200, who.role
        assert response.mimetype == "application/pdf"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert f"{contract.number}.pdf" in response.headers["Content-Disposition"]
        assert contract.number in pdf_text(response.data)
        client.post("/logout")
    stored = db.session.execute(select(ContractDocument)).scalars().all()
    assert len(stored) == 1 and stored[0].size_bytes == len(response.data)


def test_others_get_404_for_the_pdf_and_there_is_none_before_signing(client, contract,
                                                                      quoted, offering):
    for outsider in (FirmMemberFactory(), AgencyMemberFactory()):
        committed(outsider)
        login(client, outsider.email)
        assert client.get(f"/orders/{contract.order_id}/contract.pdf").status_code == 404
        client.post("/logout")
    assert client.get(f"/orders/{contract.order_id}/contract.pdf").status_code == 302
    from tests.factories import make_quoted_order
    unsigned = committed(make_quoted_order(offering, contract.order.firm.members[0]))
    login(client, contract.order.firm.members[0].email)
    assert client.get(f"/orders/{unsigned.id}/contract.pdf").status_code == 404
    assert db.session.scalar(select(func.count(ContractDocument.id))) == 0


def test_the_api_sends_the_pdf_to_the_parties_only(client, contract, firm_member):
    from marketplace.accounts.services import issue_api_token
    _token, mine = issue_api_token(firm_member, "pdf")
    _token, theirs = issue_api_token(FirmMemberFactory(), "pdf")
    committed(firm_member)
    url = f"/api/v1/orders/{contract.order_id}/contract.pdf"
    response = client.get(url, headers={"Authorization": f"Bearer {mine}"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    refused = client.get(url, headers={"Authorization": f"Bearer {theirs}"})
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"


def test_the_qr_codes_address_verifies_the_contract_without_private_data(client, contract):
    url = verification.verification_url(contract)
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    shown = page_text(response)
    assert response.status_code == 200
    assert 'data-state="registered"' in shown
    assert contract.number in shown and "壹拾万元整" in shown and "伍万元整" in shown
    for private in (contract.order.firm.bank_account, contract.order.firm.contact_phone,
                    contract.order.firm.uscc, contract.order.agency.organisation.bank_account,
                    contract.order.agency.organisation.contact_phone):
        assert private not in shown


def test_a_changed_or_made_up_document_does_not_verify(client, contract):
    code = verification.verification_code(contract)
    other_number = contract.number[:-1] + ("9" if contract.number[-1] != "9" else "8")
    for number, tried in ((contract.number, code[:-1] + ("A" if code[-1] != "A" else "B")),
                          (other_number, code),
                          ("HC-2026-9999999", code),
                          (contract.number, "AAAA-BBBB-CCCC-DDDD")):
        response = client.get(f"/contracts/verify/{number}", query_string={"code": tried})
        shown = page_text(response)
        assert response.status_code == 404
        assert 'data-state="not_found"' in shown and "壹拾万元整" not in shown
    # the code typed by hand: lower case, spaces instead of dashes
    typed = code.lower().replace("-", " ")
    assert client.get(f"/contracts/verify/{contract.number}",
                      query_string={"code": typed}).status_code == 200
    # a changed figure changes the code: a document printed with it no longer verifies
    contract.contract_amount_fen += 100
    assert verification.verification_code(contract) != code
    db.session.rollback()


def test_a_cancelled_contract_verifies_as_cancelled(client, contract, firm_member):
    from marketplace.turnover.registry import registration
    registration.cancel_platform_contract(contract)
    committed(contract)
    url = urlsplit(verification.verification_url(contract))
    shown = page_text(client.get(f"{url.path}?{url.query}"))
    assert 'data-state="cancelled"' in shown


def test_the_page_asks_for_the_code_when_none_is_given(client, contract):
    response = client.get(f"/contracts/verify/{contract.number}")
    assert response.status_code == 200
    assert 'name="code"' in page_text(response)


def test_without_its_font_the_download_says_so_and_keeps_nothing(client, contract,
                                                                 firm_member, monkeypatch):
    monkeypatch.setenv("CONTRACT_FONT_DIR", "/nonexistent")
    login(client, firm_member.email)
    response = client.get(f"/orders/{contract.order_id}/contract.pdf")
    assert response.status_code == 503
    assert db.session.scalar(select(func.count(ContractDocument.id))) == 0


def test_the_document_names_the_parties_as_they_stood_at_signing(client, contract):
    """A party's facts changed after signing (an approved change request: a new name,
    legal representative, address, phone and bank account) do not rewrite the contract it
    signed: the document, first drawn after the change, and the verification page name
    the versions the contract pinned."""
    from tests.support.identity import change_facts

    firm, agency = contract.order.firm, contract.order.agency.organisation
    signed_as = {"firm": firm.name, "agency": agency.name,
                 "account": firm.bank_account, "address": firm.registered_address}
    assert contract.buyer_version_id and contract.seller_version_id
    change_facts(firm, name="改名后的企业有限公司", registered_address="江西省南昌市新地址1号",
                 contact_phone="0791-88888888", bank_account="6222020000000000999")
    change_facts(agency, name="改名后的服务机构")
    committed(contract)
    text = pdf_text(contract_document.document_of(contract).pdf)
    assert signed_as["firm"] in text and signed_as["agency"] in text
    assert signed_as["account"] in text and signed_as["address"] in text
    for changed in ("改名后的企业有限公司", "江西省南昌市新地址1号", "0791-88888888",
                    "6222020000000000999", "改名后的服务机构"):
        assert changed not in text
    url = urlsplit(verification.verification_url(contract))
    shown = page_text(client.get(f"{url.path}?{url.query}"))
    assert signed_as["firm"] in shown and signed_as["agency"] in shown
    assert "改名后的企业有限公司" not in shown and "改名后的服务机构" not in shown


def test_a_code_and_number_typed_in_full_width_or_lower_case_verify(client, contract):
    """A person typing the printed code (or the number) with a Chinese input method in its
    full-width mode (ＺＤ７Ｘ－…), or in lower case, holds a genuine document."""
    code = verification.verification_code(contract)
    full_width = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in code)
    for number, typed in ((contract.number, full_width),
                          (contract.number.lower(), code),
                          (f" {contract.number} ", code.lower())):
        response = client.get(f"/contracts/verify/{number}", query_string={"code": typed})
        assert response.status_code == 200, (number, typed)
        assert 'data-state="registered"' in page_text(response)
