"""Importing the registration system's export files from the page. A small file is
imported while the page waits; a big one is stored under the instance folder and imported
by a worker (the batch page shows its progress and, for a refused file, its report)."""
import io

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.core.permissions import access
from marketplace.core.spreadsheets import ImportReport
from marketplace.core.web import page_argument
from marketplace.extensions import db
from marketplace.turnover import permissions as perms
from marketplace.turnover.forms import ImportForm
from marketplace.turnover.imports import importer
from marketplace.turnover.imports.columns import COLUMNS
from marketplace.turnover.models import ImportStatus, RegistrationImportBatch

bp = Blueprint("registration_imports", __name__)

# up to this size a file is imported inline (about 2,000 rows, well under a second);
# bigger files (up to the app's MAX_CONTENT_LENGTH, 12 MiB: ~80,000 CSV rows, far more
# as XLSX) go to a worker; the CLI `flask turnover import` has no limit
INLINE_MAX_BYTES = 256 * 1024


def _page(form, report=None, status=200):
    batches = db.paginate(select(RegistrationImportBatch)
                          .order_by(RegistrationImportBatch.id.desc()),
                          page=page_argument(), per_page=20, error_out=False)
    return render_template("turnover/import.html", form=form, report=report,
                           batches=batches, columns=COLUMNS), status


@bp.route("/contracts/imports", methods=["GET", "POST"])
@access(perms.can_import_registrations)
def import_page():
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=422 if form.is_submitted() else 200)
    upload = form.file.data
    filename = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stream = io.BytesIO(upload.read())
    if len(stream.getbuffer()) > INLINE_MAX_BYTES:
        batch = importer.queue_file(stream, filename, current_user)
        db.session.commit()
        flash(_("The file is stored; a worker imports it now."), "info")
        return redirect(url_for(".batch", batch_id=batch.id))
    result = importer.import_file(stream, filename, current_user)
    if isinstance(result, ImportReport):
        db.session.rollback()
        return _page(form, report=result, status=422)
    db.session.commit()
    flash(_("%(added)s contracts registered from %(file)s; %(skipped)s rows skipped as "
            "already registered.", added=result.rows_added, file=result.filename,
            skipped=result.rows_already_registered), "success")
    return redirect(url_for(".batch", batch_id=result.id))


@bp.route("/contracts/imports/<int:batch_id>")
@access(perms.can_import_registrations)
def batch(batch_id):
    found = db.get_or_404(RegistrationImportBatch, batch_id)
    return render_template("turnover/import_batch.html", batch=found,
                           running=_is_running(found), progress_text=_progress_text(found),
                           report=importer.report_of(found))


@bp.route("/contracts/imports/<int:batch_id>.json")
@access(perms.can_import_registrations)
def batch_status(batch_id):
    """What the batch page's bar polls (static/js/jobs.js, the same as a job's)."""
    found = db.get_or_404(RegistrationImportBatch, batch_id)
    total = found.rows_in_file or None
    done = found.rows_processed or 0
    response = jsonify({
        "id": found.id, "status": found.status.value, "done": done, "total": total,
        "percent": min(100, done * 100 // total) if total else None,
        "finished": not _is_running(found), "text": _progress_text(found)})
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_running(batch):
    return batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _progress_text(batch):
    # the number of rows is known once the checking pass is over
    if batch.rows_in_file:
        return _("%(done)s of %(total)s rows", done=f"{batch.rows_processed or 0:,}",
                 total=f"{batch.rows_in_file:,}")
    return _("%(done)s rows checked so far", done=f"{batch.rows_processed or 0:,}")


@bp.route("/contracts/imports/template.csv")
@access(perms.can_import_registrations)
def template():
    return Response(importer.example_csv().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition":
                             "attachment; filename=contract-registrations-template.csv"})
