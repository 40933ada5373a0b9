"""Disbursement pages (supervisors): gather approved claims and accepted co-pays into a
batch (what the same agencies owe back is deducted), download its bank-payment file as
often as needed, record the treasury's payment once (a background job: the batch page
shows its progress and refuses a second confirmation meanwhile); follow what agencies owe
back and record their repayments."""
from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.claims import bank_files, bank_results, batch_lines, disbursement
from marketplace.claims import permissions as perms
from marketplace import funds
from marketplace.claims.forms import BankResultForm, BatchForm, PaidForm, RepaymentForm
from marketplace.claims.models import (BatchStatus, Claim, ClaimStatus, DisbursementBatch,
                                       LineKind, LineStatus)
from marketplace.claims.views import bp
from marketplace.core import jobs
from marketplace.core.errors import NotFound
from marketplace.core.job_models import JobStatus
from marketplace.core.idempotency import idempotent_form
from marketplace.core.permissions import access
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db

PER_PAGE = 20


def _batch(batch_id):
    found = db.session.get(DisbursementBatch, batch_id)
    if found is None:
        raise NotFound()
    return found


def _payees(items):
    ids = {item.agency_id for item in items}
    if not ids:
        return {}
    return {o.id: o for o in db.session.query(Organisation).filter(Organisation.id.in_(ids))}


def render_disbursements(form=None, status=200):
    payable = db.session.execute(disbursement.payable_claims()).scalars().all()
    copays = disbursement.settleable_copays()
    owed = funds.recoveries.outstanding()
    batches = db.paginate(db.select(DisbursementBatch).order_by(
        DisbursementBatch.id.desc()), page=page_argument(), per_page=PER_PAGE,
        error_out=False)
    form = form or BatchForm(formdata=None)
    return render_template(
        "claims/disbursements.html", payable=payable, copays=copays, batches=batches,
        payees=_payees(payable + [order for order, _fen in copays] + owed), form=form,
        chosen=set(form.claim_ids.data or []),
        chosen_copays=set(form.copay_order_ids.data or []),
        payable_total=sum(c.amount_fen for c in payable),
        copay_total=sum(fen for _order, fen in copays),
        owed_total=sum(r.outstanding_fen for r in owed)), status


def _missing_names(fields):
    return ", ".join(str(bank_files.MISSING_NAMES[name]) for name in fields)


def _settled_unpaid(lines):
    """The lines the bank did not pay that are not payable again: a claim whose void
    waited for the answer (now voided), a co-pay refunded whole while at the bank."""
    unpaid = [line for line in lines
              if line.bank_outcome is not None and line.status == LineStatus.REMOVED]
    voided = set(db.session.execute(select(Claim.id).where(
        Claim.id.in_([line.claim_id for line in unpaid if line.claim_id]),
        Claim.status == ClaimStatus.VOIDED)).scalars()) if unpaid else set()
    return {line.id for line in unpaid if line.claim_id in voided
            or (line.kind == LineKind.COPAY and line.refunded_at_bank_fen >= line.amount_fen)}


def render_batch(batch, form=None, status=200, result_form=None, bank_refusal=None,
                 outcomes=None):
    lines = disbursement.lines_of(batch)
    people = {u.id: u for u in db.session.query(User).filter(
        User.id.in_({batch.created_by_id, batch.paid_by_id} - {None}))}
    # the payment's job: its bar while it runs, its reason if the last attempt failed
    job = jobs.latest_job(disbursement.PAYMENT_JOB, batch)
    is_open = batch.status == BatchStatus.OPEN
    return render_template("claims/batch.html", batch=batch, lines=lines,
                           payees=_payees(lines), people=people,
                           form=form or PaidForm(formdata=None), is_open=is_open,
                           job=job, job_running=job is not None and job.is_active,
                           job_failed=is_open and job is not None
                           and job.status == JobStatus.FAILED,
                           job_text=jobs.progress_text(job) if job else None,
                           can_poll=job is not None and jobs.can_see_job(current_user, job),
                           result_form=result_form or BankResultForm(formdata=None),
                           awaiting_bank=is_open and bool(bank_files.transfers(batch)),
                           bank_results=bank_results.results_of(batch),
                           pending_voids={claim.id: claim.void_pending_reason
                                          for claim in disbursement.claims_of(batch)
                                          if claim.void_pending_reason}
                           if batch.is_at_the_bank else {},
                           settled_unpaid=_settled_unpaid(lines),
                           bank_refusal=bank_refusal, outcomes=outcomes,
                           row_reference=bank_files.row_reference,
                           missing_names=_missing_names,
                           can_export_bank=perms.can_export_bank_file(current_user, batch),
                           can_import_bank=perms.can_import_bank_result(current_user, batch),
                           ), status


@bp.route("/disbursements")
@access(perms.can_manage_disbursements)
def disbursements():
    return render_disbursements()


@bp.route("/disbursements", methods=["POST"])
@access(perms.can_manage_disbursements)
@idempotent_form
def create_batch():
    form = BatchForm()
    if not form.validate_on_submit():
        return render_disbursements(form, status=422)
    batch, refused = attempt(disbursement.create_batch, current_user, form.claim_ids.data,
                             form.copay_order_ids.data, form=form)
    if refused:
        return render_disbursements(form, status=refused.status)
    db.session.commit()
    flash(_("Batch #%(id)s is created. Download its payment file for the treasury.",
            id=batch.id), "success")
    return redirect(url_for("claims.batch", batch_id=batch.id))


