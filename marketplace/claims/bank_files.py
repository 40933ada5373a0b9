"""The bank batch-payment file (批量代付文件) of a disbursement batch: one row per payee
after netting the batch's lines (voucher parts and co-pays less what the agency owes
back), with the payee's account, name, bank (开户行) and CNAPS code (联行号) as the
payee's current version of its facts holds them, so a bank's batch-payment system takes
it as it is.

Layout (the same in the GB18030 CSV and in the XLSX):

1. the control line: ``汇总``, the number of payee rows, their total in yuan, the batch
   reference (a bank checks the file against these before paying);
2. the column titles (:data:`COLUMNS`);
3. one row per payee: sequence, account, name, bank name, CNAPS code, amount in yuan
   (two decimals, from integer fen), purpose (the row's reference first, then the lines
   it nets), batch reference.

The row's reference (``B<batch>-A<agency>``) is what the bank's result file names; a
payee whose lines net to nothing needs no transfer and is not in the file.
A payee without a bank name, a 12-digit CNAPS code or an account refuses the whole file,
naming each payee and what it lacks."""
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation
from marketplace.claims import batch_lines
from marketplace.claims.models import LineKind, LineStatus
from marketplace.core import audit
from marketplace.core.errors import Conflict
from marketplace.core.money import format_fen
from marketplace.core.spreadsheets import csv_writer, xlsx_row
from marketplace.extensions import db

CONTROL = "汇总"
COLUMNS = ("序号", "收款账号", "收款户名", "收款行名称", "收款行联行号", "金额", "用途",
           "批次号")
PURPOSE = "科创券兑付"
PURPOSE_MAX = 120   # banks cut a longer purpose; the row's reference comes first
LINE_REFERENCES = {LineKind.VOUCHER_PART: "CLAIM-{claim_id}",
                   LineKind.COPAY: "COPAY-{order_id}",
                   LineKind.RECOVERY: "RECOVERY-{recovery_id}"}
ROW_REFERENCE = re.compile(r"^B(\d+)-A(\d+)$")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PayeeBankDetailsMissing(Conflict):
    code = "payee_bank_details_missing"
    default_message = _l("Some payees lack the bank details a bank needs; the bank file "
                         "is not made until their facts are complete.")


MISSING_NAMES = {"bank_account": _l("bank account"), "bank_name": _l("bank name (开户行)"),
                 "bank_cnaps_code": _l("a 12-digit CNAPS code (联行号)")}


def batch_reference(batch_id):
    return f"HC-B{batch_id}"


def row_reference(batch_id, agency_id):
    return f"B{batch_id}-A{agency_id}"


def line_reference(line):
    return LINE_REFERENCES[line.kind].format(claim_id=line.claim_id, order_id=line.order_id,
                                             recovery_id=line.recovery_id)


@dataclass
class PayeeRow:
    """One transfer: a payee's lines in the batch, netted."""
    agency_id: int
    reference: str
    lines: list
    amount_fen: int
    name: str = ""
    account: str | None = None
    bank_name: str | None = None
    cnaps_code: str | None = None

    @property
    def missing(self):
        found = {"bank_account": self.account, "bank_name": self.bank_name,
                 "bank_cnaps_code": self.cnaps_code if re.fullmatch(
                     r"\d{12}", self.cnaps_code or "") else None}
        return [field for field, value in found.items() if not value]

    @property
    def purpose(self):
        text = f"{self.reference} {PURPOSE} " + ",".join(line_reference(line)
                                                          for line in self.lines)
        return text if len(text) <= PURPOSE_MAX else text[:PURPOSE_MAX - 1] + "…"


def payee_rows(batch, *, statuses=(LineStatus.INCLUDED,)):
    """The batch's payee rows (by agency id) of its lines in ``statuses``, with each
    payee's bank details from its current version."""
    by_agency = {}
    for line in batch_lines.lines_of(batch.id):
        if line.status in statuses:
            by_agency.setdefault(line.agency_id, []).append(line)
    payees = {o.id: o for o in db.session.execute(
        select(Organisation).where(Organisation.id.in_(list(by_agency)))
        .options(selectinload(Organisation.current_version))).scalars()}
    rows = []
    for agency_id in sorted(by_agency):
        lines = by_agency[agency_id]
        payee = payees[agency_id]
        version = payee.current_version
        rows.append(PayeeRow(
            agency_id=agency_id, reference=row_reference(batch.id, agency_id), lines=lines,
            amount_fen=sum(line.signed_amount_fen for line in lines),
            name=version.name if version else payee.name,
            account=version.bank_account if version else payee.bank_account,
            bank_name=version.bank_name if version else None,
            cnaps_code=version.bank_cnaps_code if version else None))
    return rows


def transfers(batch):
    """The rows the bank is to pay: payees still awaiting it, with something to pay."""
    return [row for row in payee_rows(batch) if row.amount_fen > 0]


def checked_transfers(batch):
    rows = transfers(batch)
    lacking = [{"agency_id": row.agency_id, "payee": row.name, "missing": row.missing}
               for row in rows if row.missing]
    if lacking:
        raise PayeeBankDetailsMissing(details={"payees": lacking})
    return rows


def table(batch, rows):
    """The file's rows as lists of cells: the control line, the titles, the payees."""
    reference = batch_reference(batch.id)
    total = sum(row.amount_fen for row in rows)
    lines = [[CONTROL, len(rows), format_fen(total, symbol="", grouping=False), reference],
             list(COLUMNS)]
    for sequence, row in enumerate(rows, start=1):
        lines.append([sequence, row.account, row.name, row.bank_name, row.cnaps_code,
                      format_fen(row.amount_fen, symbol="", grouping=False), row.purpose,
                      reference])
    return lines


def export(batch, actor, file_format):
    """``(content, mimetype)`` of the bank file; exporting pays nothing, it is counted and
    audited like the plain export, and the first export marks the batch sent."""
    batch, sending = batch_lines.mark_sent(batch)
    rows = checked_transfers(batch)
    batch.export_count += 1
    audit.record(batch, "export", actor=actor, data={"format": f"bank-{file_format}",
                                                     "export": batch.export_count,
                                                     "rows": len(rows), **sending})
    cells = table(batch, rows)
    if file_format == "csv":
        out = io.StringIO()
        writer = csv_writer(out, lineterminator="\r\n")
        # every cell as text, so an account number keeps its digits (no 6.2E+18)
        writer.writerows([[str(value) for value in line] for line in cells])
        return out.getvalue().encode("gb18030"), "text/csv; charset=GB18030"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = batch_reference(batch.id)
    for line in cells:
        sheet.append(xlsx_row(sheet, [str(value) for value in line]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX_TYPE
