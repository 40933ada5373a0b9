"""Pages of the voucher domain: firms apply and follow, auditors decide, the public sees
the budget meter."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import funds
from marketplace.agencies.reference import active_categories
from marketplace.core.errors import DomainError
from marketplace.core.normalise import typed_id
from marketplace.core.permissions import access, anyone, is_authenticated, require_visible
from marketplace.core.web import apply_domain_error, attempt, page_argument
from marketplace.extensions import db
from marketplace.integrity import certification
from marketplace.notifications.services import mark_queue_seen
from marketplace.vouchers import budget_use
from marketplace.vouchers import permissions as perms
from marketplace.vouchers import rules as eligibility
from marketplace.vouchers import services
from marketplace.vouchers.forms import ApplicationForm, DecisionForm, WithdrawForm
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication

bp = Blueprint("vouchers", __name__)


def _category_choices(field):
    locale = str(get_locale() or "zh")
    field.choices = [(c.code, c.display_name(locale)) for c in active_categories()]


def _refusal_reasons(form, error):
    """Roll back a refused submission; return the failed eligibility rules to list above
    the form, or put any other refusal next to its field."""
    db.session.rollback()
    reasons = [item["message"] for item in (error.details or {}).get("failed", [])]
    if not reasons:
        apply_domain_error(form, error)
    return reasons


@bp.route("/programmes")
@access(is_authenticated)
def programmes():
    today = date.today()
    return render_template("vouchers/programmes.html", programmes=services.all_programmes(),
                           today=today, can_apply=perms.can_apply_for_voucher(current_user))


@bp.route("/programmes/<int:programme_id>/apply", methods=["GET", "POST"])
@access(perms.can_apply_for_voucher)
def apply(programme_id):
    programme = services.get_programme(programme_id)
    form = ApplicationForm()
    _category_choices(form.planned_categories)
    reasons = []
    if form.validate_on_submit():
        try:
            application = services.apply_for_voucher(
                firm=current_user.organisation, applicant=current_user, programme=programme,
                requested_fen=form.requested.data, purpose=form.purpose.data.strip(),
                planned_category_codes=form.planned_categories.data or [],
                declares_no_double_funding=form.declares_no_double_funding.data)
        except DomainError as error:
            reasons = _refusal_reasons(form, error)
        else:
            db.session.commit()
            flash(_("Your application is submitted. The bureau's auditors will review it."),
                  "success")
            return redirect(url_for("vouchers.application", application_id=application.id))
    rules = programme.current_rules
    certified = certification.tier_on(current_user.organisation.uscc)
    tier = certified.tier if certified is not None else None
    cap = rules.cap_for(tier) if tier else None
    share_pct = (rules.share_bp_for(tier) if tier else rules.share_bp_tech_sme) // 100
    # a POST that reaches here was refused (the form, or the rules): shown again as typed
    return render_template("vouchers/apply.html", form=form, programme=programme,
                           rules=rules, cap=cap, share_pct=share_pct,
                           reasons=reasons), 422 if request.method == "POST" else 200


@bp.route("/vouchers")
@access(perms.can_apply_for_voucher)
def my_vouchers():
    firm = current_user.organisation
    vouchers = [(v, funds.figures.voucher_balances(v)) for v in services.vouchers_of_firm(firm)]
    return render_template("vouchers/mine.html", vouchers=vouchers,
                           applications=services.applications_of_firm(firm),
                           open_programmes=services.open_programmes())


@bp.route("/vouchers/<int:voucher_id>")
@access(is_authenticated)
def voucher(voucher_id):
    found = db.session.get(Voucher, voucher_id)
    require_visible(perms.can_view_voucher, found)
    return render_template("vouchers/voucher.html", voucher=found,
                           balances=funds.figures.voucher_balances(found),
                           history=funds.figures.voucher_history(found))


@bp.route("/vouchers/applications/<int:application_id>", methods=["GET", "POST"])
@access(is_authenticated)
def application(application_id):
    found = db.session.get(VoucherApplication, application_id)
    require_visible(perms.can_view_application, found)
    can_change = perms.can_change_application(current_user, found) and \
        found.status == ApplicationStatus.RETURNED
    form = ApplicationForm(obj=None)
    _category_choices(form.planned_categories)
    reasons = []
    if request.method == "GET" and can_change:
        form.requested.data = found.requested_fen
        form.purpose.data = found.purpose
        form.planned_categories.data = found.planned_categories
        form.declares_no_double_funding.data = found.declares_no_double_funding
    if request.method == "POST":
        if not can_change:
            abort(403)
        if form.validate_on_submit():
            try:
                services.resubmit_application(
                    found, actor=current_user, requested_fen=form.requested.data,
                    purpose=form.purpose.data.strip(),
                    planned_category_codes=form.planned_categories.data or [],
                    declares_no_double_funding=form.declares_no_double_funding.data)
            except DomainError as error:
                reasons = _refusal_reasons(form, error)
            else:
                db.session.commit()
                flash(_("Your corrected application is submitted again."), "success")
                return redirect(url_for("vouchers.application", application_id=found.id))
    issued = db.session.query(Voucher).filter_by(application_id=found.id).one_or_none()
    return render_template("vouchers/application.html", application=found, form=form,
                           can_change=can_change, reasons=reasons, issued=issued,
                           checks=[(c, eligibility.describe(c))
                                   for c in found.eligibility_results],
                           withdraw_form=WithdrawForm()), \
        422 if request.method == "POST" else 200


@bp.route("/vouchers/applications/<int:application_id>/withdraw", methods=["POST"])
@access(perms.can_apply_for_voucher)
def withdraw(application_id):
    found = db.session.get(VoucherApplication, application_id)
    require_visible(perms.can_change_application, found)
    _result, refused = attempt(services.withdraw_application, found, actor=current_user)
    if not refused:
        db.session.commit()
        flash(_("The application is withdrawn."), "info")
    return redirect(url_for("vouchers.my_vouchers"))


@bp.route("/review/voucher-applications")
@access(perms.can_view_application_queue)
def review_queue():
    status = request.args.get("status", ApplicationStatus.SUBMITTED.value)
    chosen = ApplicationStatus(status) if status in {s.value for s in ApplicationStatus} \
        else None
    programme_id = typed_id(request.args.get("programme"))
    if chosen == ApplicationStatus.SUBMITTED:
        # the auditor sees what is waiting: the notice counting it is read (before the
        # query, so an application arriving meanwhile starts a new notice, not a read one)
        mark_queue_seen(current_user, "application_to_review", link=(
            f"/review/voucher-applications?programme={programme_id}" if programme_id
            else None))
    pagination = db.paginate(services.review_queue(chosen, programme_id),
                             page=page_argument(), per_page=20, error_out=False)
    page = render_template("vouchers/review_queue.html", pagination=pagination,
                           status=status, statuses=list(ApplicationStatus),
                           programmes=services.all_programmes(), programme_id=programme_id)
    db.session.commit()   # after rendering: a commit expires what the page shows
    return page


@bp.route("/review/voucher-applications/<int:application_id>", methods=["GET", "POST"])
@access(perms.can_decide_application | perms.can_view_budget)
def review(application_id):
    found = db.session.get(VoucherApplication, application_id)
    require_visible(perms.can_view_application, found)
    form = DecisionForm()
    if request.method == "POST":
        if not perms.can_decide_application(current_user, found):
            abort(403)
        if form.validate_on_submit():
            _result, refused = attempt(services.decide_application, found, actor=current_user,
                                       decision=form.decision.data, amount_fen=form.amount.data,
                                       comment=form.comment.data, form=form)
            if not refused:
                db.session.commit()
                flash(_("The decision is recorded and the firm is told."), "success")
                return redirect(url_for("vouchers.review_queue"))
    found = db.session.get(VoucherApplication, application_id)
    checks = services.current_checks(found)
    certified = certification.tier_on(found.firm.uscc)
    cap = found.programme.current_rules.cap_for(certified.tier) if certified else None
    return render_template("vouchers/review.html", application=found, form=form,
                           checks=[(c, eligibility.describe(c)) for c in checks], cap=cap,
                           budget=budget_use.budget_figures(found.programme),
                           can_decide=perms.can_decide_application(current_user, found)), \
        422 if request.method == "POST" else 200


@bp.route("/programmes/<int:programme_id>/budget")
@access(perms.can_view_budget)
def programme_budget(programme_id):
    programme = services.get_programme(programme_id)
    return render_template("vouchers/budget.html", programme=programme,
                           figures=budget_use.budget_figures(programme))


@bp.route("/budget")
@access(anyone)
def public_budget():
    meters = [(p, budget_use.budget_figures(p)) for p in services.all_programmes()]
    return render_template("vouchers/public_budget.html", meters=meters)
