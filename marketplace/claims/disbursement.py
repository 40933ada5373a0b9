"""Disbursement: a supervisor gathers approved claims (their voucher parts) and accepted
orders' co-pays into a batch; what the same agencies owe back is deducted as recovery
lines. The bank-payment file (CSV or XLSX) can be exported as often as needed; the
treasury's confirmation is recorded once, which posts every line (funds verbs) and
disburses the claims. From the page the confirmation runs as a background job (a batch
may hold hundreds of lines) whose progress the batch page shows; the API records it
while the request waits."""
import io

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import funds
from marketplace.accounts.models import Organisation
from marketplace.claims import bank_files, batch_lines, voiding
from marketplace.claims.models import (BatchStatus, Claim, ClaimStatus, DisbursementBatch,
                                       DisbursementLine, LineKind, LineStatus)
from marketplace.core import audit, jobs, outbox
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_fen
from marketplace.core.rows import for_update
from marketplace.core.spreadsheets import SafeCsvDictWriter, xlsx_row
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus, TechContract

EXPORT_COLUMNS = ("line_reference", "kind", "payee", "bank_account", "amount_yuan",
                  "amount_fen", "contract_number", "payee_total_yuan")


class ClaimsNotPayable(Conflict):
    code = "claims_not_payable"
    default_message = _l("Only approved claims not yet in a batch can be disbursed.")


class CopaysNotPayable(Conflict):
    code = "copays_not_payable"
    default_message = _l("Only accepted orders' co-pays not yet paid out nor in a batch can "
                         "be disbursed.")


def payable_claims():
    return select(Claim).where(Claim.status == ClaimStatus.APPROVED,
                               Claim.disbursement_batch_id.is_(None)).order_by(Claim.id)


def settleable_copays(order_ids=None):
    """Accepted orders whose co-pay is owed to the agency and not in a live batch line:
    ``[(order, fen)]``, the oldest order first."""
    in_a_line = select(DisbursementLine.order_id).where(
        DisbursementLine.kind == LineKind.COPAY, DisbursementLine.status != LineStatus.REMOVED)
    query = select(Order).where(Order.status == OrderStatus.ACCEPTED,
                                Order.id.not_in(in_a_line)).order_by(Order.id)
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    orders = db.session.execute(query).scalars().all()
    positions = funds.copay.positions([o.id for o in orders])
    return [(order, positions[order.id].payable) for order in orders
            if positions[order.id].payable > 0]


def _ids(values):
    return sorted({int(value) for value in values or ()})


def create_batch(actor, claim_ids, copay_order_ids=()):
    """A new batch of the chosen approved claims and co-pays, with the agencies'
    outstanding recoveries deducted. Refused whole when any chosen item is not payable."""
    ids, order_ids = _ids(claim_ids), _ids(copay_order_ids)
    if not ids and not order_ids:
        raise ValidationFailed(_l("Choose at least one approved claim or co-pay."),
                               details={"field": "claim_ids"})
    # orders before claims (a refund takes the order first too)
    locked_orders = db.session.execute(for_update(
        select(Order.id).where(Order.id.in_(order_ids)).order_by(Order.id), of=Order)
    ).scalars().all() if order_ids else []
    copays = dict((order.id, (order, fen)) for order, fen in settleable_copays(order_ids)) \
        if order_ids else {}
    bad_orders = sorted(set(order_ids) - set(copays)) + sorted(
        set(order_ids) - set(locked_orders))
    claims = db.session.execute(for_update(
        select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id), of=Claim)
    ).unique().scalars().all() if ids else []
    bad = [c.id for c in claims if c.status != ClaimStatus.APPROVED
           or c.disbursement_batch_id is not None]
    missing = sorted(set(ids) - {c.id for c in claims})
    if bad or missing:
        raise ClaimsNotPayable(details={"claim_ids": bad + missing})
    if bad_orders:
        raise CopaysNotPayable(details={"order_ids": sorted(set(bad_orders))})
    batch = DisbursementBatch(total_fen=0, line_count=0, created_by_id=actor.id,
                              status=BatchStatus.OPEN)
    db.session.add(batch)
    db.session.flush()
    for claim in claims:
        claim.disbursement_batch_id = batch.id
        db.session.add(DisbursementLine(batch_id=batch.id, kind=LineKind.VOUCHER_PART,
                                        agency_id=claim.agency_id, claim_id=claim.id,
                                        order_id=claim.order_id, amount_fen=claim.amount_fen))
    for order, fen in copays.values():
        db.session.add(DisbursementLine(batch_id=batch.id, kind=LineKind.COPAY,
                                        agency_id=order.agency_id, order_id=order.id,
                                        amount_fen=fen))
    db.session.flush()
    for agency_id in sorted({c.agency_id for c in claims} |
                            {order.agency_id for order, _fen in copays.values()}):
        batch_lines.net_recoveries(batch, agency_id, actor=actor)
    batch_lines.refresh_totals(batch, actor=actor)
    audit.record(batch, "create", actor=actor, after=BatchStatus.OPEN,
                 data={"claim_ids": ids, "copay_order_ids": order_ids,
                       "total_fen": batch.total_fen})
    return batch


