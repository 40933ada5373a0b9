"""Changing an organisation's regulated facts: the owner's request, the auditor's queue
and decision, an organisation's version history for the bureau."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts import bureau_lists, change_requests, signals, versions
from marketplace.accounts import permissions as perms
from marketplace.accounts.forms import tier_choices
from marketplace.accounts.identity_forms import (EXTRA_ROWS, ChangeRequestForm, DecisionForm,
                                                 WithdrawForm)
from marketplace.accounts.models import Organisation
from marketplace.accounts.services import active_districts
from marketplace.accounts.version_models import (ChangeRequest, ChangeRequestStatus,
                                                 OrganisationVersion)
from marketplace.core.errors import DomainError
from marketplace.core.normalise import whole_number
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import apply_domain_error, attempt, page_argument
from marketplace.extensions import db

bp = Blueprint("identity", __name__)


def _locale():
    from flask_babel import get_locale
    return str(get_locale() or "zh")[:2]


def _choices(form, organisation):
    form.district_id.choices = [(0, _("Choose a district"))] + [
        (d.id, d.display_name(_locale())) for d in active_districts()]
    form.firm_tier.choices = tier_choices() if organisation.is_firm else [("", "—")]


def _fill(form, version):
    """The form as the current version stands, with empty rows for new people."""
    facts = version.facts()
    for name in ("name", "registered_address", "contact_phone", "bank_name",
                 "bank_cnaps_code", "bank_account"):
        getattr(form, name).data = facts[name]
    form.credit_code.data = facts["uscc"]
    form.district_id.data = facts["district_id"] or 0
    form.firm_tier.data = facts["firm_tier"] or ""
    while form.people.entries:
        form.people.pop_entry()
    for index, person in enumerate(version.people):
        form.people.append_entry({
            "role": person.role.value, "title": person.title.value if person.title else "",
            "name": person.name, "id_kind": person.id_kind or "resident_id",
            "share_percent": f"{person.share_bp / 100:g}" if person.share_bp else "",
            "kept": str(index)})
    for _row in range(EXTRA_ROWS):
        form.people.append_entry()


def _people(form, version):
    """The form's people as the service takes them (empty rows left out); an error names
    the row."""
    from marketplace.accounts import people as people_rules

    on_file = list(version.people)
    found = []
    for row in form.people.entries:
        person = row.form
        if not (person.name.data or "").strip():
            continue
        index = whole_number(person.kept.data, 0, len(on_file) - 1)
        kept = on_file[index] if index is not None else None
        found.append(people_rules.person(
            person.role.data, person.name.data, title=person.title.data or None,
            id_kind=person.id_kind.data, id_number=person.id_number.data,
            share_bp=person.share_bp(), field="people",
            kept_hash=kept.id_number_hash if kept is not None else None,
            kept_masked=kept.id_number_masked if kept is not None else None))
    return found


def _facts(form):
    return {"name": form.name.data, "uscc": form.credit_code.data,
            "registered_address": form.registered_address.data,
            "district_id": form.district_id.data, "contact_phone": form.contact_phone.data,
            "bank_name": form.bank_name.data, "bank_cnaps_code": form.bank_cnaps_code.data,
            "bank_account": form.bank_account.data, "firm_tier": form.firm_tier.data or None}


@bp.route("/organisation/changes/new", methods=["GET", "POST"])
@access(perms.is_organisation_owner)
def new_change():
    organisation = current_user.organisation
    version = versions.current_version(organisation)
    pending = change_requests.pending_request(organisation)
    form = ChangeRequestForm()
    _choices(form, organisation)
    if request.method == "GET":
        _fill(form, version)
    elif form.validate_on_submit():
        try:
            found = change_requests.submit(
                organisation, current_user, facts=_facts(form), people=_people(form, version),
                reason=form.reason.data, certificate=form.certificate())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your request is with the auditor. The facts change once it is "
                    "approved."), "success")
            return redirect(url_for(".change", request_id=found.id))
    status = 422 if form.is_submitted() else 200
    return render_template("identity/change_form.html", form=form, version=version,
                           organisation=organisation, pending=pending), status


def _visible_request(request_id):
    found = db.session.get(ChangeRequest, request_id)
    require_visible(perms.can_view_change_request, found)
    return found


def _render_change(found, form=None, status=200):
    rows, before, after = change_requests.comparison(found)
    proposal = found.proposal
    listed = bureau_lists.tier_on(proposal["facts"]["uscc"]) \
        if found.organisation.is_firm else None
    hashes = [p["id_number_hash"] for p in after if p.get("id_number_hash")]
    hits = bureau_lists.hits([proposal["facts"]["uscc"]], hashes) \
        if perms.can_review_identity_changes(current_user) else []
    can_decide = perms.can_decide_identity_change(current_user) and \
        found.status == ChangeRequestStatus.PENDING
    return render_template(
        "identity/change.html", found=found, rows=rows, before=before, after=after,
        listed=listed, hits=hits, can_decide=can_decide,
        form=form or DecisionForm(),
        can_withdraw=perms.can_withdraw_change_request(current_user, found)
        and found.status == ChangeRequestStatus.PENDING,
        withdraw_form=WithdrawForm(prefix="withdraw"),
        districts={d.id: d.display_name(_locale()) for d in active_districts()}), status


@bp.route("/organisation/changes/<int:request_id>")
@access(perms.is_organisation_member | perms.can_review_identity_changes)
def change(request_id):
    return _render_change(_visible_request(request_id))


@bp.route("/organisation/changes/<int:request_id>/withdraw", methods=["POST"])
@access(perms.is_organisation_member)
def withdraw_change(request_id):
    found = db.session.get(ChangeRequest, request_id)
    require_visible(perms.can_withdraw_change_request, found)
    _result, refused = attempt(change_requests.withdraw, found, current_user)
    if not refused:
        db.session.commit()
        flash(_("The request is withdrawn."), "success")
    return redirect(url_for("accounts.organisation"))


@bp.route("/identity/changes")
@access(perms.can_review_identity_changes)
def queue():
    status = request.args.get("status", ChangeRequestStatus.PENDING.value)
    if status not in {s.value for s in ChangeRequestStatus}:
        status = ChangeRequestStatus.PENDING.value
    if status == ChangeRequestStatus.PENDING.value and \
            perms.can_decide_identity_change(current_user):
        # the notifications domain marks the queue's counting notice read
        signals.identity_queue_opened.send(current_user._get_current_object())
    pagination = db.paginate(change_requests.review_queue(ChangeRequestStatus(status)),
                             page=page_argument(), per_page=20, error_out=False)
    page = render_template("identity/queue.html", pagination=pagination, status=status,
                           statuses=list(ChangeRequestStatus))
    db.session.commit()   # after rendering: the queue's notice is read
    return page


@bp.route("/identity/changes/<int:request_id>", methods=["GET", "POST"])
@access(perms.can_review_identity_changes)
def review(request_id):
    found = _visible_request(request_id)
    if request.method == "GET":
        return _render_change(found)
    if not perms.can_decide_identity_change(current_user):
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        action = change_requests.approve if form.decision.data == "approve" \
            else change_requests.reject
        _result, refused = attempt(action, found, current_user, form.comment.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("The decision is recorded and the organisation is told."), "success")
            return redirect(url_for(".queue"))
        found = db.session.get(ChangeRequest, request_id)
    return _render_change(found, form=form, status=422)


@bp.route("/identity/organisations/<int:organisation_id>")
@access(perms.can_review_identity_changes)
def organisation_history(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    found = db.session.execute(select(OrganisationVersion).where(
        OrganisationVersion.organisation_id == organisation.id)
        .order_by(OrganisationVersion.number.desc())).scalars().all()
    listed = bureau_lists.tier_on(organisation.uscc) if organisation.is_firm else None
    return render_template("identity/history.html", organisation=organisation,
                           versions=found, listed=listed,
                           requests=change_requests.requests_of(organisation),
                           districts={d.id: d.display_name(_locale())
                                      for d in active_districts()})


@bp.app_template_global("identity_names")
def _identity_names():
    """The names of facts, roles, tiers… in the reader's language (a global, so imported
    macros such as the claim evidence see it too)."""
    from marketplace.accounts import identity_labels

    return identity_labels.names()
