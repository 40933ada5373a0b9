"""Pages of the registry for agencies (their application and documents) and for everyone
(public notices, objections)."""
from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.permissions import belongs_to_organisation
from marketplace.agencies import permissions as perms
from marketplace.agencies import services
from marketplace.agencies.forms import (DocumentForm, ObjectionForm, ProfileForm,
                                        ReopenForm, SubmitApplicationForm,
                                        WithdrawDocumentForm)
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, DocumentKind,
                                         QualificationDocument)
from marketplace.agencies.reference import active_categories
from marketplace.core import storage
from marketplace.core.permissions import access, anyone, is_authenticated, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db

bp = Blueprint("registry", __name__)

PER_PAGE = 20


def category_choices(field):
    locale = str(get_locale() or "zh")
    field.choices = [(c.id, c.display_name(locale)) for c in active_categories()]


def _own_profile():
    return services.profile_of(current_user.organisation)


@bp.app_context_processor
def registry_helpers():
    """``own_registry_profile()`` for the agency's home page (None before it applies)."""
    def own_registry_profile():
        if not perms.can_apply_for_admission(current_user) or not current_user.organisation_id:
            return None
        return db.session.get(AgencyProfile, current_user.organisation_id)
    return {"own_registry_profile": own_registry_profile}


def _render_application(profile, profile_form=None, document_form=None, status=200):
    if profile_form is None:    # show what is saved
        profile_form = ProfileForm(formdata=None)
        category_choices(profile_form.category_ids)
        profile_form.fill_from(profile)
    objections = services.objections_of(profile) \
        if profile.status == AgencyStatus.PUBLIC_NOTICE else []
    return render_template(
        "agencies/application.html", profile=profile, form=profile_form,
        document_form=document_form or DocumentForm(prefix="doc", formdata=None),
        submit_form=SubmitApplicationForm(prefix="submission", formdata=None),
        reopen_form=ReopenForm(prefix="reopen", formdata=None),
        withdraw_form=WithdrawDocumentForm(prefix="withdraw", formdata=None),
        missing=services.missing_for_submission(profile) if profile.is_editable else [],
        documents=sorted(profile.documents, key=lambda d: (d.is_withdrawn, d.id)),
        open_objections=[o for o in objections if o.status.value == "open"],
        objections=objections, notice_running=services.notice_is_running(profile),
        expired=services.expired_documents(profile)), status


@bp.route("/registry/application", methods=["GET", "POST"])
@access(perms.can_apply_for_admission)
def application():
    profile = _own_profile()
    if request.method == "GET":
        return _render_application(profile)
    form = ProfileForm()
    category_choices(form.category_ids)
    if form.validate_on_submit():
        _result, refused = attempt(services.update_profile, profile, current_user,
                                   category_ids=form.category_ids.data, **form.profile_fields(),
                                   form=form)
        if refused:
            return _render_application(_own_profile(), form, status=refused.status)
        db.session.commit()
        flash(_("The application is saved."), "success")
        return redirect(url_for("registry.application"))
    return _render_application(profile, form, status=422)


@bp.route("/registry/documents", methods=["POST"])
@access(perms.can_apply_for_admission)
def upload_document():
    profile = _own_profile()
    form = DocumentForm(prefix="doc")
    if form.validate_on_submit():
        upload = form.file.data
        _result, refused = attempt(services.add_document, profile, current_user,
                                   kind=DocumentKind(form.kind.data),
                                   title=form.title.data.strip(),
                                   expires_on=form.expires_on.data, stream=upload.stream,
                                   original_name=upload.filename, form=form)
        if refused:
            return _render_application(_own_profile(), document_form=form,
                                       status=refused.status)
        db.session.commit()
        flash(_("The document is uploaded."), "success")
        return redirect(url_for("registry.application") + "#documents")
    return _render_application(profile, document_form=form, status=422)


def _document(document_id):
    return db.session.get(QualificationDocument, document_id)


@bp.route("/registry/documents/<int:document_id>/withdraw", methods=["POST"])
@access(perms.can_apply_for_admission)
def withdraw_document(document_id):
    document = _document(document_id)
    require_visible(belongs_to_organisation, document and document.agency.organisation)
    _result, refused = attempt(services.withdraw_document, document, current_user)
    if not refused:
        db.session.commit()
        flash(_("The document is withdrawn from the application."), "info")
    return redirect(url_for("registry.application") + "#documents")


@bp.route("/registry/documents/<int:document_id>")
@access(is_authenticated)
def download_document(document_id):
    document = _document(document_id)
    require_visible(perms.can_view_agency_private, document and document.agency)
    return storage.send_stored(document.storage_name, document.content_type,
                                 document.original_name)


@bp.route("/registry/application/submit", methods=["POST"])
@access(perms.can_apply_for_admission)
def submit_application():
    form = SubmitApplicationForm(prefix="submission")
    if not (form.validate_on_submit() and form.confirm.data):
        flash(_("Tick the box to confirm the submission."), "danger")
        return redirect(url_for("registry.application") + "#submit")
    _result, refused = attempt(services.submit, _own_profile(), current_user)
    if refused:
        return redirect(url_for("registry.application"))
    db.session.commit()
    flash(_("The application is submitted. The bureau's auditors will review it."),
          "success")
    return redirect(url_for("registry.application"))


@bp.route("/registry/application/reopen", methods=["POST"])
@access(perms.can_apply_for_admission)
def reopen_application():
    _result, refused = attempt(services.reopen, _own_profile(), current_user)
    if not refused:
        db.session.commit()
        flash(_("The application is a draft again: correct it and submit it."), "info")
    return redirect(url_for("registry.application"))


# --- public notices --------------------------------------------------------------------

@bp.route("/registry/notices")
@access(anyone)
def notices():
    query = (select(AgencyProfile).where(AgencyProfile.status == AgencyStatus.PUBLIC_NOTICE)
             .order_by(AgencyProfile.notice_ends_dt, AgencyProfile.organisation_id))
    pagination = db.paginate(query, page=page_argument(), per_page=PER_PAGE,
                             error_out=False)
    return render_template("agencies/notices.html", pagination=pagination)


def _notice_profile(agency_id):
    profile = db.session.get(AgencyProfile, agency_id)
    require_visible(perms.can_view_public_notice, profile)
    return profile


def _render_notice(profile, form=None, status=200):
    return render_template(
        "agencies/notice.html", profile=profile,
        form=form or ObjectionForm(formdata=None),
        can_object=perms.can_file_objection(current_user, profile),
        notice_running=services.notice_is_running(profile)), status


@bp.route("/registry/notices/<int:agency_id>")
@access(anyone)
def notice(agency_id):
    return _render_notice(_notice_profile(agency_id))


@bp.route("/registry/notices/<int:agency_id>/objections", methods=["POST"])
@access(is_authenticated)
def file_objection(agency_id):
    profile = _notice_profile(agency_id)
    if not perms.can_file_objection(current_user, profile):
        abort(403)
    form = ObjectionForm()
    if not form.validate_on_submit():
        return _render_notice(profile, form, status=422)
    _result, refused = attempt(services.file_objection, profile, current_user, form.text.data,
                               form=form)
    if refused:
        return _render_notice(_notice_profile(agency_id), form, status=refused.status)
    db.session.commit()
    flash(_("Your objection is filed. The bureau will examine it and tell you the outcome."),
          "success")
    return redirect(url_for("registry.notice", agency_id=agency_id))