def claims_of(batch):
    return db.session.execute(select(Claim).join(
        DisbursementLine, DisbursementLine.claim_id == Claim.id).where(
        DisbursementLine.batch_id == batch.id, DisbursementLine.status != LineStatus.REMOVED)
        .order_by(Claim.id)).scalars().all()


def lines_of(batch):
    return batch_lines.lines_of(batch.id)


def _yuan(fen):
    """Banks read plain decimals: no symbol, no thousands separator."""
    return format_fen(fen, "", grouping=False)


def export_rows(batch):
    lines = batch_lines.live_lines(batch.id)
    payees = {o.id: o for o in db.session.execute(select(Organisation).where(
        Organisation.id.in_({line.agency_id for line in lines}))).scalars()}
    contracts = dict(db.session.execute(select(TechContract.order_id, TechContract.number)
                                        .where(TechContract.order_id.in_(
                                            {line.order_id for line in lines
                                             if line.order_id}))).all())
    totals = {}
    for line in lines:
        totals[line.agency_id] = totals.get(line.agency_id, 0) + line.signed_amount_fen
    rows = []
    for line in lines:
        payee = payees[line.agency_id]
        rows.append({
            "line_reference": bank_files.line_reference(line),
            "kind": line.kind.value, "payee": payee.name,
            "bank_account": payee.bank_account or "",
            "amount_yuan": _yuan(line.signed_amount_fen),
            "amount_fen": line.signed_amount_fen,
            "contract_number": contracts.get(line.order_id, ""),
            "payee_total_yuan": _yuan(totals[line.agency_id])})
    return rows


def export(batch, actor, file_format):
    """The bank-payment file; exporting never changes money, only counts exports. The
    first export marks the batch sent (``batch_lines.mark_sent``)."""
    batch, sending = batch_lines.mark_sent(batch)
    rows = export_rows(batch)
    batch.export_count += 1
    audit.record(batch, "export", actor=actor, data={"format": file_format,
                                                     "export": batch.export_count, **sending})
    if file_format == "csv":
        out = io.StringIO()
        writer = SafeCsvDictWriter(out, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        # a BOM so Excel in a Chinese locale opens the UTF-8 names correctly
        return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"
    if file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = f"batch-{batch.id}"
        sheet.append(xlsx_row(sheet, EXPORT_COLUMNS))
        for row in rows:
            sheet.append(xlsx_row(sheet, [row[column] for column in EXPORT_COLUMNS]))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), ("application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet")
    raise ValidationFailed(details={"field": "format"})


class BatchAlreadyPaid(Conflict):
    code = "batch_already_paid"
    default_message = _l("This batch is already recorded as paid.")


class BatchNotOpen(Conflict):
    code = "batch_not_open"
    default_message = _l("This batch has no line left to pay: every line was taken out.")


class BatchPaymentUnderWay(Conflict):
    code = "batch_payment_under_way"
    default_message = _l("The payment of this batch is being recorded right now; wait "
                         "until it is done (this page shows its progress).")


def _reference(treasury_reference):
    reference = (treasury_reference or "").strip()
    if not reference:
        raise ValidationFailed(_l("Give the treasury's payment reference."),
                               details={"field": "treasury_reference"})
    return reference


def _refuse_unless_open(batch):
    if batch.status == BatchStatus.PAID:
        raise BatchAlreadyPaid()
    if batch.status != BatchStatus.OPEN:
        raise BatchNotOpen()


def queue_mark_paid(batch, actor, treasury_reference):
    """Record the treasury's confirmation in the background: the page shows the job's
    progress. Refused for a paid batch and while the batch's payment is already queued or
    running; the batch row is locked first, so two confirmations sent at once cannot both
    queue a job."""
    reference = _reference(treasury_reference)
    batch = batch_lines.lock_batch(batch.id)
    _refuse_unless_open(batch)
    try:   # start() refuses a second active job on the batch before it writes anything
        return jobs.start(PAYMENT_JOB, actor, subject=batch, total=batch.line_count,
                          params={"batch_id": batch.id, "treasury_reference": reference})
    except jobs.JobAlreadyRunning:
        raise BatchPaymentUnderWay() from None


