"""The contract registry's pages: the filtered list (the bureau all of it, firms and
agencies their own contracts), a contract's page with its original and every amendment or
cancellation, registration by hand, and the auditor's decision."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.notifications.services import mark_queue_seen
from marketplace.orders.models import ContractType
from marketplace.technology_fields import services as fields
from marketplace.turnover import permissions as perms
from marketplace.technology_fields.services import field_label
from marketplace.turnover.forms import (AdjustmentForm, DecisionForm, FieldConfirmationForm,
                                        RegistrationForm)
from marketplace.turnover.models import (ContractRegistration, RegistrationSource,
                                         RegistrationStatus)
from marketplace.turnover.registry import queries, registration, review

bp = Blueprint("contract_registry", __name__)

PER_PAGE = 25


def districts():
    return db.session.execute(select(District).where(District.is_active.is_(True))
                              .order_by(District.sort_order, District.id)).scalars().all()


@bp.route("/contracts")
@access(perms.can_list_registrations)
def registry():
    flt = queries.RegistryFilter.from_args(request.args)
    if request.args.to_dict() == {"status": RegistrationStatus.PENDING.value} \
            and perms.is_bureau(current_user):
        # the auditor sees what is waiting (the notice's own link, no other filter): the
        # notice counting it is read, before the query, so a registration arriving
        # meanwhile starts a new one
        mark_queue_seen(current_user, "registration_to_review")
    pagination = db.paginate(queries.registry_query(current_user, flt), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    page = render_template("turnover/registry.html", pagination=pagination, flt=flt,
                           districts=districts(), types=list(ContractType),
                           sources=list(RegistrationSource),
                           statuses=list(RegistrationStatus), field_label=field_label,
                           field_options=fields.field_choices(),
                           is_bureau=perms.is_bureau(current_user),
                           can_register=perms.can_register_contracts(current_user),
                           can_import=perms.can_import_registrations(current_user))
    db.session.commit()   # after rendering: a commit expires what the page shows
    return page


def visible_registration(registration_id):
    row = db.session.get(ContractRegistration, registration_id)
    require_visible(perms.can_view_registration, row)
    return row


def render_contract(row, status=200, adjustment_form=None, decision_form=None,
                    decided_id=None, field_form=None):
    original = row.original or row
    user = current_user
    if field_form is None and original.field_unconfirmed:
        field_form = FieldConfirmationForm(formdata=None)
        field_form.field_code.data = original.field_code
    # other originals of the number (a rejected attempt, a corrected one) may name other
    # parties: each row is shown to whoever may see its own original
    history = queries.history_view([
        r for r in review.history_of(original)
        if r.original_id == original.id or r.id == original.id
        or perms.can_view_registration(user, r.original or r)])
    # a rejected original points to the number's registration that stands now, if any
    superseded_by = (registration.live_original_of(original.contract_number)
                     if original.status == RegistrationStatus.REJECTED else None)
    if not perms.can_view_registration(user, superseded_by):
        superseded_by = None
    # what this registration counts now: its own original and adjustments, not another
    # original of the same number
    own = [entry for entry in history
           if original.id in (entry[0].id, entry[0].original_id)]
    return render_template(
        "turnover/registry_contract.html", original=original, history=history,
        superseded_by=superseded_by,
        field_label=field_label,
        total=(sum(entry[1] for entry in own), sum(entry[2] for entry in own)),
        can_adjust=perms.can_adjust_registration(user, original)
        and original.status == RegistrationStatus.CONFIRMED,
        can_decide={r.id: perms.can_decide_registration(user, r) for r, *_ in history
                    if r.status == RegistrationStatus.PENDING},
        adjustment_form=adjustment_form or AdjustmentForm(formdata=None),
        decision_form=decision_form, decided_id=decided_id,
        field_form=field_form,
        can_confirm_field=original.field_unconfirmed and perms.can_confirm_fields(user),
        contract_pdf_order=_platform_order_id(original),
        blank_decision=DecisionForm(formdata=None)), status


@bp.route("/contracts/<int:registration_id>")
@access(perms.can_list_registrations)
def contract(registration_id):
    return render_contract(visible_registration(registration_id))


@bp.route("/contracts/new", methods=["GET", "POST"])
@access(perms.can_register_contracts)
def register():
    form = RegistrationForm(districts=districts())
    if form.validate_on_submit():
        district_id, in_city = form.seller_location()
        row, refused = attempt(
            review.register_by_hand,
            current_user, party=form.party.data, counterparty=form.counterparty.data,
            contract_number=form.contract_number.data,
            contract_type=ContractType(form.contract_type.data),
            contract_amount_fen=form.contract_amount.data,
            technical_amount_fen=form.technical_amount.data,
            seller_district_id=district_id, seller_in_city=in_city,
            field_code=form.field.data, signed_on=form.signed_on.data,
            registered_on=form.registered_on.data,
            voucher_funded=form.voucher_funded.data, note=form.note.data or None, form=form)
        if refused:
            return render_template("turnover/registry_new.html", form=form), refused.status
        db.session.commit()
        flash(_("Contract %(number)s is registered; an auditor will confirm it.",
                number=row.contract_number), "success")
        return redirect(url_for(".contract", registration_id=row.id))
    status = 422 if form.is_submitted() else 200
    return render_template("turnover/registry_new.html", form=form), status


@bp.route("/contracts/<int:registration_id>/adjustments", methods=["POST"])
@access(perms.can_adjust_registration)
def adjust(registration_id):
    row = visible_registration(registration_id)
    original = row.original or row
    form = AdjustmentForm()
    if not form.validate():
        return render_contract(original, 422, adjustment_form=form)
    created, refused = attempt(
        review.register_adjustment_by_hand,
        current_user, original, kind=form.kind.data,
        contract_amount_fen=form.contract_amount.data,
        technical_amount_fen=form.technical_amount.data, note=form.note.data, form=form)
    if refused:
        return render_contract(db.session.get(ContractRegistration, original.id),
                               refused.status, adjustment_form=form)
    db.session.commit()
    flash(_("The %(kind)s is registered; an auditor will confirm it.",
            kind=_label(created.kind)), "success")
    return redirect(url_for(".contract", registration_id=original.id))


@bp.route("/contracts/<int:registration_id>/decision", methods=["POST"])
@access(perms.can_decide_registrations)
def decide(registration_id):
    row = visible_registration(registration_id)
    form = DecisionForm()
    if not form.validate():
        return render_contract(row, 422, decision_form=form, decided_id=row.id)
    _result, refused = attempt(review.decide, row, current_user, form.decision.data,
                               form.reason.data, form=form)
    if refused:
        return render_contract(db.session.get(ContractRegistration, row.id), refused.status,
                               decision_form=form, decided_id=row.id)
    db.session.commit()
    flash(_("Registration confirmed.") if form.decision.data == "confirm"
          else _("Registration rejected."), "success")
    return redirect(url_for(".contract", registration_id=row.id))


def _platform_order_id(original):
    """The order of a contract signed on the platform, whose PDF the registry links to
    (its viewers, the parties and the bureau, may all download it)."""
    if original.tech_contract_id is None:
        return None
    from marketplace.orders.models import TechContract
    contract = db.session.get(TechContract, original.tech_contract_id)
    return contract.order_id if contract is not None else None


def _label(value):
    from marketplace.core.labels import label
    return label(value)
