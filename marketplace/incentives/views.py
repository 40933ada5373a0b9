"""Pages of the rewards for registering contracts: the bureau's list of the year (compute,
review, export, record as paid), a line with its basis, an organisation's own lines, and the
admin's yearly rules."""
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument, year_argument
from marketplace.extensions import db
from marketplace.incentives import exports, services
from marketplace.incentives import permissions as perms
from marketplace.incentives.forms import ApproveForm, ComputeForm, PaidForm, RulesForm
from marketplace.incentives.models import IncentiveRules, RewardLine, RewardList, RewardRole
from marketplace.turnover.dashboard.exports import XLSX_MIMETYPE

bp = Blueprint("incentives", __name__)
PER_PAGE = 25


def _locale():
    return str(get_locale() or "zh")


def _year_argument(default=None):
    # rewards are for a year that has ended
    return year_argument(default or date.today().year - 1)


def _render_list(year, compute_form=None, approve_form=None, paid_form=None, status=200):
    reward_list = services.live_list(year)
    role = request.args.get("role", "")
    role = role if role in {r.value for r in RewardRole} else ""
    lines = exclusions = None
    if reward_list is not None:
        lines = db.paginate(services.lines_query(reward_list.id,
                                                 RewardRole(role) if role else None),
                            page=page_argument(), per_page=PER_PAGE, error_out=False)
        exclusions = db.session.execute(services.exclusions_query(reward_list.id)
                                        .limit(50)).scalars().all()
    if compute_form is None:
        compute_form = ComputeForm(formdata=None)
        compute_form.year.data = year
    return render_template(
        "incentives/list.html", year=year, reward_list=reward_list, lines=lines,
        exclusions=exclusions, role=role, roles=list(RewardRole), locale=_locale(),
        # a list explains itself by the rules it was computed with; before one, the
        # rules a computation would apply now
        rules=services.rules_of(reward_list) if reward_list is not None
        else services.rules_for(year), compute_form=compute_form,
        approve_form=approve_form or ApproveForm(formdata=None),
        paid_form=paid_form or PaidForm(formdata=None),
        can_compute=perms.can_compute_rewards(current_user),
        can_approve=perms.can_approve_rewards(current_user, reward_list),
        can_pay=perms.can_record_rewards_paid(current_user)), status


@bp.route("/incentives")
@access(perms.can_view_rewards)
def reward_list():
    return _render_list(_year_argument())


@bp.route("/incentives/compute", methods=["POST"])
@access(perms.can_compute_rewards)
def compute():
    form = ComputeForm()
    if not form.validate_on_submit():
        return _render_list(_year_argument(), compute_form=form, status=422)
    found, refused = attempt(services.compute_list, form.year.data, current_user, form=form)
    if refused:
        return _render_list(form.year.data, compute_form=form, status=refused.status)
    db.session.commit()
    flash(_("The %(year)s reward list is computed: %(count)s contracts count, %(excluded)s "
            "are excluded. A supervisor reviews it.", year=found.year,
            count=found.contracts_counted, excluded=found.contracts_excluded), "success")
    return redirect(url_for("incentives.reward_list", year=found.year))


def _list(list_id):
    found = db.session.get(RewardList, list_id)
    require_visible(perms.can_view_rewards, found)
    return found


@bp.route("/incentives/<int:list_id>/approve", methods=["POST"])
@access(perms.can_approve_rewards)
def approve(list_id):
    found = _list(list_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _render_list(found.year, approve_form=form, status=422)
    _result, refused = attempt(services.approve, found, current_user, form=form)
    if refused:
        return _render_list(found.year, approve_form=form, status=refused.status)
    db.session.commit()
    flash(_("The list is approved; each organisation on it is told of its line."), "success")
    return redirect(url_for("incentives.reward_list", year=found.year))


@bp.route("/incentives/<int:list_id>/paid", methods=["POST"])
@access(perms.can_record_rewards_paid)
def record_paid(list_id):
    found = _list(list_id)
    form = PaidForm()
    if not form.validate_on_submit():
        return _render_list(found.year, paid_form=form, status=422)
    _result, refused = attempt(services.record_paid, found, current_user,
                               form.reference.data, form=form)
    if refused:
        return _render_list(found.year, paid_form=form, status=refused.status)
    db.session.commit()
    flash(_("The list is recorded as paid."), "success")
    return redirect(url_for("incentives.reward_list", year=found.year))


@bp.route("/incentives/<int:list_id>/export.xlsx")
@access(perms.can_view_rewards)
def export(list_id):
    found = _list(list_id)
    name = f"rewards-{found.year}-{found.status.value}.xlsx"
    return Response(exports.reward_list_xlsx(found, _locale()), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Cache-Control": "no-store"})


@bp.route("/incentives/lines/<int:line_id>")
@access(perms.can_view_own_rewards | perms.can_view_rewards)
def line(line_id):
    found = db.session.get(RewardLine, line_id)
    require_visible(perms.can_view_reward_line, found)
    return render_template("incentives/line.html", line=found, locale=_locale(),
                           beneficiary=exports.beneficiary(found, _locale()),
                           rules=services.rules_of(found.reward_list))


@bp.route("/incentives/mine")
@access(perms.can_view_own_rewards)
def mine():
    pagination = db.paginate(services.lines_of_organisation(current_user.organisation_id),
                             page=page_argument(), per_page=PER_PAGE, error_out=False)
    return render_template("incentives/mine.html", pagination=pagination)


@bp.route("/incentives/rules", methods=["GET", "POST"])
@access(perms.can_set_reward_rules)
def rules_page():
    year = _year_argument(default=date.today().year)
    form = RulesForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        current = services.rules_for(year)
        form.year.data = year
        for name in IncentiveRules.DEFAULTS:
            getattr(form, name).data = getattr(current, name)
    elif form.validate():
        _result, refused = attempt(services.set_rules, form.year.data, current_user,
                                   form.values(), form.note.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("The rules of %(year)s are saved.", year=form.year.data), "success")
            return redirect(url_for("incentives.rules_page", year=form.year.data))
    shown = form.year.data if isinstance(form.year.data, int) and \
        2000 <= form.year.data <= 2100 else year
    return render_template(
        "incentives/rules.html", form=form, year=shown, fields=list(IncentiveRules.DEFAULTS),
        versions=services.yearly_rules.versions_of(IncentiveRules, shown)), \
        422 if request.method == "POST" else 200
