"""Order pages: a firm orders an offering, both parties and the bureau follow the order
on one page (its timeline, quote, contract, payment, delivery, documents, claim) with
the forms of the next step for the viewer's side. The steps' POST endpoints are in
``marketplace.orders.steps``."""
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.permissions import is_organisation_member
from marketplace.catalogue.models import Offering
from marketplace.catalogue.permissions import can_view_offering
from marketplace.core import storage
from marketplace.core.errors import DomainError
from marketplace.core.labels import label
from marketplace.core.permissions import access, is_authenticated, require_visible
from marketplace.core.signals import answers
from marketplace.core.web import apply_domain_error, page_argument
from marketplace.extensions import db
from marketplace.orders import documents, queries
from marketplace.orders import permissions as perms
from marketplace.orders import services, signals
from marketplace.orders.forms import (NO_VOUCHER, AcceptanceForm, CancellationAnswerForm,
                                      CancellationForm, ContractForm, DeliveryForm,
                                      DisputeForm, DocumentForm, MediationForm,
                                      OrderRequestForm, PaymentForm, QuoteForm, RatingForm)
from marketplace.orders.fulfilment import party_of
from marketplace.orders.models import (CANCELLABLE_STATUSES, Order, OrderDocument,
                                       OrderStatus)
from marketplace.technology_fields.services import field_label, suggested_field
from marketplace.vouchers.permissions import can_view_voucher

bp = Blueprint("orders", __name__)

PER_PAGE = 20

# what the viewer's side does next: (side, status) -> text
NEXT_STEPS = {
    ("firm", "requested"): _l("The agency is preparing its quote."),
    ("agency", "requested"): _l("Send the firm your quote."),
    ("firm", "quoted"): _l("Check the quote, choose a voucher and sign the contract."),
    ("agency", "quoted"): _l("The firm is considering your quote. You can still change it "
                             "until the firm signs."),
    ("firm", "contracted"): _l("Pay your co-pay by card."),
    ("agency", "contracted"): _l("Waiting for the firm's co-pay."),
    ("firm", "paid"): _l("The agency is working on the delivery."),
    ("agency", "paid"): _l("Deliver the work with its invoice."),
    ("firm", "delivered"): _l("Check the delivery, then accept it or raise a dispute."),
    ("agency", "delivered"): _l("Waiting for the firm to accept the delivery."),
    ("firm", "disputed"): _l("The bureau is mediating the dispute."),
    ("agency", "disputed"): _l("The bureau is mediating the dispute."),
    ("bureau", "disputed"): _l("Mediate the dispute."),
    ("firm", "accepted"): _l("The order is complete."),
    ("agency", "accepted"): _l("The order is complete."),
}


# --- loading an order for the current user ---------------------------------------------

def visible_order(order_id):
    """The order, or 404 for anyone who may not see it (its existence is not disclosed)."""
    order = db.session.get(Order, order_id)
    require_visible(perms.can_view_order, order)
    return order


def order_for(order_id, rule):
    """The order for a step only ``rule``'s side takes: 404 unseen, 403 the wrong side."""
    order = visible_order(order_id)
    if not rule(current_user, order):
        abort(403)
    return order


def refused(order, form_name, form, error):
    """Roll back a refused step and show the page again with the form as it was typed."""
    db.session.rollback()
    apply_domain_error(form, error)
    return render_order(db.session.get(Order, order.id), status=error.status,
                        **{form_name: form})


def invalid(order, form_name, form):
    """The form did not validate: the page again, with the errors beside the fields."""
    return render_order(order, status=422, **{form_name: form})


# --- the page ---------------------------------------------------------------------------

def _blank(form_class):
    return form_class(formdata=None)


def contract_form_for(order, options, form=None):
    """The contract form with one choice per voucher that can pay (first one chosen)."""
    usable = [o for o in options if o.split is not None]
    if form is None:
        form = _blank(ContractForm)
        form.voucher_id.data = str(usable[0].voucher.id) if usable else NO_VOUCHER
        quote = order.current_quote
        form.quote_id.data = str(quote.id) if quote is not None else ""
    form.voucher_id.choices = [(str(o.voucher.id), o.voucher.programme.name) for o in usable] \
        + [(NO_VOUCHER, _("No voucher: you pay the whole contract"))]
    return form


def document_form_for(order, form=None):
    form = _blank(DocumentForm) if form is None else form
    form.kind.choices = [(kind.value, label(kind.value))
                         for kind in documents.kinds_for(current_user, order)]
    return form


def _side(order):
    side = party_of(current_user, order)
    if side is None and perms.can_mediate_orders(current_user):
        return "bureau"
    return side


