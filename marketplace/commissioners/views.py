"""Pages of the commissioners for everyone (the directory, a commissioner's page and public
notice), for applicants and commissioners (the application, their workspace) and for firms
(their commissioners and the services to confirm)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.accounts.models import User
from marketplace.accounts.services import active_districts
from marketplace.commissioners import activity, services
from marketplace.commissioners import permissions as perms
from marketplace.commissioners.forms import (AnswerPairingForm, AnswerServiceForm,
                                             ApplicationForm, EndPairingForm, ObjectionForm,
                                             PairingRequestForm, ServiceForm)
from marketplace.commissioners.models import (Commissioner, CommissionerService,
                                              CommissionerStatus, Pairing, PairingStatus,
                                              ServiceAttachment)
from marketplace.core import storage
from marketplace.core.normalise import typed_id
from marketplace.core.permissions import access, anyone, is_authenticated, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.technology_fields.services import field_choices, field_codes

bp = Blueprint("commissioners", __name__)
PER_PAGE = 20


def locale():
    return str(get_locale() or "zh")


def directory_query(field=None, district_id=None, q=None):
    """Recognised commissioners, by name; ``q`` looks in the name, organisation and
    expertise."""
    query = (select(Commissioner).join(User, User.id == Commissioner.user_id)
             .where(Commissioner.status == CommissionerStatus.RECOGNISED))
    if field:
        query = query.where(Commissioner.field_code == field)
    if district_id:
        query = query.where(Commissioner.district_id == district_id)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.name.ilike(pattern, escape="\\"),
                                Commissioner.organisation_name.ilike(pattern, escape="\\"),
                                Commissioner.expertise.ilike(pattern, escape="\\")))
    return query.order_by(User.name, Commissioner.id)


def _int_argument(name):
    return typed_id(request.args.get(name))


@bp.route("/commissioners")
@access(anyone)
def directory():
    field = request.args.get("field", "")
    field = field if field in field_codes() else ""
    district_id = _int_argument("district")
    q = (request.args.get("q") or "").strip()[:100]
    pagination = db.paginate(directory_query(field, district_id, q), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template("commissioners/directory.html", pagination=pagination,
                           field=field, district_id=district_id, q=q,
                           fields=field_choices(), districts=active_districts(),
                           locale=locale(), on_notice=services.on_notice())


def _commissioner(commissioner_id, rule=perms.can_view_commissioner):
    found = db.session.get(Commissioner, commissioner_id)
    require_visible(rule, found)
    return found


def _render_profile(commissioner, objection_form=None, pairing_form=None, status=200):
    return render_template(
        "commissioners/profile.html", commissioner=commissioner,
        notice_running=services.notice_is_running(commissioner),
        can_object=perms.can_file_commissioner_objection(current_user, commissioner),
        can_ask=perms.can_request_pairing(current_user, commissioner),
        objection_form=objection_form or ObjectionForm(formdata=None),
        pairing_form=pairing_form or PairingRequestForm(formdata=None)), status


@bp.route("/commissioners/<int:commissioner_id>")
@access(anyone)
def profile(commissioner_id):
    return _render_profile(_commissioner(commissioner_id))


@bp.route("/commissioners/<int:commissioner_id>/objections", methods=["POST"])
@access(is_authenticated)
def file_objection(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    if not perms.can_file_commissioner_objection(current_user, commissioner):
        abort(403)
    form = ObjectionForm()
    if not form.validate_on_submit():
        return _render_profile(commissioner, objection_form=form, status=422)
    _result, refused = attempt(services.file_objection, commissioner, current_user,
                               form.text.data, form=form)
    if refused:
        return _render_profile(_commissioner(commissioner_id), objection_form=form,
                               status=refused.status)
    db.session.commit()
    flash(_("Your objection is filed. The bureau will examine it and tell you the outcome."),
          "success")
    return redirect(url_for("commissioners.profile", commissioner_id=commissioner_id))


@bp.route("/commissioners/<int:commissioner_id>/pairings", methods=["POST"])
@access(is_authenticated)
def request_pairing(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    if not perms.can_request_pairing(current_user, commissioner):
        abort(403)
    form = PairingRequestForm()
    if not form.validate_on_submit():
        return _render_profile(commissioner, pairing_form=form, status=422)
    _result, refused = attempt(activity.request_pairing, commissioner, current_user,
                               form.note.data, form=form)
    if refused:
        return _render_profile(_commissioner(commissioner_id), pairing_form=form,
                               status=refused.status)
    db.session.commit()
    flash(_("Your request is sent; the commissioner will answer it."), "success")
    return redirect(url_for("commissioners.firm_page"))


# --- the applicant ------------------------------------------------------------------------

def _application_form(commissioner=None):
    form = ApplicationForm(formdata=None if request.method == "GET" else request.form)
    form.set_choices(active_districts(), locale())
    if request.method == "GET":
        if commissioner is not None:
            for name in services.APPLICATION_FIELDS:
                getattr(form, name).data = getattr(commissioner, name)
        elif current_user.organisation is not None:
            form.organisation_name.data = current_user.organisation.name
    return form


@bp.route("/commissioners/apply", methods=["GET", "POST"])
@access(perms.can_apply_as_commissioner)
def apply():
    commissioner = services.application_of(current_user)
    form = _application_form(commissioner)
    editable = commissioner is None or commissioner.is_editable
    if request.method == "POST" and editable and form.validate():
        fields = {name: getattr(form, name).data for name in services.APPLICATION_FIELDS}
        _result, refused = attempt(services.apply, current_user, form=form, **fields)
        if not refused:
            db.session.commit()
            flash(_("Your application is submitted. The bureau reviews it and tells you "
                    "its decision."), "success")
            return redirect(url_for("commissioners.mine"))
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and not editable:
        flash(str(services.ApplicationLocked.default_message), "danger")
        status = 409
    return render_template("commissioners/apply.html", form=form, commissioner=commissioner,
                           editable=editable), status


# --- the commissioner's workspace ---------------------------------------------------------

def _render_mine(service_form=None, status=200):
    commissioner = services.application_of(current_user)
    if commissioner is None:
        return render_template("commissioners/mine.html", commissioner=None), status
    active = activity.pairings_of(commissioner, [PairingStatus.ACTIVE])
    if service_form is None:
        service_form = ServiceForm(formdata=None)
    service_form.set_pairings(active)
    pagination = db.paginate(activity.services_query(commissioner.id), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template(
        "commissioners/mine.html", commissioner=commissioner,
        requests=activity.pairings_of(commissioner, [PairingStatus.REQUESTED]),
        active=active, service_form=service_form, pagination=pagination,
        answer_form=AnswerPairingForm(formdata=None), end_form=EndPairingForm(formdata=None),
        can_log=perms.can_log_service(current_user, commissioner)), status


@bp.route("/commissioners/mine")
@access(perms.can_work_as_commissioner)
def mine():
    return _render_mine()


@bp.route("/commissioners/mine/services", methods=["POST"])
@access(perms.can_work_as_commissioner)
def log_service():
    commissioner = services.application_of(current_user)
    if not perms.can_log_service(current_user, commissioner):
        abort(403)
    form = ServiceForm()
    form.set_pairings(activity.pairings_of(commissioner, [PairingStatus.ACTIVE]))
    if not form.validate_on_submit():
        return _render_mine(form, status=422)
    files = [(f.stream, f.filename) for f in (form.attachments.data or []) if f]
    _result, refused = attempt(
        activity.log_service, commissioner, current_user, pairing_id=form.pairing_id.data,
        service_on=form.service_on.data, place=form.place.data,
        participants=form.participants.data, work_done=form.work_done.data,
        outcome=form.outcome.data, files=files, form=form)
    if refused:
        return _render_mine(form, status=refused.status)
    db.session.commit()
    flash(_("The service is logged; the served party is asked to confirm it."), "success")
    return redirect(url_for("commissioners.mine"))


def _pairing(pairing_id, rule):
    found = db.session.get(Pairing, pairing_id)
    require_visible(rule, found)
    return found


@bp.route("/commissioners/pairings/<int:pairing_id>/answer", methods=["POST"])
@access(perms.can_work_as_commissioner)
def answer_pairing(pairing_id):
    pairing = _pairing(pairing_id, perms.can_answer_pairing)
    form = AnswerPairingForm()
    if not form.validate_on_submit():
        flash(_("Choose an answer."), "danger")
        return redirect(url_for("commissioners.mine"))
    _result, refused = attempt(activity.answer_pairing, pairing, current_user,
                               form.decision.data == "accept")
    if not refused:
        db.session.commit()
        flash(_("Your answer is sent to the firm."), "success")
    return redirect(url_for("commissioners.mine"))


@bp.route("/commissioners/pairings/<int:pairing_id>/end", methods=["POST"])
@access(is_authenticated)
def end_pairing(pairing_id):
    pairing = _pairing(pairing_id, perms.can_end_pairing)
    _result, refused = attempt(activity.end_pairing, pairing, current_user)
    if not refused:
        db.session.commit()
        flash(_("The pairing has ended."), "info")
    if perms.is_the_commissioner(current_user, pairing.commissioner):
        return redirect(url_for("commissioners.mine"))
    if perms.can_view_firm_commissioners(current_user):
        return redirect(url_for("commissioners.firm_page"))
    return redirect(url_for("commissioner_review.review",
                            commissioner_id=pairing.commissioner_id))


# --- the firm -----------------------------------------------------------------------------

def _render_firm(forms=None, status=200):
    firm_id = current_user.organisation_id
    pagination = db.paginate(activity.services_query(firm_id=firm_id), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    forms = dict(forms or {})
    for service in pagination.items:
        forms.setdefault(service.id, AnswerServiceForm(prefix=f"service-{service.id}",
                                                       formdata=None))
    return render_template("commissioners/firm.html",
                           pairings=activity.pairings_of_firm(firm_id),
                           pagination=pagination, forms=forms,
                           end_form=EndPairingForm(formdata=None)), status


@bp.route("/commissioners/firm")
@access(perms.can_view_firm_commissioners)
def firm_page():
    return _render_firm()


@bp.route("/commissioners/services/<int:service_id>/answer", methods=["POST"])
@access(is_authenticated)
def answer_service(service_id):
    service = db.session.get(CommissionerService, service_id)
    require_visible(perms.can_view_service, service)
    if not perms.can_answer_service(current_user, service):
        abort(403)
    form = AnswerServiceForm(prefix=f"service-{service_id}")
    back = (url_for("commissioners.firm_page") if perms.can_view_firm_commissioners(
        current_user) else url_for("commissioner_review.review",
                                   commissioner_id=service.commissioner_id))
    if not form.validate_on_submit():
        if perms.can_view_firm_commissioners(current_user):
            return _render_firm({service_id: form}, status=422)
        for field_errors in form.errors.values():
            flash(" ".join(str(e) for e in field_errors), "danger")
        return redirect(back)
    _result, refused = attempt(activity.answer_service, service, current_user,
                               form.decision.data == "confirm", form.reason.data)
    if not refused:
        db.session.commit()
        flash(_("Thank you: your answer is recorded."), "success")
    return redirect(back)


@bp.route("/commissioners/services/<int:service_id>/attachments/<int:attachment_id>")
@access(is_authenticated)
def attachment(service_id, attachment_id):
    service = db.session.get(CommissionerService, service_id)
    require_visible(perms.can_view_service, service)
    found = db.session.get(ServiceAttachment, attachment_id)
    if found is None or found.service_id != service.id:
        abort(404)
    # under the extension of the type found in the content, as every upload is served
    return storage.send_stored(found.storage_name, found.content_type, found.original_name)

