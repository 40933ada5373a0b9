"""Pages of the exchange: results and demands with their suggestions. Matches, the
conversation, deals and brokers are in match_views.py (same blueprint)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.agencies.models import AgencyProfile
from marketplace.core.permissions import access, anyone, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.exchange import permissions as perms
from marketplace.exchange import stats
from marketplace.exchange import services, suggestions
from marketplace.exchange.forms import DemandForm, ProposeForm, ResultForm, StatusForm
from marketplace.exchange.models import TechDemand, TechResult
from marketplace.extensions import db
from marketplace.technology_fields.services import field_codes, field_label

bp = Blueprint("exchange", __name__, url_prefix="/exchange", cli_group="exchange")
PER_PAGE = 20


def locale():
    return str(get_locale() or "zh")


@bp.app_template_global("exchange_field_label")
def _field_label(code):
    return field_label(code)


@bp.app_template_global("exchange_broker_card")
def _broker_card(agency_id):
    from marketplace.catalogue.models import AgencyScorecard
    return db.session.get(AgencyScorecard, agency_id)


@bp.app_template_global("exchange_broker_activity")
def _broker_activity(year, district_id=None):
    """Rows for templates/exchange/_broker_activity.html (one SQL query)."""
    return stats.broker_activity(year, district_id)


@bp.cli.command("reindex")
def reindex():
    """Rebuild the matching index of results, demands, offerings and agencies."""
    from marketplace.exchange import matching
    count = matching.rebuild()
    db.session.commit()
    print(f"{count} listings indexed")


def _field_filter():
    code = request.args.get("field")
    return code if code in field_codes() else None


def _render_form(template, form, obj):
    return render_template(template, form=form, obj=obj), \
        422 if request.method == "POST" else 200


# --- results ------------------------------------------------------------------------------

@bp.route("/results")
@access(anyone)
def results():
    field_code = _field_filter()
    mine = request.args.get("mine") == "1" and perms.can_manage_results(current_user)
    statement = (services.results_of(current_user.organisation_id) if mine
                 else services.visible_results(field_code))
    pagination = db.paginate(statement, page=page_argument(), per_page=PER_PAGE,
                             error_out=False)
    return render_template("exchange/results.html", pagination=pagination, mine=mine,
                           field_code=field_code, fields=field_codes(),
                           can_add=perms.can_manage_results(current_user))


@bp.route("/results/new", methods=["GET", "POST"])
@access(perms.can_manage_results)
def new_result():
    form = ResultForm()
    form.set_fields(locale())
    form.submit.label.text = _("Publish the result")
    if form.validate_on_submit():
        profile = db.session.get(AgencyProfile, current_user.organisation_id)
        draft = bool(form.save_draft.data)
        created, refused = attempt(services.create_result, profile, current_user,
                                   publish=not draft, **form.values(), form=form)
        if not refused:
            db.session.commit()
            flash(_("The result is saved as a draft: only your agency sees it until you "
                    "publish it.") if draft else _("The result is published."), "success")
            return redirect(url_for("exchange.result", result_id=created.id))
    return _render_form("exchange/result_form.html", form, None)


@bp.route("/results/<int:result_id>")
@access(anyone)
def result(result_id):
    found = db.session.get(TechResult, result_id)
    require_visible(perms.can_view_result, found)
    can_edit = perms.can_edit_result(current_user, found)
    matched = suggestions.for_result(found)["demand"] \
        if (can_edit or perms.is_broker(current_user)) else []
    return render_template("exchange/result.html", result=found, can_edit=can_edit,
                           suggestions=matched, status_form=StatusForm(),
                           see_firm=perms.can_see_demand_firm)


@bp.route("/results/<int:result_id>/edit", methods=["GET", "POST"])
@access(perms.can_manage_results)
def edit_result(result_id):
    found = db.session.get(TechResult, result_id)
    require_visible(perms.can_edit_result, found)
    return _edit_listing(found, ResultForm(), services.update_result,
                         "exchange/result_form.html", _("The result is saved."),
                         url_for("exchange.result", result_id=result_id))


def _change_status(obj, service, endpoint, **values):
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose an action."), "danger")
        return redirect(url_for(endpoint, **values))
    _result, refused = attempt(service, obj, current_user, form.action.data)
    if not refused:
        db.session.commit()
        flash(_("The state is changed."), "success")
    return redirect(url_for(endpoint, **values))


@bp.route("/results/<int:result_id>/status", methods=["POST"])
@access(perms.can_manage_results)
def result_status(result_id):
    found = db.session.get(TechResult, result_id)
    require_visible(perms.can_edit_result, found)
    return _change_status(found, services.change_result_status, "exchange.result",
                          result_id=result_id)


# --- demands ------------------------------------------------------------------------------

@bp.route("/demands")
@access(perms.can_browse_demands)
def demands():
    field_code = _field_filter()
    pagination = db.paginate(services.demands_listed_for(current_user, field_code),
                             page=page_argument(), per_page=PER_PAGE, error_out=False)
    return render_template("exchange/demands.html", pagination=pagination,
                           field_code=field_code, fields=field_codes(),
                           can_add=perms.can_post_demands(current_user),
                           see_firm=perms.can_see_demand_firm)


@bp.route("/demands/new", methods=["GET", "POST"])
@access(perms.can_post_demands)
def new_demand():
    form = DemandForm()
    form.set_fields(locale())
    form.submit.label.text = _("Publish the demand")
    if form.validate_on_submit():
        draft = bool(form.save_draft.data)
        created, refused = attempt(services.create_demand, current_user, publish=not draft,
                                   **form.values(), form=form)
        if not refused:
            db.session.commit()
            flash(_("The demand is saved as a draft: only your firm sees it until you "
                    "publish it.") if draft else
                  _("The demand is published. Agencies see it without your firm's name "
                    "until you accept to talk."), "success")
            return redirect(url_for("exchange.demand", demand_id=created.id))
    return _render_form("exchange/demand_form.html", form, None)


@bp.route("/demands/<int:demand_id>")
@access(perms.can_browse_demands)
def demand(demand_id):
    found = db.session.get(TechDemand, demand_id)
    require_visible(perms.can_view_demand, found)
    return render_demand(found)


def render_demand(found, *, propose_form=None, status=200):
    """The demand's page; a refused proposal (``propose_form``) is shown again beside the
    result it was for, with the note as typed."""
    return render_template("exchange/demand.html", demand=found,
                           can_edit=perms.can_edit_demand(current_user, found),
                           show_firm=perms.can_see_demand_firm(current_user, found),
                           can_propose=perms.can_propose_match(current_user),
                           suggestions=suggestions.for_demand(found), status_form=StatusForm(),
                           propose_form=propose_form or ProposeForm(formdata=None),
                           proposing=propose_form.result_id.data if propose_form else None
                           ), status


@bp.route("/demands/<int:demand_id>/edit", methods=["GET", "POST"])
@access(perms.can_post_demands)
def edit_demand(demand_id):
    found = db.session.get(TechDemand, demand_id)
    require_visible(perms.can_edit_demand, found)
    return _edit_listing(found, DemandForm(), services.update_demand,
                         "exchange/demand_form.html", _("The demand is saved."),
                         url_for("exchange.demand", demand_id=demand_id))


def _edit_listing(listing, form, update, template, saved_message, saved_url):
    """The edit page of a result or a demand: a refusal keeps what was typed."""
    form.set_fields(locale())
    if request.method == "GET":
        form.fill_from(listing)
    elif form.validate_on_submit():
        _result, refused = attempt(update, listing, current_user, **form.values(), form=form)
        if not refused:
            db.session.commit()
            flash(saved_message, "success")
            return redirect(saved_url)
    # re-read after a rollback, so the page shows the stored listing beside the typed form
    return _render_form(template, form, db.session.get(type(listing), listing.id))


@bp.route("/demands/<int:demand_id>/status", methods=["POST"])
@access(perms.can_post_demands)
def demand_status(demand_id):
    found = db.session.get(TechDemand, demand_id)
    require_visible(perms.can_edit_demand, found)
    return _change_status(found, services.change_demand_status, "exchange.demand",
                          demand_id=demand_id)


from marketplace.exchange import match_views  # noqa: E402,F401  (its routes on bp)
