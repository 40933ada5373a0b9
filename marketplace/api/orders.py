"""API of the order flow, over the same services as the order pages. Each party sees and
acts on its own orders (others get 404); the bureau reads them all."""
from datetime import date
from typing import Literal

from flask import g, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import defaultload

from marketplace.accounts.permissions import is_agency_member, is_firm_member
from marketplace.agencies.models import AgencyProfile
from marketplace.api.errors import domain_error_response, error_response
from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import Fen, Flag, Id, PositiveFen, named_in_body, one_of, operation
from marketplace.api.views import bp
from marketplace.catalogue.models import Offering
from marketplace.catalogue.permissions import can_view_offering
from marketplace.core.errors import PermissionDenied
from marketplace.core.permissions import is_authenticated, require_visible
from marketplace.extensions import db
from marketplace.claims.order_events import claim_of_order
from marketplace.orders import fulfilment, queries, services
from marketplace.orders import permissions as perms
from marketplace.orders.models import ContractType, Order, OrderStatus

TEXT = 5000
either_party = is_firm_member | is_agency_member

# --- the models ---------------------------------------------------------------------------


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offering_id: Id
    message: str = Field(min_length=1, max_length=TEXT)


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract_type: one_of(ContractType)
    contract_amount_fen: PositiveFen
    technical_amount_fen: Fen
    deliverables: str = Field(min_length=1, max_length=TEXT)
    due_date: date
    field_code: str | None = Field(default=None, min_length=1, max_length=40, description=(
        "The technology field (GET /api/v1/technology-fields); the offering's category "
        "suggests one when omitted."))


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voucher_id: Id | None = None
    quote_id: Id | None = Field(default=None, description=(
        "The quote the firm accepts (GET /orders/{id}: quote.id); when it is no longer "
        "the order's current quote, 409 quote_changed and nothing is signed; an id that "
        "is no quote of this order, 404 naming quote_id."))


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payment_method: str = Field(min_length=4, max_length=255,
                                pattern=r"^(pm|card|src)_[A-Za-z0-9_]+$",
                                description="A PaymentMethod id from Stripe.js (pm_…).")


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(min_length=1, max_length=TEXT)
    invoice_number: str = Field(min_length=1, max_length=40)
    invoice_amount_fen: PositiveFen
    invoice_date: date


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agree: Flag


class OrderQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: one_of(OrderStatus) | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class StatusOut(BaseModel):
    id: int
    status: one_of(OrderStatus)


class QuoteOut(BaseModel):
    id: int
    contract_type: one_of(ContractType)
    contract_amount_fen: int
    technical_amount_fen: int
    deliverables: str
    due_date: date
    field_code: str


class ContractOut(BaseModel):
    id: int
    number: str
    contract_type: one_of(ContractType)
    field_code: str
    contract_amount_fen: int
    technical_amount_fen: int
    voucher_id: int | None
    voucher_part_fen: int
    copay_fen: int
    rule_version_id: int | None
    signed_on: date
    due_date: date
    is_cancelled: bool


class DeliveryOut(BaseModel):
    summary: str
    invoice_number: str
    invoice_amount_fen: int
    invoice_date: date


class OrderOut(BaseModel):
    id: int
    status: one_of(OrderStatus)
    firm_id: int
    agency_id: int
    offering_id: int
    message: str
    is_flagged: bool
    cancel_requested_by: Literal["firm", "agency"] | None
    quote: QuoteOut | None
    contract: ContractOut | None
    delivery: DeliveryOut | None
    claim_id: int | None
    created_dt: Timestamp
    updated_dt: Timestamp


class OrderList(BaseModel):
    items: list[OrderOut]
    total: int
    page: int
    per_page: int


class QuotedOut(StatusOut):
    quote_id: int


class ContractedOut(StatusOut):
    voucher_part_fen: int
    copay_fen: int


class PaymentOut(BaseModel):
    status: Literal["succeeded", "requires_action", "processing"]
    payment_intent_id: str | None
    client_secret: str | None


class AcceptedOut(StatusOut):
    claim_id: int | None


