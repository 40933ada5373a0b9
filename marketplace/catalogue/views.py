"""The public catalogue, agency and offering pages, the agency's own offerings and moderation."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.agencies.categories import category_tree
from marketplace.agencies.models import AgencyProfile, AgencyStatus, AgencyType
from marketplace.agencies.permissions import can_view_agency_page
from marketplace.catalogue import permissions as perms
from marketplace.catalogue import scorecards, services
from marketplace.catalogue.forms import OfferingForm, TakeDownForm, parse_search_arguments
from marketplace.catalogue.models import AgencyScorecard, Offering, OfferingStatus
from marketplace.core.page_cache import cached_for_visitors
from marketplace.core.pagination import paginate
from marketplace.core.permissions import access, anyone, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db

bp = Blueprint("catalogue", __name__)

PER_PAGE = 20


def _locale():
    return str(get_locale() or "zh")


def _active_districts():
    return db.session.execute(select(District).where(District.is_active.is_(True))
                              .order_by(District.sort_order, District.id)).scalars().all()


def _scorecard(agency_id):
    return scorecards.as_dict(db.session.get(AgencyScorecard, agency_id))


def _has_scorecard_figures(card):
    return bool(card["orders_completed"] or card["rating_count"] or card["disputes"])


# --- public pages -----------------------------------------------------------------------

@bp.route("/catalogue")
@cached_for_visitors()
@access(anyone)
def search():
    tree = category_tree(active_only=True)
    districts = _active_districts()
    arguments = parse_search_arguments(request.args, {c.code for c, _depth in tree},
                                       {d.code for d in districts})
    pagination = services.search_catalogue(arguments.query, page=page_argument(),
                                           per_page=PER_PAGE)
    results = services.listed_offerings(pagination.items)
    cards = {agency_id: scorecards.as_dict(card) for agency_id, card in
             scorecards.scorecards_for({o.agency_id for o in results}).items()}
    # only the values that were understood travel on to the other pages of the result
    kept = {name: value for name, value in arguments.values.items()
            if value and name not in arguments.invalid}
    return render_template("catalogue/search.html", pagination=pagination, results=results,
                           arguments=arguments, values=arguments.values, kept=kept,
                           query=arguments.query, tree=tree, districts=districts,
                           agency_types=list(AgencyType), sorts=services.SORTS,
                           cards=cards, locale=_locale())


@bp.route("/agencies/<int:agency_id>")
@cached_for_visitors()
@access(anyone)
def agency(agency_id):
    profile = services.agency_for_page(agency_id)
    require_visible(can_view_agency_page, profile)
    pagination = paginate(services.offerings_for_agency_page(agency_id),
                          page=page_argument(), per_page=PER_PAGE)
    # the row also holds the brokerage figures, which the page's brokerage part shows
    scorecard = db.session.get(AgencyScorecard, agency_id)
    card = scorecards.as_dict(scorecard)
    return render_template("catalogue/agency.html", profile=profile, pagination=pagination,
                           card=card, has_figures=_has_scorecard_figures(card),
                           broker_card=scorecard, locale=_locale())


@bp.route("/offerings/<int:offering_id>")
@cached_for_visitors()
@access(anyone)
def offering(offering_id, take_down_form=None):
    found = db.session.get(Offering, offering_id)
    require_visible(perms.can_view_offering, found)
    can_moderate = perms.can_moderate_offerings(current_user)
    if take_down_form is None and can_moderate:
        # only for moderators: building the form puts a CSRF secret in the session,
        # which would make a visitor's page personal (and uncacheable)
        take_down_form = TakeDownForm(formdata=None)
    return render_template(
        "catalogue/offering.html", offering=found, visible=services.is_visible(found),
        can_edit=perms.can_edit_offering(current_user, found), can_moderate=can_moderate,
        agency_link=can_view_agency_page(current_user, found.agency),
        take_down_form=take_down_form, locale=_locale())


# --- the agency's own offerings -----------------------------------------------------------

def _own_profile():
    return db.session.get(AgencyProfile, current_user.organisation_id)


def _can_publish(profile):
    return profile is not None and profile.status == AgencyStatus.ADMITTED


def _own_offering(offering_id):
    found = db.session.get(Offering, offering_id)
    require_visible(perms.can_edit_offering, found)
    return found


@bp.route("/my/offerings")
@access(perms.can_manage_offerings)
def my_offerings():
    profile = _own_profile()
    pagination = db.paginate(services.offerings_of(current_user.organisation_id),
                             page=page_argument(), per_page=PER_PAGE, error_out=False)
    return render_template("catalogue/mine.html", profile=profile, pagination=pagination,
                           can_publish=_can_publish(profile), locale=_locale())


def _offering_form():
    form = OfferingForm()
    form.set_categories(category_tree(active_only=True), _locale())
    return form


@bp.route("/my/offerings/new", methods=["GET", "POST"])
@access(perms.can_manage_offerings)
def new_offering():
    profile = _own_profile()
    if not _can_publish(profile):
        flash(str(services.AgencyNotActive.default_message), "warning")
        return redirect(url_for("catalogue.my_offerings"))
    form = _offering_form()
    if form.validate_on_submit():
        created, refused = attempt(services.create_offering, profile, current_user,
                                   **form.offering_fields(), form=form)
        if not refused:
            db.session.commit()
            flash(_("The offering is published. The bureau checks new offerings; until then "
                    "it is marked as awaiting a check."), "success")
            return redirect(url_for("catalogue.offering", offering_id=created.id))
    return render_template("catalogue/offering_form.html", form=form, offering=None), \
        422 if request.method == "POST" else 200


@bp.route("/my/offerings/<int:offering_id>/edit", methods=["GET", "POST"])
@access(perms.can_manage_offerings)
def edit_offering(offering_id):
    found = _own_offering(offering_id)
    form = _offering_form()
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        _result, refused = attempt(services.update_offering, found, current_user,
                                   **form.offering_fields(), form=form)
        if not refused:
            db.session.commit()
            flash(_("The offering is saved. The bureau checks the change again."),
                  "success")
            return redirect(url_for("catalogue.offering", offering_id=offering_id))
    found = db.session.get(Offering, offering_id)
    return render_template("catalogue/offering_form.html", form=form, offering=found), \
        422 if request.method == "POST" else 200


def _change(offering_id, service, done_message):
    found = _own_offering(offering_id)
    _result, refused = attempt(service, found, current_user)
    if not refused:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for("catalogue.my_offerings"))


@bp.route("/my/offerings/<int:offering_id>/withdraw", methods=["POST"])
@access(perms.can_manage_offerings)
def withdraw_offering(offering_id):
    return _change(offering_id, services.withdraw_offering,
                   _("The offering is withdrawn and no longer shown in the catalogue."))


@bp.route("/my/offerings/<int:offering_id>/publish", methods=["POST"])
@access(perms.can_manage_offerings)
def publish_offering(offering_id):
    return _change(offering_id, services.publish_offering,
                   _("The offering is published again and waits for the bureau's check."))


# --- moderation -------------------------------------------------------------------------

@bp.route("/moderation/offerings")
@access(perms.can_moderate_offerings)
def moderation_queue():
    pagination = db.paginate(services.moderation_queue(), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template("catalogue/moderation.html", pagination=pagination,
                           locale=_locale())


def _moderated(offering_id):
    found = db.session.get(Offering, offering_id)
    require_visible(perms.can_moderate_offerings, found)
    return found


@bp.route("/moderation/offerings/<int:offering_id>/check", methods=["POST"])
@access(perms.can_moderate_offerings)
def check_offering(offering_id):
    found = _moderated(offering_id)
    services.mark_checked(found, current_user)
    db.session.commit()
    flash(_("The offering is marked as checked."), "success")
    return redirect(url_for("catalogue.moderation_queue"))


@bp.route("/moderation/offerings/<int:offering_id>/take-down", methods=["POST"])
@access(perms.can_moderate_offerings)
def take_down_offering(offering_id):
    found = _moderated(offering_id)
    form = TakeDownForm()
    if form.validate_on_submit():
        _result, refused = attempt(services.take_down, found, current_user, form.reason.data,
                                   form=form)
        if not refused:
            db.session.commit()
            flash(_("The offering is taken down and its agency is told why."), "success")
            return redirect(url_for("catalogue.moderation_queue"))
    return offering(offering_id, take_down_form=form), 422
