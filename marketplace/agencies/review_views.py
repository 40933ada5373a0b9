"""The auditor's pages of the registry: the queue, the decision, objections, suspension and
removal, and the list of every agency for the bureau's staff."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.agencies import permissions as perms
from marketplace.agencies import services
from marketplace.agencies.forms import ConcludeNoticeForm, DecisionForm, StatusForm
from marketplace.agencies.models import AgencyProfile, AgencyStatus, Objection
from marketplace.core.forms import ResolveObjectionForm
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.notifications.services import mark_queue_seen

bp = Blueprint("registry_review", __name__)

PER_PAGE = 20
# what an admitted or suspended agency's status form offers
STATUS_ACTIONS = {AgencyStatus.ADMITTED: ("suspend", "remove"),
                  AgencyStatus.SUSPENDED: ("reinstate", "remove")}


class RowsPagination(SelectPagination):
    """Pagination of a select of several columns (``db.paginate`` keeps only the first)."""

    def _query_items(self):
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).all())


def _status_argument(default=""):
    value = request.args.get("status", default)
    return value if value in {s.value for s in AgencyStatus} else ""


@bp.route("/registry/review")
@access(perms.can_view_registry_queue)
def queue():
    status = _status_argument()
    if status == AgencyStatus.SUBMITTED.value:
        # the auditor sees what is waiting (the notice's own link): the notice counting it
        # is read, before the query, so an application arriving meanwhile starts a new one
        mark_queue_seen(current_user, "agency_to_review")
    query = services.review_queue(AgencyStatus(status) if status else None)
    pagination = RowsPagination(select=query, session=db.session, page=page_argument(),
                                per_page=PER_PAGE, error_out=False)
    page = render_template("agencies/review_queue.html", pagination=pagination,
                           status=status, statuses=list(AgencyStatus))
    db.session.commit()   # after rendering: a commit expires what the page shows
    return page


@bp.route("/registry/agencies")
@access(perms.can_view_registry_queue)
def agencies():
    status = _status_argument()
    search = (request.args.get("q") or "").strip()[:100]
    query = select(AgencyProfile).join(AgencyProfile.organisation)
    if status:
        query = query.where(AgencyProfile.status == AgencyStatus(status))
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name.ilike(f"%{escaped}%", escape="\\"))
    query = query.order_by(Organisation.name, AgencyProfile.organisation_id)
    pagination = db.paginate(query, page=page_argument(), per_page=PER_PAGE,
                             error_out=False)
    return render_template("agencies/registry_list.html", pagination=pagination,
                           status=status, statuses=list(AgencyStatus), q=search)


def _profile(agency_id):
    profile = db.session.get(AgencyProfile, agency_id) if agency_id is not None else None
    require_visible(perms.can_view_agency_private, profile)
    return profile


def _render_review(profile, *, decision_form=None, status_form=None, resolve_forms=None,
                   status=200):
    objections = services.objections_of(profile)
    resolve_forms = dict(resolve_forms or {})
    for objection in objections:
        if objection.status.value == "open" and objection.id not in resolve_forms:
            resolve_forms[objection.id] = ResolveObjectionForm(prefix=f"objection-{objection.id}",
                                                               formdata=None)
    status_form = status_form or StatusForm(prefix="status", formdata=None)
    if profile.status in STATUS_ACTIONS:
        status_form.limit_to(STATUS_ACTIONS[profile.status])
    open_count = sum(1 for o in objections if o.status.value == "open")
    return render_template(
        "agencies/review.html", profile=profile, objections=objections,
        documents=sorted(profile.documents, key=lambda d: (d.is_withdrawn, d.id)),
        expired=services.expired_documents(profile),
        missing=services.missing_for_submission(profile),
        can_review=perms.can_review_agencies(current_user, profile),
        decision_form=decision_form or DecisionForm(prefix="decision", formdata=None),
        status_form=status_form, resolve_forms=resolve_forms,
        conclude_form=ConcludeNoticeForm(prefix="conclude", formdata=None),
        notice_running=services.notice_is_running(profile), open_count=open_count), status


@bp.route("/registry/review/<int:agency_id>")
@access(perms.can_view_registry_queue)
def review(agency_id):
    return _render_review(_profile(agency_id))


@bp.route("/registry/review/<int:agency_id>/decision", methods=["POST"])
@access(perms.can_review_agencies)
def decide(agency_id):
    profile = _profile(agency_id)
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return _render_review(profile, decision_form=form, status=422)
    _result, refused = attempt(services.decide, profile, current_user, form.decision.data,
                               form.reason.data, form=form)
    if refused:
        return _render_review(_profile(agency_id), decision_form=form, status=refused.status)
    db.session.commit()
    flash({"approve": _("Approved: the public notice is open and the agency is told."),
           "return": _("The application is returned to the agency for correction."),
           "reject": _("The application is rejected and the agency is told.")}
          [form.decision.data], "success")
    return redirect(url_for("registry_review.review", agency_id=agency_id))


@bp.route("/registry/review/<int:agency_id>/conclude", methods=["POST"])
@access(perms.can_review_agencies)
def conclude(agency_id):
    profile = _profile(agency_id)
    _result, refused = attempt(services.conclude_notice, profile, current_user)
    if not refused:
        db.session.commit()
        flash(_("The notice is concluded and the agency is admitted to the registry."),
              "success")
    return redirect(url_for("registry_review.review", agency_id=agency_id))


@bp.route("/registry/review/<int:agency_id>/status", methods=["POST"])
@access(perms.can_review_agencies)
def change_status(agency_id):
    profile = _profile(agency_id)
    form = StatusForm(prefix="status")
    if not form.validate_on_submit():
        return _render_review(profile, status_form=form, status=422)
    action = {"suspend": services.suspend, "reinstate": services.reinstate,
              "remove": services.remove}[form.action.data]
    _result, refused = attempt(action, profile, current_user, form.reason.data, form=form)
    if refused:
        return _render_review(_profile(agency_id), status_form=form, status=refused.status)
    db.session.commit()
    flash({"suspend": _("The agency is suspended; its offerings are hidden."),
           "reinstate": _("The agency is reinstated."),
           "remove": _("The agency is removed from the registry.")}[form.action.data],
          "success")
    return redirect(url_for("registry_review.review", agency_id=agency_id))


@bp.route("/registry/objections/<int:objection_id>/resolve", methods=["POST"])
@access(perms.can_review_agencies)
def resolve(objection_id):
    objection = db.session.get(Objection, objection_id)
    profile = _profile(objection.agency_id if objection else None)
    form = ResolveObjectionForm(prefix=f"objection-{objection_id}")
    if not form.validate_on_submit():
        return _render_review(profile, resolve_forms={objection_id: form}, status=422)
    _result, refused = attempt(services.resolve_objection, objection, current_user,
                               form.decision.data, form.resolution.data, form=form)
    if refused:
        return _render_review(_profile(profile.organisation_id),
                              resolve_forms={objection_id: form}, status=refused.status)
    db.session.commit()
    flash(_("The objection is upheld and the application rejected.")
          if form.decision.data == "uphold" else _("The objection is dismissed."), "success")
    return redirect(url_for("registry_review.review", agency_id=profile.organisation_id)
                    + "#objections")
