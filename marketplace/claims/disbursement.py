"""Disbursement: a supervisor gathers approved claims into a batch, exports the bank
payment file (CSV or XLSX) as often as needed, and records the treasury's confirmation
once, which posts agency payable → paid for each claim. From the page the confirmation
runs as a background job (a batch may hold hundreds of claims, each posted and each agency
told) whose progress the batch page shows; the API records it while the request waits."""
import io

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.claims.models import BatchStatus, Claim, ClaimStatus, DisbursementBatch
from marketplace.core import audit, jobs, ledger, outbox
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.ledger import AccountKind
from marketplace.core.rows import for_update
from marketplace.core.spreadsheets import SafeCsvDictWriter, xlsx_row
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.orders import accounts

DISBURSEMENT = "claim_disbursement"
EXPORT_COLUMNS = ("claim_reference", "payee", "bank_account", "amount_yuan", "amount_fen",
                  "contract_number")


class ClaimsNotPayable(Conflict):
    code = "claims_not_payable"
    default_message = _l("Only approved claims not yet in a batch can be disbursed.")


def agency_paid_account(agency_id):
    return ledger.account(f"agency:{agency_id}:paid", AccountKind.AGENCY_PAID,
                          owner_type="agency", owner_id=agency_id)


def payable_claims():
    return select(Claim).where(Claim.status == ClaimStatus.APPROVED,
                               Claim.disbursement_batch_id.is_(None)).order_by(Claim.id)


def create_batch(actor, claim_ids):
    ids = sorted({int(i) for i in claim_ids or ()})
    if not ids:
        raise ValidationFailed(_l("Choose at least one approved claim."),
                               details={"field": "claim_ids"})
    claims = db.session.execute(for_update(
        select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id), of=Claim)
    ).unique().scalars().all()
    bad = [c.id for c in claims if c.status != ClaimStatus.APPROVED
           or c.disbursement_batch_id is not None]
    missing = sorted(set(ids) - {c.id for c in claims})
    if bad or missing:
        raise ClaimsNotPayable(details={"claim_ids": bad + missing})
    batch = DisbursementBatch(total_fen=sum(c.amount_fen for c in claims),
                              claim_count=len(claims), created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    for claim in claims:
        claim.disbursement_batch_id = batch.id
    audit.record(batch, "create", actor=actor, after=BatchStatus.OPEN,
                 data={"claim_ids": ids, "total_fen": batch.total_fen})
    return batch


def claims_of(batch):
    return db.session.execute(select(Claim).where(
        Claim.disbursement_batch_id == batch.id).order_by(Claim.id)).scalars().all()


def export_rows(batch):
    rows = []
    for claim in claims_of(batch):
        agency = db.session.get(Organisation, claim.agency_id)
        rows.append({"claim_reference": f"CLAIM-{claim.id}", "payee": agency.name,
                     "bank_account": agency.bank_account or "",
                     # banks read plain decimals: no symbol, no thousands separator
                     "amount_yuan": f"{claim.amount_fen // 100}.{claim.amount_fen % 100:02d}",
                     "amount_fen": claim.amount_fen,
                     "contract_number": claim.contract.number})
    return rows


def export(batch, actor, file_format):
    """The bank-payment file; exporting never changes money, only counts exports."""
    rows = export_rows(batch)
    batch.export_count += 1
    audit.record(batch, "export", actor=actor, data={"format": file_format,
                                                     "export": batch.export_count})
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


def _locked(batch):
    return db.session.execute(for_update(select(DisbursementBatch).where(
        DisbursementBatch.id == batch.id).execution_options(populate_existing=True))
    ).scalar_one()


def queue_mark_paid(batch, actor, treasury_reference):
    """Record the treasury's confirmation in the background (a batch may hold many claims,
    each posted and each agency told): the page shows the job's progress. Refused for a
    paid batch and while the batch's payment is already queued or running; the batch row
    is locked first, so two confirmations sent at once cannot both queue a job."""
    reference = _reference(treasury_reference)
    batch = _locked(batch)
    if batch.status != BatchStatus.OPEN:
        raise BatchAlreadyPaid()
    try:   # start() refuses a second active job on the batch before it writes anything
        return jobs.start(PAYMENT_JOB, actor, subject=batch, total=batch.claim_count,
                          params={"batch_id": batch.id, "treasury_reference": reference})
    except jobs.JobAlreadyRunning:
        raise BatchPaymentUnderWay() from None


def mark_paid(batch, actor, treasury_reference, *, progress=None, job=None):
    """Record the treasury's confirmation: payable → paid per claim, claims disbursed,
    all in the caller's transaction. A second confirmation of a paid batch is refused
    (also while a job records it: only that ``job`` may); each posting is idempotent.
    ``progress(n)`` is told as claims are posted."""
    reference = _reference(treasury_reference)
    batch = _locked(batch)
    if batch.status == BatchStatus.OPEN and job is None \
            and jobs.active_job(PAYMENT_JOB, batch) is not None:
        raise BatchPaymentUnderWay()
    transition(batch, "mark_paid", actor=actor, data={"treasury_reference": reference})
    batch.paid_dt = now_utc()
    batch.paid_by_id = actor.id
    batch.treasury_reference = reference
    for claim in claims_of(batch):
        ledger.transfer(DISBURSEMENT, accounts.agency_payable_account(claim.agency_id),
                        agency_paid_account(claim.agency_id), claim.amount_fen,
                        ref=("claim", claim.id), actor=actor,
                        idempotency_key=f"claim-disbursement:{claim.id}")
        transition(claim, "disburse", actor=actor, data={"batch_id": batch.id})
        claim.updated_dt = now_utc()
        outbox.emit("claims.disbursed", claim_id=claim.id)
        if progress is not None:
            progress(1)
    return batch


# --- the payment as a background job -----------------------------------------------------

PAYMENT_JOB = "claims.disbursement_paid"


def _back_to_batch(job):
    batch_id = job.params_dict["batch_id"]
    return (url_for("claims.batch", batch_id=batch_id),
            _l("Back to batch #%(id)s", id=batch_id))


@jobs.job_runner(PAYMENT_JOB, title=_l("Recording a disbursement batch as paid"),
                 unit=_l("%(done)s of %(total)s claims"), back=_back_to_batch)
def run_mark_paid(job, context):
    """The worker's side of :func:`queue_mark_paid`: every posting in the job's one
    transaction, so a failure leaves the batch open and nothing posted."""
    from marketplace.accounts.models import User

    params = job.params_dict
    batch = db.session.get(DisbursementBatch, params["batch_id"])
    if batch.status != BatchStatus.OPEN:
        raise BatchAlreadyPaid()
    actor = db.session.get(User, job.requested_by_id)
    mark_paid(batch, actor, params["treasury_reference"], progress=context.advance, job=job)
    return None