def mark_paid(batch, actor, treasury_reference, *, progress=None, job=None):
    """Record the treasury's confirmation: each live line posted (a voucher part
    payable → paid and its claim disbursed; a co-pay payable → paid; a recovery
    collected), all in the caller's transaction. The batch is locked, then its claims:
    a refund that voids one of them waits, and then finds it paid (a recovery), or takes
    it out first and this payment pays the rest. ``progress(n)`` is told per line."""
    reference = _reference(treasury_reference)
    batch = batch_lines.lock_batch(batch.id)
    if batch.status == BatchStatus.OPEN and job is None \
            and jobs.active_job(PAYMENT_JOB, batch) is not None:
        raise BatchPaymentUnderWay()
    _refuse_unless_open(batch)
    lines = batch_lines.live_lines(batch.id)
    claims = {c.id: c for c in db.session.execute(for_update(
        select(Claim).where(Claim.id.in_([l.claim_id for l in lines if l.claim_id]))
        .order_by(Claim.id).execution_options(populate_existing=True), of=Claim,
        key_share=True)).unique().scalars()}
    batch.paid_dt = now_utc()
    batch.paid_by_id = actor.id
    batch.treasury_reference = reference
    transition(batch, "mark_paid", actor=actor, data={"treasury_reference": reference,
                                                      "total_fen": batch.total_fen})
    for line in lines:
        pay_line(line, claims.get(line.claim_id), batch, actor)
        if progress is not None:
            progress(1)
    return batch


def pay_line(line, claim, batch, actor):
    if line.kind == LineKind.VOUCHER_PART:
        funds.voucher_parts.disburse(claim, actor=actor)
        transition(claim, "disburse", actor=actor, data={"batch_id": batch.id})
        claim.updated_dt = now_utc()
        if claim.void_pending_reason is not None:
            voiding.settle_pending_void(claim, actor=actor)   # paid: now owed back
        else:
            outbox.emit("claims.disbursed", claim_id=claim.id)
    elif line.kind == LineKind.COPAY:
        _pay_copay_line(line, actor)
    else:
        funds.recoveries.collect(line.recovery_id, line.amount_fen, actor=actor,
                                 method="netted", batch_id=batch.id,
                                 reference=f"batch {batch.id}")
    transition(line, "pay", actor=actor, data={"batch_id": batch.id,
                                               "amount_fen": line.amount_fen})
    line.updated_dt = now_utc()


def _pay_copay_line(line, actor):
    """The co-pay line as the bank paid it: whole. What went back to the firm after the
    file went out left the payable then; the bank paid it anyway, so the agency owes it."""
    from_payable = line.amount_fen - line.refunded_at_bank_fen
    if from_payable:
        funds.copay.pay_out(line.order_id, line.agency_id, from_payable, actor=actor,
                            key=f"copay-payout:line:{line.id}")
    if line.refunded_at_bank_fen:
        recovery = funds.recoveries.owe_copay_paid_at_bank(
            line.order_id, line.agency_id, line.refunded_at_bank_fen, actor=actor,
            reason="co-pay refunded after the bank file went out, and paid by the bank",
            key=f"copay-paid-at-bank:line:{line.id}")
        outbox.emit("claims.recovery_owed", recovery_id=recovery.id)


# --- the payment as a background job -----------------------------------------------------

PAYMENT_JOB = "claims.disbursement_paid"


def _back_to_batch(job):
    batch_id = job.params_dict["batch_id"]
    return (url_for("claims.batch", batch_id=batch_id),
            _l("Back to batch #%(id)s", id=batch_id))


@jobs.job_runner(PAYMENT_JOB, title=_l("Recording a disbursement batch as paid"),
                 unit=_l("%(done)s of %(total)s lines"), back=_back_to_batch)
def run_mark_paid(job, context):
    """The worker's side of :func:`queue_mark_paid`: every posting in the job's one
    transaction, so a failure leaves the batch open and nothing posted."""
    from marketplace.accounts.models import User

    params = job.params_dict
    batch = db.session.get(DisbursementBatch, params["batch_id"])
    _refuse_unless_open(batch)
    actor = db.session.get(User, job.requested_by_id)
    mark_paid(batch, actor, params["treasury_reference"], progress=context.advance, job=job)
    return None
