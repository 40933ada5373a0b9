"""The bureau's lists: the integrity list (entries, listing by hand, ending a listing),
the certification lists, and the imports of both and of business-registry exports."""
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.core import normalise
from marketplace.core.permissions import access
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.integrity import barred, list_formats, list_imports
from marketplace.integrity import permissions as perms
from marketplace.integrity.forms import EntryForm, LiftForm, ListImportForm
from marketplace.integrity.models import (CertificationEntry, IdentityImportBatch,
                                          IdentityImportKind, IntegrityListEntry)

bp = Blueprint("integrity", __name__)
PER_PAGE = 30
LANDING = {"integrity_list": "integrity.entries", "certification": "integrity.certifications",
           "people": "integrity.import_page"}


@bp.route("/integrity/list")
@access(perms.can_view_integrity_list)
def entries():
    return _entries_page((request.args.get("q") or "").strip()[:100],
                         request.args.get("active") == "1")


def _entries_page(text, active, *, lift_form=None, refused_lift=None, status=200):
    """The list. ``refused_lift``: ``(entry id, message)`` of an ending refused, shown
    beside that row's reason as typed (``lift_form``)."""
    pagination = db.paginate(barred.entries(text, active_only=active), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template("integrity/entries.html", pagination=pagination, q=text,
                           active=active, today=date.today(),
                           can_manage=perms.can_manage_integrity_list(current_user),
                           lift_form=lift_form or LiftForm(prefix="lift"),
                           refused_lift=refused_lift), status


@bp.route("/integrity/list/new", methods=["GET", "POST"])
@access(perms.can_manage_integrity_list)
def new_entry():
    form = EntryForm()
    if form.validate_on_submit():
        entry, refused = attempt(
            barred.add_entry, current_user, subject=form.subject.data, name=form.name.data,
            uscc=form.uscc.data, id_kind=form.id_kind.data, id_number=form.id_number.data,
            reason=form.reason.data, source=form.source.data,
            listed_from=form.listed_from.data, listed_to=form.listed_to.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("%(name)s is on the integrity list.", name=entry.name), "success")
            return redirect(url_for(".entries"))
    return render_template("integrity/entry_form.html", form=form), \
        422 if form.is_submitted() else 200


@bp.route("/integrity/list/<int:entry_id>/lift", methods=["POST"])
@access(perms.can_manage_integrity_list)
def lift(entry_id):
    entry = db.get_or_404(IntegrityListEntry, entry_id)
    form = LiftForm(prefix="lift")
    if not form.validate_on_submit():
        # the list again, found by the entry's name, with the reason as typed beside it
        message = form.reason.errors[0] if (form.reason.data or "").strip() else \
            _("Give the reason the listing ends.")
        return _entries_page(entry.name[:100], False, lift_form=form,
                             refused_lift=(entry.id, message), status=422)
    _result, refused = attempt(barred.lift_entry, entry, current_user, form.reason.data)
    if not refused:
        db.session.commit()
        flash(_("The listing of %(name)s has ended.", name=entry.name), "success")
    return redirect(url_for(".entries"))


@bp.route("/integrity/certifications")
@access(perms.can_view_integrity_list)
def certifications():
    text = normalise.nfkc(request.args.get("q"))[:100]
    query = select(CertificationEntry).order_by(CertificationEntry.valid_to.desc(),
                                                CertificationEntry.id.desc())
    if text:
        query = query.where(or_(CertificationEntry.uscc == text.upper(),
                                CertificationEntry.organisation_name.contains(text),
                                CertificationEntry.certificate_number == text))
    pagination = db.paginate(query, page=page_argument(), per_page=PER_PAGE, error_out=False)
    return render_template("integrity/certifications.html", pagination=pagination, q=text,
                           today=date.today())


def _import_page(form, report=None, status=200):
    batches = db.paginate(select(IdentityImportBatch).order_by(IdentityImportBatch.id.desc()),
                          page=page_argument(), per_page=20, error_out=False)
    return render_template("integrity/imports.html", form=form, report=report,
                           batches=batches, columns=list_formats.COLUMNS), status


@bp.route("/integrity/imports", methods=["GET", "POST"])
@access(perms.can_import_identity_lists)
def import_page():
    form = ListImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=422 if form.is_submitted() else 200)
    upload = form.file.data
    filename = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    result = list_imports.import_list(io.BytesIO(upload.read()), filename, form.kind.data,
                                      current_user, date.today())
    if not isinstance(result, IdentityImportBatch):
        db.session.rollback()
        return _import_page(form, report=result, status=422)
    db.session.commit()
    flash(_("%(added)s of %(rows)s rows of %(file)s added (rows already on file are "
            "skipped).", added=result.rows_added, rows=result.rows_in_file,
            file=result.filename), "success")
    return redirect(url_for(LANDING[result.kind.value]))


@bp.route("/integrity/imports/<kind>.csv")
@access(perms.can_import_identity_lists)
def template(kind):
    if kind not in {k.value for k in IdentityImportKind}:
        abort(404)
    return Response(list_imports.template_csv(kind).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f"attachment; filename={kind.replace('_', '-')}-template.csv"})
