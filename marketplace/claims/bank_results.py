"""The bank's result file (回单) of a batch, read back: per payee row of the bank file, its
reference, ``paid``, ``failed`` or ``returned``, the bank's reference and a reason.

The file is checked whole before anything changes: an unknown reference, an amount that is
not the row's, a status the bank does not use, a reference twice, or a row of the batch
left without an answer refuses it with the errors of every line, and nothing is applied.
Then, in the caller's transaction: paid rows post their lines (the funds verbs, as the
treasury's confirmation does); failed and returned rows leave the batch, so their claims
and co-pays are payable again and the recoveries they netted are still owed; the
supervisors are told. The batch is then paid (or cancelled when nothing was paid).

Importing the same file again changes nothing (its hash is kept); another file that
repeats what is recorded answers "unchanged" line by line, and one that contradicts it is
refused."""
import hashlib
import io
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.claims import bank_files, batch_lines, disbursement, voiding
from marketplace.claims.models import (BankOutcome, BankResult, BatchStatus, Claim,
                                       LineKind, LineStatus)
from marketplace.core import audit, jobs, outbox
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import MoneyError, format_fen, yuan_to_fen
from marketplace.core.rows import for_update
from marketplace.core.spreadsheets import Reader, header_map
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

MAX_ROWS = 5000
COLUMNS = (("reference", "参考号", "reference", True), ("status", "状态", "status", True),
           ("amount", "金额", "amount", False),
           ("bank_reference", "银行流水号", "bank_reference", False),
           ("reason", "原因", "reason", False))
STATUS_WORDS = {"paid": BankOutcome.PAID, "成功": BankOutcome.PAID, "已支付": BankOutcome.PAID,
                "failed": BankOutcome.FAILED, "失败": BankOutcome.FAILED,
                "returned": BankOutcome.RETURNED, "退汇": BankOutcome.RETURNED,
                "退回": BankOutcome.RETURNED}
ERRORS = {
    "unreadable": _l("The file cannot be read as CSV (UTF-8 or GB18030) or XLSX."),
    "header": _l("No header row with the columns reference (参考号) and status (状态)."),
    "empty": _l("The file has no result lines."),
    "too_many": _l("At most %(count)s lines in one file."),
    "unknown": _l("%(reference)s is not a payee row of this batch's bank file."),
    "duplicate": _l("%(reference)s is answered twice in this file."),
    "status": _l("%(value)s is not a status: paid, failed or returned (成功, 失败, 退汇)."),
    "amount": _l("%(value)s is not an amount in yuan."),
    "amount_differs": _l("The amount %(value)s is not the row's %(expected)s."),
    "bank_reference": _l("A paid line needs the bank's reference."),
    "recorded": _l("%(reference)s is already recorded as %(outcome)s."),
    "unanswered": _l("The file has no answer for %(reference)s."),
    "batch_closed": _l("This batch is no longer waiting for the bank."),
    "under_way": _l("The payment of this batch is being recorded right now."),
    "too_large": _l("The file is over %(size)s MB."),
}


class BankResultRefused(ValidationFailed):
    code = "bank_result_refused"
    default_message = _l("The bank's result file is refused; nothing was applied. Each "
                         "line's error is listed.")


def line_error(row, key, **params):
    return {"row": row, "code": key, "message": str(ERRORS[key] % params if params
                                                      else ERRORS[key])}


def read_lines(raw, filename):
    """``[{"row", "reference", "status", "amount", "bank_reference", "reason"}]`` of a
    file's result lines (rows before the header, such as a control line, are skipped), or
    :class:`BankResultRefused`."""
    is_xlsx = raw[:2] == b"PK"
    name = filename if filename.lower().endswith(".xlsx") or not is_xlsx else "result.xlsx"
    try:
        rows = list(Reader(io.BytesIO(raw), name).rows())
    except Exception:   # a damaged XLSX, a binary file: the person is told, not a 500
        raise BankResultRefused(details={"errors": [line_error(0, "unreadable")]}) from None
    for index, row in enumerate(rows):
        positions, missing = header_map(row, COLUMNS)
        if not missing:
            break
    else:
        raise BankResultRefused(details={"errors": [line_error(0, "header")]})
    lines = []
    for number, row in enumerate(rows[index + 1:], start=index + 2):
        cells = {key: str(row[pos]).strip() if pos < len(row) and row[pos] is not None
                 else "" for key, pos in positions.items()}
        if any(cells.values()):
            lines.append({"row": number, **cells})
    if not lines:
        raise BankResultRefused(details={"errors": [line_error(0, "empty")]})
    if len(lines) > MAX_ROWS:
        raise BankResultRefused(details={"errors": [line_error(0, "too_many", count=MAX_ROWS)]})
    return lines