def render_order(order, status=200, **forms):
    """The order page. ``forms`` replace the blank form of the same name (a refused
    form keeps what was typed); ``client_secret`` asks Stripe.js to finish a payment."""
    client_secret = forms.pop("client_secret", None)
    side = _side(order)
    quote, contract = order.current_quote, order.contract
    options = queries.voucher_options(order) \
        if side == "firm" and order.status == OrderStatus.QUOTED else []
    quote_form = forms.get("quote_form")
    if quote_form is None:
        quote_form = _blank(QuoteForm)
        if quote is not None:
            quote_form.fill_from(quote)
        else:
            quote_form.field_code.data = suggested_field(order.offering.category)
    payment, copay_fen, held_fen = queries.payment_state(order)
    context = {
        "order": order, "side": side, "quote": quote, "contract": contract,
        "field_label": field_label,
        "delivery": order.delivery, "next_step": NEXT_STEPS.get((side, order.status.value)),
        "timeline": queries.timeline(order), "documents": documents.documents_of(order),
        # the domains above add their part (the claims domain: the redemption claim)
        "claim": None, "claim_link": False,
        "rating": queries.rating_of(order),
        "rule_version": queries.rule_version_of(contract),
        "payment": payment, "payment_text": queries.PAYMENT_STATES[payment],
        "copay_fen": copay_fen, "held_fen": held_fen, "options": options,
        "option_map": {str(o.voucher.id): o for o in options if o.split is not None},
        "cancellable": order.status in CANCELLABLE_STATUSES,
        "voucher_link": bool(contract and contract.voucher_id
                             and can_view_voucher(current_user, contract.voucher)),
        "client_secret": client_secret,
        "stripe_js_url": current_app.config.get("STRIPE_JS_URL"),
        "stripe_key": current_app.config.get("STRIPE_PUBLISHABLE_KEY"),
        "quote_form": quote_form,
        "contract_form": contract_form_for(order, options, forms.get("contract_form")),
        "document_form": document_form_for(order, forms.get("document_form")),
    }
    for values in answers(signals.order_page, order, user=current_user):
        context.update(values)
    for name, form_class in (("payment_form", PaymentForm), ("delivery_form", DeliveryForm),
                             ("acceptance_form", AcceptanceForm),
                             ("dispute_form", DisputeForm),
                             ("cancellation_form", CancellationForm),
                             ("answer_form", CancellationAnswerForm),
                             ("mediation_form", MediationForm),
                             ("rating_form", RatingForm)):
        context[name] = forms[name] if name in forms else _blank(form_class)
    return render_template("orders/order.html", **context), status


@bp.route("/orders/<int:order_id>")
@access(is_authenticated)
def order_page(order_id):
    return render_order(visible_order(order_id))


# --- the list -----------------------------------------------------------------------------

@bp.route("/orders")
@access(perms.can_list_orders)
def orders_list():
    status = request.args.get("status", "all")
    chosen = queries.status_argument(status)
    pagination = db.paginate(queries.orders_for(current_user, chosen), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template("orders/list.html", pagination=pagination,
                           status=status if chosen else "all", statuses=list(OrderStatus))


# --- ordering an offering ---------------------------------------------------------------

@bp.route("/offerings/<int:offering_id>/order", methods=["GET", "POST"])
@access(perms.can_place_order)
def new_order(offering_id):
    offering = db.session.get(Offering, offering_id)
    require_visible(can_view_offering, offering)
    form = OrderRequestForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                order = services.request_order(firm_member=current_user, offering=offering,
                                               message=form.message.data)
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
                status = error.status
                offering = db.session.get(Offering, offering_id)
            else:
                db.session.commit()
                flash(_("Your request is sent. The agency will answer with a quote."),
                      "success")
                return redirect(url_for("orders.order_page", order_id=order.id))
    return render_template("orders/new.html", form=form, offering=offering), status


# --- documents ----------------------------------------------------------------------------

@bp.route("/orders/<int:order_id>/documents", methods=["POST"])
@access(is_organisation_member)
def upload_document(order_id):
    order = order_for(order_id, perms.is_buyer_of | perms.is_seller_of)
    form = document_form_for(order, DocumentForm())
    if not form.validate_on_submit():
        return invalid(order, "document_form", form)
    try:
        documents.add_document(order, current_user, kind=form.kind.data,
                               stream=form.file.data.stream,
                               original_name=form.file.data.filename)
    except DomainError as error:
        return refused(order, "document_form", form, error)
    db.session.commit()
    flash(_("The document is uploaded."), "success")
    return redirect(url_for("orders.order_page", order_id=order.id) + "#documents")


@bp.route("/orders/<int:order_id>/documents/<int:document_id>")
@access(is_authenticated)
def download_document(order_id, document_id):
    order = visible_order(order_id)
    document = db.session.get(OrderDocument, document_id)
    if document is None or document.order_id != order.id:
        abort(404)
    return storage.send_stored(document.storage_name, document.content_type,
                               document.original_name)


from marketplace.orders import steps  # noqa: E402,F401  (the steps' endpoints on bp)
from marketplace.orders import document_views  # noqa: E402,F401  (the contract document's)
