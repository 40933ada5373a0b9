"""The technology contract as a PDF document (A4, Chinese, the font embedded).

Rendered on its first download and kept (``ContractDocument``): signing stays as fast as it
was (a render takes a second of CPU, mostly reading the font), and every later download is
the same bytes. What it shows comes from the contract as signed, the quote, the offering
and the parties (``parties.contract_parties``: the versions of their facts pinned at
signing). Its QR code carries the public verification page's address with
the contract's verification code.
"""
import functools
import hashlib
import logging

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import DomainError
from marketplace.core.fonts import FontMissing, find_cjk_font
from marketplace.core.money import format_fen
from marketplace.core.numerals import fen_to_capital
from marketplace.extensions import db
from marketplace.orders import contract_texts as texts
from marketplace.orders.models import ContractDocument
from marketplace.orders.parties import contract_parties
from marketplace.orders.verification import verification_code, verification_url

log = logging.getLogger(__name__)
CHINESE_NUMBERS = "一二三四五六七八九十"
NO_LINE_START = "，。、；：？！）」』》〉”’%"
MARGIN, LINE = 20, 6.5
PLATFORM = "洪城科创券平台"


class DocumentUnavailable(DomainError):
    code = "contract_document_unavailable"
    status = 503
    default_message = _l("The contract document cannot be made on this server at the "
                         "moment (its Chinese font is missing). Please try again later.")


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def amount_text(fen):
    """Figures and capitals, as a contract writes an amount."""
    return f"人民币 {format_fen(fen, symbol='¥')}（大写：{fen_to_capital(fen)}）"