class CancellationOut(StatusOut):
    cancel_requested_by: Literal["firm", "agency"] | None


# --- JSON -------------------------------------------------------------------------------

def order_json(order):
    claim = claim_of_order(order)
    return answer(OrderOut, order, quote=order.current_quote,
                  claim_id=claim.id if claim else None)


def _order(order_id, side=None, load=None):
    """The order for the token's user: 404 unseen, 403 seen but not theirs to act on.
    ``load(order_id)`` replaces the plain load (signing locks the order as it loads it)."""
    order = load(order_id) if load is not None else db.session.get(Order, order_id)
    require_visible(perms.can_view_order, order, user=g.api_user)
    if side is not None and not side(g.api_user, order):
        raise PermissionDenied(details={"rule": side.name})
    return order


def _status(order, model=StatusOut, **extra):
    return jsonify(answer(model, order, **extra))


# --- the operations ---------------------------------------------------------------------

@operation(bp, "/orders", "POST", tag="orders", summary="Order an offering (firm members)",
           body=OrderIn, responses={201: StatusOut}, rule=perms.can_place_order,
           errors=(404, 409))
def create_order(body):
    offering = named_in_body(Offering, body.offering_id, field="offering_id",
                             rule=can_view_offering)
    order = services.request_order(firm_member=g.api_user, offering=offering,
                                   message=body.message)
    db.session.commit()
    return _status(order), 201


@operation(bp, "/orders", "GET", tag="orders",
           summary="Orders: a firm's or an agency's own, the bureau's all (newest first)",
           query=OrderQuery, responses={200: OrderList}, rule=perms.can_list_orders)
