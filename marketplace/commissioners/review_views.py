"""The bureau's pages of the commissioners: the applications (decision, notice, objections),
a commissioner's record (pairings, services, withdrawal), the monitoring of the year, the
yearly assessment and the year's rules."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.services import active_districts
from marketplace.commissioners import activity, monitoring, services
from marketplace.commissioners import permissions as perms
from marketplace.commissioners.forms import (AnswerServiceForm, BureauPairingForm,
                                             EndPairingForm, RulesForm, WithdrawForm)
from marketplace.commissioners.models import (Commissioner, CommissionerAssessment,
                                              CommissionerObjection, CommissionerRules,
                                              CommissionerStatus)
from marketplace.commissioners.views import PER_PAGE, locale
from marketplace.core.forms import (ComputeAssessmentsForm, ConfirmAssessmentForm,
                                    NoticeDecisionForm as DecisionForm, ResolveObjectionForm)
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument, render_assessments, year_argument
from marketplace.extensions import db
from marketplace.notifications.services import mark_queue_seen

bp = Blueprint("commissioner_review", __name__)


@bp.route("/commissioners/review")
@access(perms.can_view_commissioner_queue)
def queue():
    status = request.args.get("status", "")
    status = status if status in {s.value for s in CommissionerStatus} else ""
    if status == CommissionerStatus.SUBMITTED.value:
        mark_queue_seen(current_user, "commissioner_to_review")
    pagination = db.paginate(services.review_queue(CommissionerStatus(status) if status
                                                   else None),
                             page=page_argument(), per_page=PER_PAGE, error_out=False)
    page = render_template("commissioners/review_queue.html", pagination=pagination,
                           status=status, statuses=list(CommissionerStatus))
    db.session.commit()   # the notice read; after rendering, which a commit would expire
    return page


def _commissioner(commissioner_id):
    found = db.session.get(Commissioner, commissioner_id) if commissioner_id else None
    require_visible(perms.can_view_commissioner_queue, found)
    return found


def _render_review(commissioner, status=200, **forms):
    objections = services.objections_of(commissioner)
    resolve_forms = forms.get("resolve_forms") or {}
    for objection in objections:
        if objection.status.value == "open":
            resolve_forms.setdefault(objection.id, ResolveObjectionForm(
                prefix=f"objection-{objection.id}", formdata=None))
    pairing_form = forms.get("pairing_form") or BureauPairingForm(prefix="pair", formdata=None)
    pairing_form.set_choices(active_districts(), locale())
    pagination = db.paginate(activity.services_query(commissioner.id), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    year = date.today().year
    _rules, rows = monitoring.monitoring_rows([commissioner], year)
    return render_template(
        "commissioners/review.html", commissioner=commissioner, objections=objections,
        resolve_forms=resolve_forms, row=rows[0], year=year,
        notice_running=services.notice_is_running(commissioner),
        decision_form=forms.get("decision_form") or DecisionForm(prefix="decision",
                                                                 formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(prefix="withdraw",
                                                                 formdata=None),
        pairing_form=pairing_form, pairings=activity.pairings_of(commissioner),
        end_form=EndPairingForm(formdata=None), pagination=pagination,
        answer_forms={s.id: AnswerServiceForm(prefix=f"service-{s.id}", formdata=None)
                      for s in pagination.items
                      if perms.can_answer_service(current_user, s)},
        can_review=perms.can_review_commissioners(current_user)), status


@bp.route("/commissioners/review/<int:commissioner_id>")
@access(perms.can_view_commissioner_queue)
def review(commissioner_id):
    return _render_review(_commissioner(commissioner_id))


@bp.route("/commissioners/review/<int:commissioner_id>/decision", methods=["POST"])
@access(perms.can_review_commissioners)
def decide(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return _render_review(commissioner, status=422, decision_form=form)
    _result, refused = attempt(services.decide, commissioner, current_user,
                               form.decision.data, form.reason.data, form=form)
    if refused:
        return _render_review(_commissioner(commissioner_id), status=refused.status,
                              decision_form=form)
    db.session.commit()
    flash({"approve": _("Approved: the public notice is open and the applicant is told."),
           "return": _("The application is returned to the applicant for correction."),
           "reject": _("The application is rejected and the applicant is told.")}
          [form.decision.data], "success")
    return redirect(url_for("commissioner_review.review", commissioner_id=commissioner_id))


@bp.route("/commissioners/review/<int:commissioner_id>/conclude", methods=["POST"])
@access(perms.can_review_commissioners)
def conclude(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    _result, refused = attempt(services.conclude_notice, commissioner, current_user)
    if not refused:
        db.session.commit()
        flash(_("The notice is concluded: the commissioner is recognised and in the "
                "directory."), "success")
    return redirect(url_for("commissioner_review.review", commissioner_id=commissioner_id))


@bp.route("/commissioners/objections/<int:objection_id>/resolve", methods=["POST"])
@access(perms.can_review_commissioners)
def resolve(objection_id):
    objection = db.session.get(CommissionerObjection, objection_id)
    commissioner = _commissioner(objection.commissioner_id if objection else None)
    form = ResolveObjectionForm(prefix=f"objection-{objection_id}")
    if not form.validate_on_submit():
        return _render_review(commissioner, status=422, resolve_forms={objection_id: form})
    _result, refused = attempt(services.resolve_objection, objection, current_user,
                               form.decision.data, form.resolution.data, form=form)
    if refused:
        return _render_review(_commissioner(commissioner.id), status=refused.status,
                              resolve_forms={objection_id: form})
    db.session.commit()
    flash(_("The objection is upheld and the application rejected.")
          if form.decision.data == "uphold" else _("The objection is dismissed."), "success")
    return redirect(url_for("commissioner_review.review", commissioner_id=commissioner.id)
                    + "#objections")


@bp.route("/commissioners/review/<int:commissioner_id>/pairings", methods=["POST"])
@access(perms.can_review_commissioners)
def pair(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    form = BureauPairingForm(prefix="pair")
    form.set_choices(active_districts(), locale())
    if not form.validate_on_submit():
        return _render_review(commissioner, status=422, pairing_form=form)
    _result, refused = attempt(activity.pair, commissioner, current_user, kind=form.kind.data,
                               firm_code=form.firm_code.data, place_name=form.place_name.data,
                               district_id=form.district_id.data or None,
                               note=form.note.data, form=form)
    if refused:
        return _render_review(_commissioner(commissioner_id), status=refused.status,
                              pairing_form=form)
    db.session.commit()
    flash(_("The commissioner is paired."), "success")
    return redirect(url_for("commissioner_review.review", commissioner_id=commissioner_id)
                    + "#pairings")


@bp.route("/commissioners/review/<int:commissioner_id>/withdraw", methods=["POST"])
@access(perms.can_review_commissioners)
def withdraw(commissioner_id):
    commissioner = _commissioner(commissioner_id)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _render_review(commissioner, status=422, withdraw_form=form)
    _result, refused = attempt(services.withdraw, commissioner, current_user,
                               form.reason.data, form=form)
    if refused:
        return _render_review(_commissioner(commissioner_id), status=refused.status,
                              withdraw_form=form)
    db.session.commit()
    flash(_("The recognition is withdrawn."), "success")
    return redirect(url_for("commissioner_review.review", commissioner_id=commissioner_id))


# --- monitoring and the yearly assessment -------------------------------------------------

@bp.route("/commissioners/monitoring")
@access(perms.can_view_commissioner_queue)
def monitoring_page():
    year = year_argument()
    pagination = db.paginate(monitoring.recognised_query(), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    rules, rows = monitoring.monitoring_rows(pagination.items, year)
    return render_template("commissioners/monitoring.html", pagination=pagination,
                           rows=rows, rules=rules, year=year,
                           current_year=date.today().year)


def _render_assessments(year, status=200, **forms):
    return render_assessments(
        "commissioners/assessments.html", year, monitoring.assessments_query(year),
        can_compute=perms.can_compute_commissioner_assessments(current_user),
        can_confirm=perms.can_confirm_commissioner_assessment(current_user), status=status,
        per_page=PER_PAGE, rules=monitoring.rules_for(year), **forms)


@bp.route("/commissioners/assessments")
@access(perms.can_view_commissioner_queue)
def assessments():
    return _render_assessments(year_argument())


@bp.route("/commissioners/assessments/compute", methods=["POST"])
@access(perms.can_compute_commissioner_assessments)
def compute_assessments():
    form = ComputeAssessmentsForm()
    if not form.validate_on_submit():
        return _render_assessments(year_argument(), compute_form=form, status=422)
    found, refused = attempt(monitoring.compute_assessments, form.year.data, current_user,
                             form=form)
    if refused:
        return _render_assessments(form.year.data, compute_form=form, status=refused.status)
    db.session.commit()
    flash(_("%(count)s assessments are proposed for %(year)s; a supervisor confirms each.",
            count=len(found), year=form.year.data), "success")
    return redirect(url_for("commissioner_review.assessments", year=form.year.data))


@bp.route("/commissioners/assessments/<int:assessment_id>/confirm", methods=["POST"])
@access(perms.can_confirm_commissioner_assessment)
def confirm_assessment(assessment_id):
    row = db.session.get(CommissionerAssessment, assessment_id)
    require_visible(perms.can_confirm_commissioner_assessment, row)
    form = ConfirmAssessmentForm(prefix=f"assessment-{assessment_id}")
    if not form.validate_on_submit():
        return _render_assessments(row.year, confirm_forms={row.id: form}, status=422)
    _result, refused = attempt(monitoring.confirm_assessment, row, current_user,
                               form.comment.data, form=form)
    if refused:
        return _render_assessments(row.year, confirm_forms={row.id: form},
                                   status=refused.status)
    db.session.commit()
    flash(_("The assessment is confirmed and the commissioner is told."), "success")
    return redirect(url_for("commissioner_review.assessments", year=row.year))


@bp.route("/commissioners/rules", methods=["GET", "POST"])
@access(perms.can_set_commissioner_rules)
def rules_page():
    year = year_argument()
    form = RulesForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        current = monitoring.rules_for(year)
        form.year.data = year
        for name in CommissionerRules.DEFAULTS:
            getattr(form, name).data = getattr(current, name)
    elif form.validate():
        values = {name: getattr(form, name).data for name in CommissionerRules.DEFAULTS}
        _result, refused = attempt(monitoring.set_rules, form.year.data, current_user, values,
                                   form.note.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("The rules of %(year)s are saved.", year=form.year.data), "success")
            return redirect(url_for("commissioner_review.rules_page", year=form.year.data))
    shown = form.year.data if isinstance(form.year.data, int) and \
        2000 <= form.year.data <= 2100 else year
    return render_template(
        "commissioners/rules.html", form=form, year=shown,
        versions=monitoring.yearly_rules.versions_of(CommissionerRules, shown),
        fields=list(CommissionerRules.DEFAULTS)), 422 if request.method == "POST" else 200
