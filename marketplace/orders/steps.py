"""The POST endpoints of the order page, one per step. Each loads the order for the side
that takes the step, validates its form, calls one service, and commits once; a refusal
rolls back and shows the page again with the form as typed. Steps that move money are
``@idempotent_form``: their form's one-time token makes a second click or a resent POST
replay the first answer instead of acting twice."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.permissions import (is_agency_member, is_firm_member,
                                              is_organisation_member)
from marketplace.core.errors import DomainError
from marketplace.core.idempotency import TOKEN_FIELD, idempotent_form
from marketplace.core.permissions import access
from marketplace.extensions import db
from marketplace.orders import documents, fulfilment, queries, services
from marketplace.orders import permissions as perms
from marketplace.orders.forms import (AcceptanceForm, CancellationAnswerForm,
                                      CancellationForm, ContractForm, DeliveryForm,
                                      DisputeForm, MediationForm, PaymentForm, QuoteForm,
                                      RatingForm)
from marketplace.orders.models import OrderDocumentKind, OrderStatus
from marketplace.orders.views import (bp, contract_form_for, invalid, order_for, refused,
                                      render_order)

either_party = perms.is_buyer_of | perms.is_seller_of


def _done(order, message, anchor=""):
    order_id = order.id   # read before the commit expires it (else a reload of its graph)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("orders.order_page", order_id=order_id) + anchor)


@bp.route("/orders/<int:order_id>/quote", methods=["POST"])
@access(is_agency_member)
def submit_quote(order_id):
    order = order_for(order_id, perms.is_seller_of)
    form = QuoteForm()
    if not form.validate_on_submit():
        return invalid(order, "quote_form", form)
    try:
        services.submit_quote(order, current_user, contract_type=form.contract_type.data,
                              contract_amount_fen=form.contract_amount.data,
                              technical_amount_fen=form.technical_amount.data,
                              deliverables=form.deliverables.data,
                              due_date=form.due_date.data, field_code=form.field_code.data)
    except DomainError as error:
        return refused(order, "quote_form", form, error)
    return _done(order, _("Your quote is sent to the firm."))


@bp.route("/orders/<int:order_id>/contract", methods=["POST"])
@access(is_firm_member)
@idempotent_form
def sign_contract(order_id):
    order = order_for(order_id, perms.is_buyer_of)
    form = contract_form_for(order, queries.voucher_options(order), ContractForm())
    if not form.validate_on_submit():
        return invalid(order, "contract_form", form)
    try:
        contract = services.sign_contract(order, current_user,
                                          voucher_id=form.voucher_choice(),
                                          quote_id=form.quote_choice())
    except DomainError as error:
        if isinstance(error, services.QuoteChanged):
            # the page shown again shows the new quote: signing it is now what is meant
            form.quote_id.data = str(error.details["quote_id"])
        return refused(order, "contract_form", form, error)
    if contract.copay_fen == 0:
        return _done(order, _("The contract is signed. The voucher pays it in full: the "
                              "agency can start."))
    return _done(order, _("The contract is signed. Please pay your co-pay."), "#payment")


@bp.route("/orders/<int:order_id>/payment", methods=["POST"])
@access(is_firm_member)
@idempotent_form
def pay(order_id):
    order = order_for(order_id, perms.is_buyer_of)
    form = PaymentForm()
    if not form.validate_on_submit():
        return invalid(order, "payment_form", form)
    from marketplace.orders.payment import pay_copay   # the gateway's side, by the lead
    try:
        # the steps commit in turn: the gateway is called holding no row lock
        result = pay_copay(order, current_user, payment_method=form.payment_method.data,
                           idempotency_key=request.form[TOKEN_FIELD],
                           commit=db.session.commit)
    except DomainError as error:
        return refused(order, "payment_form", form, error)
    db.session.commit()     # a declined attempt is kept for the record too
    if result.status == "succeeded":
        flash(_("Your co-pay is paid. The platform holds it until you accept the "
                "delivery."), "success")
        return redirect(url_for("orders.order_page", order_id=order.id) + "#payment")
    if result.status == "requires_action":
        return render_order(order, client_secret=result.client_secret)
    error = getattr(result, "error", None)
    flash(str(error.message) if error else _("The payment did not go through."), "danger")
    return render_order(order, status=getattr(error, "status", 402), payment_form=form)


@bp.route("/orders/<int:order_id>/payment/refresh", methods=["POST"])
@access(is_firm_member)
def refresh_payment(order_id):
    """After the card check (3-D Secure) on the Stripe.js page: ask the gateway now
    rather than wait for its webhook."""
    order = order_for(order_id, perms.is_buyer_of)
    from marketplace.orders.payment import refresh_copay
    try:
        refresh_copay(order, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("orders.order_page", order_id=order.id) + "#payment")
    db.session.commit()
    if order.status == OrderStatus.CONTRACTED:
        flash(_("The payment is not confirmed yet. This page shows it as soon as the "
                "bank confirms."), "info")
    elif order.status == OrderStatus.PAID:
        flash(_("Your co-pay is paid. The platform holds it until you accept the "
                "delivery."), "success")
    return redirect(url_for("orders.order_page", order_id=order.id) + "#payment")


@bp.route("/orders/<int:order_id>/delivery", methods=["POST"])
@access(is_agency_member)
def deliver(order_id):
    order = order_for(order_id, perms.is_seller_of)
    form = DeliveryForm()
    if not form.validate_on_submit():
        return invalid(order, "delivery_form", form)
    try:
        fulfilment.deliver(order, current_user, summary=form.summary.data,
                           invoice_number=form.invoice_number.data,
                           invoice_amount_fen=form.invoice_amount.data,
                           invoice_date=form.invoice_date.data)
        for upload in form.files.data or []:
            if upload and upload.filename:
                documents.add_document(order, current_user,
                                       kind=OrderDocumentKind.DELIVERABLE,
                                       stream=upload.stream, original_name=upload.filename,
                                       field="files")
    except DomainError as error:
        return refused(order, "delivery_form", form, error)
    return _done(order, _("The delivery is recorded. The firm is asked to accept it."))


@bp.route("/orders/<int:order_id>/acceptance", methods=["POST"])
@access(is_firm_member)
@idempotent_form
def accept(order_id):
    order = order_for(order_id, perms.is_buyer_of)
    form = AcceptanceForm()
    if not form.validate_on_submit():
        return invalid(order, "acceptance_form", form)
    try:
        claim = fulfilment.accept(order, current_user)
    except DomainError as error:
        return refused(order, "acceptance_form", form, error)
    if claim is not None:
        return _done(order, _("The delivery is accepted. The redemption claim for the "
                              "voucher part is created."))
    return _done(order, _("The delivery is accepted."))


@bp.route("/orders/<int:order_id>/dispute", methods=["POST"])
@access(is_firm_member)
def dispute(order_id):
    order = order_for(order_id, perms.is_buyer_of)
    form = DisputeForm()
    if not form.validate_on_submit():
        return invalid(order, "dispute_form", form)
    try:
        fulfilment.dispute(order, current_user, form.reason.data)
    except DomainError as error:
        return refused(order, "dispute_form", form, error)
    return _done(order, _("Your dispute is recorded. The bureau will mediate."))


@bp.route("/orders/<int:order_id>/cancellation", methods=["POST"])
@access(is_organisation_member)
@idempotent_form
def request_cancellation(order_id):
    order = order_for(order_id, either_party)
    form = CancellationForm()
    if not form.validate_on_submit():
        return invalid(order, "cancellation_form", form)
    try:
        fulfilment.request_cancellation(order, current_user, form.reason.data)
    except DomainError as error:
        return refused(order, "cancellation_form", form, error)
    if order.status == OrderStatus.CANCELLED:
        return _done(order, _("The order is cancelled."))
    return _done(order, _("Your request to cancel is sent to the other side."))


@bp.route("/orders/<int:order_id>/cancellation/answer", methods=["POST"])
@access(is_organisation_member)
@idempotent_form
def answer_cancellation(order_id):
    order = order_for(order_id, either_party)
    form = CancellationAnswerForm()
    if not form.validate_on_submit():
        return invalid(order, "answer_form", form)
    agree = form.decision.data == "agree"
    try:
        fulfilment.answer_cancellation(order, current_user, agree)
    except DomainError as error:
        return refused(order, "answer_form", form, error)
    if agree:
        return _done(order, _("The order is cancelled. The voucher reservation is released "
                              "and a paid co-pay is refunded."))
    return _done(order, _("You declined the cancellation. The order goes on."))


@bp.route("/orders/<int:order_id>/mediation", methods=["POST"])
@access(perms.can_mediate_orders)
@idempotent_form
def mediate(order_id):
    order = order_for(order_id, perms.can_mediate_orders)
    form = MediationForm()
    if not form.validate_on_submit():
        return invalid(order, "mediation_form", form)
    try:
        fulfilment.mediate(order, current_user, form.outcome.data, form.note.data)
    except DomainError as error:
        return refused(order, "mediation_form", form, error)
    return _done(order, _("The mediation is recorded and both parties are told."))


@bp.route("/orders/<int:order_id>/rating", methods=["POST"])
@access(is_firm_member)
def rate(order_id):
    order = order_for(order_id, perms.is_buyer_of)
    form = RatingForm()
    if not form.validate_on_submit():
        return invalid(order, "rating_form", form)
    try:
        fulfilment.rate(order, current_user, form.stars.data, form.comment.data or "")
    except DomainError as error:
        return refused(order, "rating_form", form, error)
    return _done(order, _("Thank you for rating the agency."))
