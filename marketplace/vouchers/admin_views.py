"""The administrator creates programmes and changes their rules (each change a version)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.agencies.reference import active_categories
from marketplace.core.permissions import access
from marketplace.core.web import attempt
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import permissions as perms
from marketplace.vouchers import services
from marketplace.vouchers.forms import ProgrammeForm
from marketplace.vouchers.models import ProgrammeRuleVersion

bp = Blueprint("programme_admin", __name__, url_prefix="/admin/programmes")


def _prepare(form):
    locale = str(get_locale() or "zh")
    form.eligible_categories.choices = [(c.code, c.display_name(locale))
                                        for c in active_categories()]


@bp.route("/")
@access(perms.can_manage_programmes)
def programmes():
    rows = [(p, budget_use.budget_figures(p)) for p in services.all_programmes()]
    return render_template("vouchers/admin_programmes.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@access(perms.can_manage_programmes)
def new_programme():
    form = ProgrammeForm()
    _prepare(form)
    if form.validate_on_submit():
        programme, refused = attempt(
            services.create_programme,
            actor=current_user, name=form.name.data.strip(), year=form.year.data,
            budget_fen=form.budget.data,
            applications_open_on=form.applications_open_on.data,
            applications_close_on=form.applications_close_on.data,
            vouchers_valid_until=form.vouchers_valid_until.data, rules=form.rule_values(),
            form=form)
        if not refused:
            db.session.commit()
            flash(_("The programme is created."), "success")
            return redirect(url_for("programme_admin.edit_programme",
                                    programme_id=programme.id))
    return render_template("vouchers/admin_programme_form.html", form=form, programme=None,
                           versions=[])


@bp.route("/<int:programme_id>", methods=["GET", "POST"])
@access(perms.can_manage_programmes)
def edit_programme(programme_id):
    programme = services.get_programme(programme_id)
    form = ProgrammeForm()
    _prepare(form)
    if not form.is_submitted():
        rules = programme.current_rules
        form.name.data, form.year.data = programme.name, programme.year
        form.budget.data = programme.budget_fen
        form.applications_open_on.data = programme.applications_open_on
        form.applications_close_on.data = programme.applications_close_on
        form.vouchers_valid_until.data = programme.vouchers_valid_until
        form.share_tech_sme.data = rules.share_bp_tech_sme // 100
        form.share_high_tech.data = rules.share_bp_high_tech // 100
        form.share_benchmark.data = rules.share_bp_benchmark // 100
        form.cap_tech_sme.data = rules.cap_fen_tech_sme
        form.cap_high_tech.data = rules.cap_fen_high_tech
        form.cap_benchmark.data = rules.cap_fen_benchmark
        form.min_order.data = rules.min_order_fen
        form.single_order_max.data = rules.single_order_max_fen
        form.claim_deadline_days.data = rules.claim_deadline_days
        form.split_window_days.data = rules.split_window_days
        form.price_ratio_max.data = rules.price_ratio_max_bp // 100
        form.category_ratio_max.data = rules.category_ratio_max_bp // 100
        form.category_min_contracts.data = rules.category_min_contracts
        form.eligible_categories.data = rules.category_codes
    elif form.validate():
        _result, refused = attempt(
            services.update_programme,
            programme, actor=current_user, rules=form.rule_values(), note=form.note.data,
            name=form.name.data.strip(), year=form.year.data, budget_fen=form.budget.data,
            applications_open_on=form.applications_open_on.data,
            applications_close_on=form.applications_close_on.data,
            vouchers_valid_until=form.vouchers_valid_until.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("Saved. Changed rules apply from now on as a new version."), "success")
            return redirect(url_for("programme_admin.edit_programme",
                                    programme_id=programme.id))
    versions = db.session.execute(
        select(ProgrammeRuleVersion).where(ProgrammeRuleVersion.programme_id == programme.id)
        .order_by(ProgrammeRuleVersion.version.desc())).scalars().all()
    return render_template("vouchers/admin_programme_form.html", form=form,
                           programme=programme, versions=versions)