def _recorded_rows(batch):
    """{reference: (outcome, amount_fen)} of the payee rows the bank answered before."""
    recorded = {}
    for line in batch_lines.lines_of(batch.id):
        if line.bank_outcome is not None:
            reference = bank_files.row_reference(batch.id, line.agency_id)
            outcome, amount = recorded.get(reference, (line.bank_outcome, 0))
            recorded[reference] = (outcome, amount + line.signed_amount_fen)
    return recorded


def check(batch, lines):
    """``(plan, outcomes, errors)``: the rows to apply ``[(PayeeRow, line)]``, each
    line's outcome for the answer, and the errors (none applied when there are any)."""
    pending = {row.reference: row for row in bank_files.transfers(batch)}
    recorded = _recorded_rows(batch)
    plan, outcomes, errors, seen = [], [], [], set()
    for line in lines:
        reference, row_number = line["reference"], line["row"]
        found = []
        status = STATUS_WORDS.get(line["status"].lower())
        if status is None:
            found.append(line_error(row_number, "status", value=line["status"]))
        amount = None
        if line.get("amount"):
            try:
                amount = yuan_to_fen(line["amount"])
            except MoneyError:
                found.append(line_error(row_number, "amount", value=line["amount"]))
        if reference in seen:
            found.append(line_error(row_number, "duplicate", reference=reference))
        seen.add(reference)
        if reference in pending:
            expected = pending[reference].amount_fen
        elif reference in recorded:
            expected = recorded[reference][1]
            if status is not None and status != recorded[reference][0]:
                found.append(line_error(row_number, "recorded", reference=reference,
                                    outcome=recorded[reference][0].value))
        else:
            found.append(line_error(row_number, "unknown", reference=reference))
            expected = None
        if amount is not None and expected is not None and amount != expected:
            found.append(line_error(row_number, "amount_differs", value=line["amount"],
                                expected=format_fen(expected, symbol="", grouping=False)))
        if status == BankOutcome.PAID and not line.get("bank_reference"):
            found.append(line_error(row_number, "bank_reference"))
        errors.extend(found)
        if found:
            continue
        applied = reference in pending
        outcomes.append({"row": row_number, "reference": reference, "status": status.value,
                         "amount_fen": expected,
                         "outcome": "applied" if applied else "unchanged"})
        if applied:
            plan.append((pending[reference], {**line, "status": status}))
    if plan and not errors:
        errors.extend(line_error(0, "unanswered", reference=reference)
                      for reference in pending if reference not in seen)
    return plan, outcomes, errors


def lines_from_json(items):
    """The API's JSON lines (``amount_fen`` in fen) as a file's lines, and the bytes
    hashed for them (the same lines again are the same answer)."""
    lines = [{"row": number, "reference": item["reference"].strip(),
              "status": item["status"].strip(),
              "amount": format_fen(item["amount_fen"], symbol="", grouping=False)
              if item.get("amount_fen") is not None else "",
              "bank_reference": (item.get("bank_reference") or "").strip(),
              "reason": (item.get("reason") or "").strip()}
             for number, item in enumerate(items, start=1)]
    if not lines:
        raise BankResultRefused(details={"errors": [line_error(0, "empty")]})
    return lines, json.dumps([{k: v for k, v in line.items() if k != "row"}
                              for line in lines], sort_keys=True).encode()