def list_orders(query):
    statement = queries.orders_for(g.api_user, queries.status_argument(query.status))
    page = db.paginate(statement, page=query.page, per_page=query.per_page, error_out=False)
    return jsonify(answer(OrderList, items=[order_json(o) for o in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/orders/<int:order_id>", "GET", tag="orders", summary="One order",
           responses={200: OrderOut}, rule=is_authenticated)
def get_order(order_id):
    return jsonify(order_json(_order(order_id)))


@operation(bp, "/orders/<int:order_id>/quote", "POST", tag="orders",
           summary="Quote for an order (its agency); a new quote replaces the last",
           body=QuoteIn, responses={200: QuotedOut}, rule=is_agency_member, errors=(409,))
def quote_order(order_id, body):
    order = _order(order_id, perms.is_seller_of)
    quote = services.submit_quote(order, g.api_user, contract_type=body.contract_type,
                                  contract_amount_fen=body.contract_amount_fen,
                                  technical_amount_fen=body.technical_amount_fen,
                                  deliverables=body.deliverables, due_date=body.due_date,
                                  field_code=body.field_code)
    db.session.commit()
    return _status(order, QuotedOut, quote_id=quote.id)


def _locked_for_signing(order_id):
    """The order under its row lock with its quotes, in one statement (signing needs both;
    lock_order then has nothing left to do), without the agency's service categories,
    which signing never reads (neither for order.agency nor for order.offering.agency)."""
    return services.load_locked_order(
        order_id, defaultload(Order.agency).lazyload(AgencyProfile.categories),
        defaultload(Order.offering).defaultload(Offering.agency)
        .lazyload(AgencyProfile.categories))


@operation(bp, "/orders/<int:order_id>/contract", "POST", tag="orders",
           summary="Accept the quote and sign the contract, a voucher paying its part "
                   "(the firm); with no co-pay left the order is paid at once",
           body=ContractIn, responses={200: ContractedOut}, rule=is_firm_member,
           errors=(409,), idempotency_key=True)
def sign_order_contract(order_id, body):
    order = _order(order_id, perms.is_buyer_of, load=_locked_for_signing)
    # The voucher is checked where it is locked: only the order's firm's (the user's, as
    # is_buyer_of holds) is read; any other id answers 404 naming voucher_id, as
    # named_in_body would, without a read of its own.
    contract = services.sign_contract(order, g.api_user, voucher_id=body.voucher_id,
                                      quote_id=body.quote_id)
    # The answer is made before the commit, which expires the order and the contract:
    # made after, it would re-read both to say what we already know.
    response = _status(order, ContractedOut, voucher_part_fen=contract.voucher_part_fen,
                       copay_fen=contract.copay_fen)
    db.session.commit()
    return response


@operation(bp, "/orders/<int:order_id>/payment", "POST", tag="orders",
           summary="Pay the co-pay with a Stripe PaymentMethod (the firm)", body=PaymentIn,
           responses={200: PaymentOut}, rule=is_firm_member, errors=(402, 409, 502, 503),
           idempotency_key=True)
def pay_order(order_id, body):
    from marketplace.orders.payment import pay_copay   # the gateway's side, by the lead

    order = _order(order_id, perms.is_buyer_of)
    # the steps commit in turn: the gateway is called holding no row lock
    result = pay_copay(order, g.api_user, payment_method=body.payment_method,
                       idempotency_key=request.headers["Idempotency-Key"],
                       commit=db.session.commit)
    db.session.commit()     # a declined attempt is kept for the record too
    if result.status == "failed":
        error = getattr(result, "error", None)
        if error is not None:
            return domain_error_response(error)
        return error_response(402, "payment_failed", _("The payment did not go through."))
    return jsonify(answer(PaymentOut, status=result.status,
                          payment_intent_id=getattr(result, "payment_intent_id", None),
                          client_secret=getattr(result, "client_secret", None)
                          if result.status == "requires_action" else None))


@operation(bp, "/orders/<int:order_id>/delivery", "POST", tag="orders",
           summary="Deliver with the invoice (the agency)", body=DeliveryIn,
           responses={200: StatusOut}, rule=is_agency_member, errors=(409,))
def deliver_order(order_id, body):
    order = _order(order_id, perms.is_seller_of)
    fulfilment.deliver(order, g.api_user, summary=body.summary,
                       invoice_number=body.invoice_number,
                       invoice_amount_fen=body.invoice_amount_fen,
                       invoice_date=body.invoice_date)
    db.session.commit()
    return _status(order)


@operation(bp, "/orders/<int:order_id>/acceptance", "POST", tag="orders",
           summary="Accept the delivery (the firm): the claim for the voucher part is "
                   "created and the held co-pay released to the agency",
           responses={200: AcceptedOut}, rule=is_firm_member, errors=(409,))
def accept_order(order_id):
    order = _order(order_id, perms.is_buyer_of)
    claim = fulfilment.accept(order, g.api_user)
    db.session.commit()
    return _status(order, AcceptedOut, claim_id=claim.id if claim else None)


@operation(bp, "/orders/<int:order_id>/dispute", "POST", tag="orders",
           summary="Dispute the delivery (the firm); an auditor mediates", body=ReasonIn,
           responses={200: StatusOut}, rule=is_firm_member, errors=(409,))
def dispute_order(order_id, body):
    order = _order(order_id, perms.is_buyer_of)
    fulfilment.dispute(order, g.api_user, body.reason)
    db.session.commit()
    return _status(order)


@operation(bp, "/orders/<int:order_id>/cancellation", "POST", tag="orders",
           summary="Cancel (before a contract) or ask the other party to cancel",
           body=ReasonIn, responses={200: CancellationOut}, rule=either_party,
           errors=(409,), idempotency_key=True)
def cancel_order(order_id, body):
    order = _order(order_id, perms.is_buyer_of | perms.is_seller_of)
    fulfilment.request_cancellation(order, g.api_user, body.reason)
    db.session.commit()
    return _status(order, CancellationOut)


@operation(bp, "/orders/<int:order_id>/cancellation/answer", "POST", tag="orders",
           summary="Agree to or decline the other party's request to cancel",
           body=AnswerIn, responses={200: CancellationOut}, rule=either_party,
           errors=(409,), idempotency_key=True)
def answer_order_cancellation(order_id, body):
    order = _order(order_id, perms.is_buyer_of | perms.is_seller_of)
    fulfilment.answer_cancellation(order, g.api_user, body.agree)
    db.session.commit()
    return _status(order, CancellationOut)
