"""The admin's page of yearly turnover targets: the city's and each district's."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.core.permissions import access
from marketplace.core.web import attempt, year_argument
from marketplace.extensions import db
from marketplace.turnover import permissions as perms
from marketplace.turnover.forms import TargetForm
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN
from marketplace.turnover.registry.views import districts
from marketplace.turnover.targets import services as targets

bp = Blueprint("turnover_targets", __name__)


def _year_in_range(value):
    return isinstance(value, int) and 2000 <= value <= 2100


def _page(form, year, status=200):
    from marketplace.turnover.models import TurnoverTarget

    city = db.session.execute(select(TurnoverTarget).where(
        TurnoverTarget.year == year, TurnoverTarget.district_id.is_(None))
    ).scalar_one_or_none()
    return render_template("turnover/targets.html", form=form, year=year,
                           city_target=targets.target_for(year), city_row=city,
                           default_fen=DEFAULT_CITY_TARGET_FEN,
                           by_district=targets.district_targets(year),
                           districts=districts()), status


@bp.route("/turnover/targets", methods=["GET", "POST"])
@access(perms.can_manage_targets)
def targets_page():
    form = TargetForm(districts=districts())
    year = year_argument()
    if request.method == "GET":
        form.year.data = year
        return _page(form, year)
    if not form.validate():
        # a refused year (say 99999) must not reach the SmallInteger column
        return _page(form, form.year.data if _year_in_range(form.year.data) else year, 422)
    _result, refused = attempt(targets.set_target, form.year.data, form.target.data,
                               district_id=form.district_id(), actor=current_user, form=form)
    if refused:
        return _page(form, form.year.data, refused.status)
    db.session.commit()
    flash(_("Target saved."), "success")
    return redirect(url_for(".targets_page", year=form.year.data))