def import_result(batch, actor, raw, filename, *, lines=None):
    """Apply the bank's result file (``raw``), or ``lines`` already read, to ``batch``.
    Returns ``(result or None, outcomes)``: ``None`` when the file changed nothing (the
    same file again, or only lines already recorded)."""
    digest = hashlib.sha256(raw).hexdigest()
    batch = batch_lines.lock_batch(batch.id)
    if lines is None:
        lines = read_lines(raw, filename or "result.csv")
    plan, outcomes, errors = check(batch, lines)
    if db.session.execute(select(BankResult.id).where(
            BankResult.batch_id == batch.id, BankResult.file_sha256 == digest)).first():
        # this very file was applied: its answer stands, whatever changed since
        return None, [{**outcome, "outcome": "unchanged"} for outcome in outcomes]
    if plan and batch.status != BatchStatus.OPEN:
        errors.append(line_error(0, "batch_closed"))
    if plan and jobs.active_job(disbursement.PAYMENT_JOB, batch) is not None:
        errors.append(line_error(0, "under_way"))
    if errors:
        raise BankResultRefused(details={"errors": errors, "outcomes": outcomes})
    if not plan:
        return None, outcomes
    return _apply(batch, actor, plan, digest, filename), outcomes


def _apply(batch, actor, plan, digest, filename):
    unpaid = [row for row, line in plan if line["status"] != BankOutcome.PAID]
    result = BankResult(batch_id=batch.id, file_sha256=digest,
                        filename=(filename or "result")[:200], row_count=len(plan),
                        paid_count=len(plan) - len(unpaid), failed_count=len(unpaid),
                        imported_by_id=actor.id)
    db.session.add(result)
    db.session.flush()
    # the batch's claims (also of payees netted to nothing), as the treasury's payment
    claim_ids = [line.claim_id for line in batch_lines.live_lines(batch.id) if line.claim_id]
    claims = {c.id: c for c in db.session.execute(for_update(
        select(Claim).where(Claim.id.in_(claim_ids)).order_by(Claim.id)
        .execution_options(populate_existing=True), of=Claim, key_share=True))
        .unique().scalars()}
    paid_answers, not_paid_claims = {}, []
    for row, answer in plan:
        for line in row.lines:
            if answer["status"] == BankOutcome.PAID:
                paid_answers[line.id] = answer   # marked once posted (the schema's check)
                continue
            _mark(line, answer, result)
            if line.kind == LineKind.VOUCHER_PART:
                claims[line.claim_id].disbursement_batch_id = None
                not_paid_claims.append(claims[line.claim_id])
            reason = f"bank: {answer['status'].value}" + (
                f" ({line.bank_reason})" if line.bank_reason else "")
            batch_lines.remove_line(line, reason, actor=actor, quiet=True)
    for claim in not_paid_claims:   # a void that waited for the bank: nothing was paid
        voiding.settle_pending_void(claim, actor=actor)
    batch_lines.refresh_totals(batch, actor=actor)
    if batch.status == BatchStatus.OPEN:
        # every row was answered: the paid ones, and payees netted to nothing, are paid
        batch.paid_dt = now_utc()
        batch.paid_by_id = actor.id
        batch.treasury_reference = f"bank-result-{result.id}"
        transition(batch, "mark_paid", actor=actor, data={
            "treasury_reference": batch.treasury_reference, "total_fen": batch.total_fen,
            "bank_result_id": result.id})
        for line in batch_lines.live_lines(batch.id):
            if line.status == LineStatus.INCLUDED:
                disbursement.pay_line(line, claims.get(line.claim_id), batch, actor)
                if line.id in paid_answers:
                    _mark(line, paid_answers[line.id], result)
    audit.record(batch, "bank_result", actor=actor, data={
        "bank_result_id": result.id, "file_sha256": digest, "filename": result.filename,
        "rows": {row.reference: answer["status"].value for row, answer in plan}})
    if unpaid:
        outbox.emit("claims.bank_not_paid", batch_id=batch.id, result_id=result.id)
    return result


def _mark(line, answer, result):
    line.bank_outcome = answer["status"]
    line.bank_reference = answer.get("bank_reference") or None
    line.bank_reason = (answer.get("reason") or "")[:200] or None
    line.bank_result_id = result.id


def results_of(batch):
    return db.session.execute(select(BankResult).where(BankResult.batch_id == batch.id)
                              .order_by(BankResult.id)).scalars().all()
