"""Pages of the growing expert pool: the public application to join, the auditors' queue
and decision, the admin's yearly target, and the experts' yearly assessment. The pool's
own list and profiles are in profile_views.py (/experts), on this blueprint."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.forms import ComputeAssessmentsForm, ConfirmAssessmentForm
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument, render_assessments, year_argument
from marketplace.experts import assessment, pool, services
from marketplace.experts import permissions as perms
from marketplace.experts.forms import (ApplicationDecisionForm, ExpertApplicationForm,
                                       PoolSettingForm)
from marketplace.experts.models import ApplicationStatus, ExpertApplication, ExpertAssessment
from marketplace.experts.profiles import categories
from marketplace.experts.provinces import is_out_of_province, province_name
from marketplace.extensions import db, limiter
from marketplace.notifications.services import mark_queue_seen

bp = Blueprint("experts", __name__)
PER_PAGE = 20


def _locale():
    return str(get_locale() or "zh")


@bp.app_template_global("province_name")
def province_name_in_locale(code):
    return province_name(code, _locale())


def _application_limit():
    return current_app.config.get("EXPERT_APPLICATION_RATE_LIMIT", "10 per hour")


@bp.route("/experts/apply", methods=["GET", "POST"])
@access(perms.can_apply_to_expert_pool)
@limiter.limit(_application_limit, methods=["POST"])
def apply():
    form = ExpertApplicationForm()
    form.set_choices(categories(), _locale())
    if form.validate_on_submit():
        _result, refused = attempt(
            services.apply, email=form.email.data, name=form.name.data,
            title=form.title.data, organisation_name=form.organisation_name.data,
            organisation_code=form.organisation_code.data, province=form.province.data,
            category_ids=form.field_ids.data, conflict_codes=form.conflict_codes.data or "",
            declared_conflicts=form.declared_conflicts.data or "", locale=_locale()[:2],
            form=form)
        if not refused:
            db.session.commit()
            return render_template("experts/applied.html", email=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("experts/apply.html", form=form), status


@bp.route("/experts/applications")
@access(perms.can_view_expert_applications)
def applications():
    status = request.args.get("status", ApplicationStatus.SUBMITTED.value)
    status = status if status in {s.value for s in ApplicationStatus} else ""
    if status == ApplicationStatus.SUBMITTED.value:
        mark_queue_seen(current_user, "expert_application_to_review")
    pagination = db.paginate(
        services.applications_query(ApplicationStatus(status) if status else None),
        page=page_argument(), per_page=PER_PAGE, error_out=False)
    page = render_template("experts/applications.html", pagination=pagination, status=status,
                           statuses=list(ApplicationStatus), share=pool.pool_share(),
                           is_out_of_province=is_out_of_province)
    db.session.commit()   # the notice read; after rendering, which a commit would expire
    return page


def _application(application_id):
    found = db.session.get(ExpertApplication, application_id)
    require_visible(perms.can_view_expert_applications, found)
    return found


def _render_application(application, form=None, status=200):
    found, unknown = services.declared_organisations(application)
    return render_template(
        "experts/application.html", application=application, tied=found, unknown=unknown,
        locale=_locale(), form=form or ApplicationDecisionForm(formdata=None),
        can_decide=perms.can_decide_expert_applications(current_user),
        out_of_province=is_out_of_province(application.province)), status


@bp.route("/experts/applications/<int:application_id>")
@access(perms.can_view_expert_applications)
def application(application_id):
    return _render_application(_application(application_id))


@bp.route("/experts/applications/<int:application_id>/decision", methods=["POST"])
@access(perms.can_decide_expert_applications)
def decide(application_id):
    found = _application(application_id)
    form = ApplicationDecisionForm()
    if not form.validate_on_submit():
        return _render_application(found, form, status=422)
    if form.decision.data == "admit":
        _result, refused = attempt(services.admit, found, current_user, form=form)
    else:
        _result, refused = attempt(services.reject, found, current_user, form.reason.data,
                                   form=form)
    if refused:
        return _render_application(_application(application_id), form, status=refused.status)
    db.session.commit()
    flash(_("The expert is admitted to the pool and told how to sign in.")
          if form.decision.data == "admit"
          else _("The application is rejected and the applicant is told."), "success")
    return redirect(url_for("experts.applications"))


@bp.route("/experts/settings", methods=["GET", "POST"])
@access(perms.can_set_pool_target)
def settings():
    year = year_argument()
    form = PoolSettingForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        current = pool.setting_for(year)
        form.year.data = year
        form.target_percent.data = current.out_of_province_target_bp // 100
        form.require_out_of_province.data = current.require_out_of_province
    elif form.validate():
        pool.set_setting(form.year.data, current_user,
                         out_of_province_target_bp=form.target_percent.data * 100,
                         require_out_of_province=form.require_out_of_province.data)
        db.session.commit()
        flash(_("The expert pool's target for %(year)s is saved.", year=form.year.data),
              "success")
        return redirect(url_for("experts.expert_pool_list"))
    return render_template("experts/settings.html", form=form, share=pool.pool_share(year)), \
        422 if request.method == "POST" else 200


def _render_assessments(year, status=200, **forms):
    return render_assessments(
        "experts/assessments.html", year, assessment.assessments_query(year),
        can_compute=perms.can_compute_expert_assessments(current_user),
        can_confirm=perms.can_confirm_expert_assessment(current_user), status=status,
        per_page=PER_PAGE, rules=assessment.Rules.from_config(), **forms)


@bp.route("/experts/assessments")
@access(perms.can_view_pool_share)
def assessments():
    return _render_assessments(year_argument())


@bp.route("/experts/assessments/compute", methods=["POST"])
@access(perms.can_compute_expert_assessments)
def compute_assessments():
    form = ComputeAssessmentsForm()
    if not form.validate_on_submit():
        return _render_assessments(year_argument(), compute_form=form, status=422)
    found = assessment.compute(form.year.data, current_user)
    db.session.commit()
    flash(_("%(count)s assessments are proposed for %(year)s; a supervisor confirms each.",
            count=len(found), year=form.year.data), "success")
    return redirect(url_for("experts.assessments", year=form.year.data))


@bp.route("/experts/assessments/<int:assessment_id>/confirm", methods=["POST"])
@access(perms.can_confirm_expert_assessment)
def confirm_assessment(assessment_id):
    row = db.session.get(ExpertAssessment, assessment_id)
    require_visible(perms.can_confirm_expert_assessment, row)
    form = ConfirmAssessmentForm(prefix=f"assessment-{assessment_id}")
    if not form.validate_on_submit():
        return _render_assessments(row.year, confirm_forms={row.id: form}, status=422)
    _result, refused = attempt(assessment.confirm, row, current_user, form.comment.data,
                               form=form)
    if refused:
        return _render_assessments(row.year, confirm_forms={row.id: form},
                                   status=refused.status)
    db.session.commit()
    flash(_("The assessment is confirmed and the expert is told."), "success")
    return redirect(url_for("experts.assessments", year=row.year))


from marketplace.experts import profile_views  # noqa: E402,F401  (its routes on bp)