@functools.lru_cache(maxsize=None)
def _document_class():
    """The PDF page class, made at the first render: fpdf and segno (~48 MB of every web
    worker's memory at start) are loaded by the process that renders a contract, once."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    class _Document(FPDF):
        def __init__(self, number):
            super().__init__(format="A4", unit="mm")
            self.number = number
            font = find_cjk_font()
            self.add_font("cjk", "", font.regular, collection_font_number=font.face)
            self.add_font("cjk", "B", font.bold, collection_font_number=font.face)
            self.set_margins(MARGIN, MARGIN, MARGIN)
            self.set_auto_page_break(True, margin=MARGIN)
            self.alias_nb_pages()

        def footer(self):
            self.set_y(-12)
            self.set_font("cjk", "", 8)
            self.set_text_color(90)
            self.cell(0, 5, f"合同编号 {self.number}    第 {self.page_no()} 页 共 {{nb}} 页",
                      align="C")
            self.set_text_color(0)

        def paragraph(self, text, size=10.5, style="", height=LINE, indent=False):
            self.set_font("cjk", style, size)
            text = ("\u3000\u3000" if indent else "") + text
            self.multi_cell(0, height, "\n".join(self.lines(text, self.epw - 2 * self.c_margin)),
                            wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")

        def lines(self, text, width):
            """Break ``text`` into lines of ``width``, keeping Chinese typesetting's rule
            (禁则): no line starts with closing punctuation; the character before it moves
            down with it."""
            lines, line = [], ""
            for char in text:
                if line and self.get_string_width(line + char) > width:
                    if char in NO_LINE_START and len(line) > 1:
                        lines.append(line[:-1])
                        line = line[-1]
                    else:
                        lines.append(line)
                        line = ""
                line += char
            return lines + [line]

        def article(self, number, heading, *paragraphs):
            self.ln(1.5)
            self.paragraph(f"第{CHINESE_NUMBERS[number - 1]}条　{heading}", style="B")
            for text in paragraphs:
                self.paragraph(text, indent=True)

        def facts_row(self, label, value, width=42):
            self.set_font("cjk", "B", 10.5)
            self.cell(width, LINE, label)
            self.set_font("cjk", "", 10.5)
            self.multi_cell(0, LINE, value, wrapmode=WrapMode.CHAR, new_x="LMARGIN",
                            new_y="NEXT")

    return _Document


def _field_name(code):
    from marketplace.technology_fields.services import field_label
    with force_locale("zh"):
        return field_label(code)


def _payment_paragraphs(contract):
    lines = [f"合同总金额：{amount_text(contract.contract_amount_fen)}。",
             f"其中技术交易额：{amount_text(contract.technical_amount_fen)}。"]
    if contract.voucher_part_fen:
        programme = contract.voucher.programme.name
        share = f"{contract.share_bp / 100:g}%"
        lines += [f"科创券支付部分：{amount_text(contract.voucher_part_fen)}，"
                  f"由甲方持有的洪城科创券（{programme}，支付比例 {share}）支付。",
                  f"甲方自付部分：{amount_text(contract.copay_fen)}。",
                  texts.PAYMENT_WITH_VOUCHER]
    else:
        lines += [f"甲方自付部分：{amount_text(contract.copay_fen)}。",
                  texts.PAYMENT_WITHOUT_VOUCHER]
    return lines


def _signature_block(pdf, role, party, signed_on):
    pdf.paragraph(role, style="B")
    for label, value in (("名称：", party.name), ("统一社会信用代码：", party.uscc),
                         ("法定代表人：", party.legal_representative),
                         ("住所：", party.address), ("联系电话：", party.phone),
                         ("银行账号：", party.bank_account or "—"),
                         ("签订日期：", chinese_date(signed_on))):
        pdf.facts_row(label, value)
    pdf.facts_row("（盖章）", "在平台上确认签订")
    pdf.ln(2)


def _qr_code(pdf, url, code, size=32):
    """The verification address as a QR code (drawn as squares: vector, no image) with the
    address and the code beside it."""
    import segno

    matrix = segno.make(url, error="m").matrix
    cells = len(matrix) + 8   # the quiet zone of four modules each side
    module = size / cells
    if pdf.get_y() + size > pdf.h - MARGIN:
        pdf.add_page()
    top, left = pdf.get_y(), pdf.l_margin
    pdf.set_fill_color(0)
    for row, bits in enumerate(matrix):
        for column, bit in enumerate(bits):
            if bit:
                pdf.rect(left + (column + 4) * module, top + (row + 4) * module, module,
                         module, style="F")
    pdf.set_xy(left + size + 4, top + 4)
    pdf.set_font("cjk", "B", 10.5)
    pdf.cell(0, LINE, "合同核验", new_x="LEFT", new_y="NEXT")
    pdf.set_font("cjk", "", 9)
    pdf.cell(0, 5, f"验证码：{code}", new_x="LEFT", new_y="NEXT")
    # the address on one line (smaller if need be): copied or read back whole
    line, points = f"核验地址：{url}", 9.0
    while points > 5 and pdf.get_string_width(line) > pdf.w - pdf.r_margin - pdf.get_x():
        points -= 0.5
        pdf.set_font("cjk", "", points)
    pdf.cell(0, 5, line, new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + size))


def render(contract):
    """The PDF's bytes."""
    order, quote = contract.order, _signed_quote(contract)
    buyer, seller = contract_parties(contract)
    wording = texts.TYPE_TEXTS[contract.contract_type]
    pdf = _document_class()(contract.number)
    pdf.set_title(f"{wording.title} {contract.number}")
    pdf.set_author(PLATFORM)
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(contract.signed_dt)
    pdf.add_page()
    pdf.set_font("cjk", "B", 20)
    pdf.cell(0, 14, wording.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in (("合同编号：", contract.number),
                         ("项目名称：", order.offering.title),
                         (wording.buyer_role + "：", buyer.name),
                         (wording.seller_role + "：", seller.name),
                         ("签订日期：", chinese_date(contract.signed_on)),
                         ("签订方式：", f"{PLATFORM}在线签订")):
        pdf.facts_row(label, value)
    pdf.ln(2)
    pdf.paragraph("甲乙双方依据《中华人民共和国民法典》合同编的规定，经平等协商，就本合同项目达成"
                  "如下协议，并由双方共同恪守。", indent=True)
    pdf.article(1, wording.subject, f"项目名称：{order.offering.title}。",
                f"甲方的要求：{order.message}")
    pdf.article(2, wording.deliverables, quote.deliverables)
    pdf.article(3, wording.schedule,
                f"自本合同签订之日（{chinese_date(contract.signed_on)}）起至"
                f"{chinese_date(contract.due_date)}止，乙方完成并交付本合同约定的成果。")
    pdf.article(4, "合同价款及支付方式", *_payment_paragraphs(contract))
    pdf.article(5, "验收标准和方式", texts.ACCEPTANCE)
    pdf.article(6, *wording.own_clause)
    pdf.article(7, "技术合同登记", texts.REGISTRATION.format(
        field=_field_name(contract.field_code)))
    pdf.article(8, "违约责任及争议解决", texts.LIABILITY)
    pdf.article(9, "其他", texts.OTHER)
    pdf.ln(4)
    _signature_block(pdf, wording.buyer_role, buyer, contract.signed_on)
    _signature_block(pdf, wording.seller_role, seller, contract.signed_on)
    _qr_code(pdf, verification_url(contract), verification_code(contract))
    return bytes(pdf.output())


def _signed_quote(contract):
    from marketplace.orders.models import Quote
    return db.session.get(Quote, contract.quote_id)


def document_of(contract):
    """The contract's document, rendered now if it never was. Two first downloads at once
    both render; the second's insert finds the first's row and that one is kept."""
    found = db.session.execute(select(ContractDocument).where(
        ContractDocument.contract_id == contract.id)).scalar_one_or_none()
    if found is not None:
        return found
    try:
        pdf = render(contract)
    except FontMissing as missing:
        log.error("contract %s: %s", contract.number, missing)
        raise DocumentUnavailable()
    document = ContractDocument(contract_id=contract.id, pdf=pdf, size_bytes=len(pdf),
                                sha256=hashlib.sha256(pdf).hexdigest())
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except IntegrityError:
        return db.session.execute(select(ContractDocument).where(
            ContractDocument.contract_id == contract.id)).scalar_one()
    return document


def file_name(contract):
    return f"{contract.number}.pdf"