@bp.route("/disbursements/<int:batch_id>")
@access(perms.can_manage_disbursements)
def batch(batch_id):
    return render_batch(_batch(batch_id))


@bp.route("/disbursements/<int:batch_id>/export.<any(csv, xlsx):file_format>")
@access(perms.can_manage_disbursements)
def export_batch(batch_id, file_format):
    found = _batch(batch_id)
    content, mimetype = disbursement.export(found, current_user, file_format)
    db.session.commit()   # the export is counted and audited
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=disbursement-batch-{batch_id}"
                               f".{file_format}",
        "Cache-Control": "no-store"})


@bp.route("/disbursements/<int:batch_id>/bank.<any(csv, xlsx):file_format>")
@access(perms.can_export_bank_file)
def export_bank_file(batch_id, file_format):
    """The bank batch-payment file; refused (the batch page, listing the payees and what
    each lacks) while a payee's bank details are incomplete."""
    found = _batch(batch_id)
    exported, refused = attempt(bank_files.export, found, current_user, file_format)
    if refused:
        return render_batch(_batch(batch_id), bank_refusal=refused, status=refused.status)
    content, mimetype = exported
    db.session.commit()
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=bank-batch-{batch_id}.{file_format}",
        "Cache-Control": "no-store"})


@bp.route("/disbursements/<int:batch_id>/bank-result", methods=["POST"])
@access(perms.can_import_bank_result)
@idempotent_form
def import_bank_result(batch_id):
    found = _batch(batch_id)
    form = BankResultForm()
    if not form.validate_on_submit():
        return render_batch(found, result_form=form, status=422)
    upload = form.result_file.data
    answer, refused = attempt(bank_results.import_result, found, current_user,
                              upload.read(), upload.filename, form=form)
    if refused:
        form.result_file.errors = list(form.result_file.errors) + [
            (f"{_('line %(row)s', row=error['row'])}: " if error["row"] else "")
            + error["message"] for error in refused.details.get("errors", [])]
        return render_batch(_batch(batch_id), result_form=form, status=refused.status)
    result, outcomes = answer
    db.session.commit()
    if result is None:
        flash(_("This answer of the bank is already recorded; nothing changed."), "info")
    else:
        flash(_("The bank's answer is recorded: %(paid)s payees paid, %(failed)s not paid "
                "(their lines are payable again).", paid=result.paid_count,
                failed=result.failed_count), "success")
    return redirect(url_for("claims.batch", batch_id=batch_id))


@bp.route("/disbursements/<int:batch_id>/paid", methods=["POST"])
@access(perms.can_manage_disbursements)
@idempotent_form
def mark_paid(batch_id):
    """Queue the recording of the treasury's payment; the batch page shows its progress
    (with tasks in-process, as in tests and ``make run``, it is done by the redirect)."""
    found = _batch(batch_id)
    form = PaidForm()
    if not form.validate_on_submit():
        return render_batch(found, form, status=422)
    _result, refused = attempt(disbursement.queue_mark_paid, found, current_user,
                               form.treasury_reference.data, form=form)
    if refused:
        return render_batch(_batch(batch_id), form, status=refused.status)
    db.session.commit()
    flash(_("The payment of batch #%(id)s is being recorded; each agency is told once it "
            "is done.", id=batch_id), "success")
    return redirect(url_for("claims.batch", batch_id=batch_id))


def render_recoveries(form=None, status=200, chosen=None):
    owed = funds.recoveries.outstanding()
    collected = db.paginate(db.select(funds.models.Recovery).where(
        funds.models.Recovery.status == funds.models.RecoveryStatus.COLLECTED)
        .order_by(funds.models.Recovery.id.desc()), page=page_argument(), per_page=PER_PAGE,
        error_out=False)
    return render_template("claims/recoveries.html", owed=owed, collected=collected,
                           payees=_payees(owed + list(collected.items)),
                           form=form or RepaymentForm(formdata=None), chosen=chosen,
                           owed_total=sum(r.outstanding_fen for r in owed)), status


@bp.route("/disbursements/recoveries")
@access(perms.can_manage_disbursements)
def recoveries():
    return render_recoveries()


@bp.route("/disbursements/recoveries/<int:recovery_id>/repaid", methods=["POST"])
@access(perms.can_manage_disbursements)
@idempotent_form
def record_repayment(recovery_id):
    recovery = db.session.get(funds.models.Recovery, recovery_id)
    if recovery is None:
        raise NotFound()
    form = RepaymentForm()
    if not form.validate_on_submit():
        return render_recoveries(form, status=422, chosen=recovery_id)
    _done, refused = attempt(batch_lines.record_repayment, recovery.id, form.amount.data,
                             actor=current_user, reference=form.reference.data.strip(),
                             form=form)
    if refused:
        return render_recoveries(form, status=refused.status, chosen=recovery_id)
    db.session.commit()
    flash(_("The repayment is recorded."), "success")
    return redirect(url_for("claims.recoveries"))
