"""Access-matrix rows of the order pages and the order API (see access_rows/__init__.py).

Objects (built into ``world.extra`` under ``orders_*`` keys): the agency of agency_owner is
admitted with a published offering; firm_owner has ordered it and it is quoted
(``firm``); the outsider's firm has a quoted order with another agency (``other_firm``);
``missing`` is an id that does not exist. A second, contracted order on each side holds a
signed contract PDF (the ``firm`` / ``other_firm`` documents).

HTML forms are posted empty: a step's form answers 422; the steps that move money answer
400 first (``@idempotent_form``: no one-time token), and so do the API operations that
take an ``Idempotency-Key`` and are sent none. Valid JSON bodies reach the services.
"""
import io
from datetime import date, timedelta

from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.orders import documents, services
from marketplace.orders import permissions as order_perms
from tests.factories import PDF_BYTES, make_agency_profile, make_offering, make_quoted_order
from tests.support.access import (ADMIN, AGENCY_OWNER, AUDITOR, FIRM_MEMBER,  # noqa: F401
                                  FIRM_MEMBERS, FIRM_ONLY, FIRM_OWNER, LOGIN, MEMBERS,
                                  MISSING_ID, NO_TOKEN, OTHERS, REVIEWERS, SUPERVISOR,
                                  VISITOR, by_object)

BUREAU = (AUDITOR, SUPERVISOR, ADMIN)


def _step(actors, status, outsider=404):
    """A step for ``actors`` only: ``status`` on the firm's order, 404 on another's."""
    return by_object(
        firm={VISITOR: LOGIN, actors: status, OTHERS: 403},
        other_firm={VISITOR: LOGIN, actors: outsider, OTHERS: 403},
        missing={VISITOR: LOGIN, actors: 404, OTHERS: 403})


def _money_step(actors):
    """No one-time token: refused before the order is looked at."""
    return {VISITOR: LOGIN, actors: 400, OTHERS: 403}


def _api_step(actors, status):
    return by_object(
        firm={**NO_TOKEN, actors: status, OTHERS: 403},
        other_firm={**NO_TOKEN, actors: 404, OTHERS: 403},
        missing={**NO_TOKEN, actors: 404, OTHERS: 403})


SEEN_BY_PARTIES = {VISITOR: LOGIN, FIRM_MEMBERS: 200, AGENCY_OWNER: 200, REVIEWERS: 200,
                   ADMIN: 200, OTHERS: 404}
SEEN_BY_BUREAU = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 404}

EXPECTED = {
    ("orders.orders_list", "GET"):          {VISITOR: LOGIN, MEMBERS: 200, REVIEWERS: 200,
                                             ADMIN: 200, OTHERS: 403},
    ("orders.new_order", "GET"): by_object(
        existing=                           FIRM_ONLY,
        missing=                            {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403}),
    ("orders.new_order", "POST"): by_object(
        existing=                           {VISITOR: LOGIN, FIRM_MEMBERS: 422, OTHERS: 403},
        missing=                            {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403}),
    ("orders.order_page", "GET"): by_object(
        firm=                               SEEN_BY_PARTIES,
        other_firm=                         SEEN_BY_BUREAU,
        missing=                            {VISITOR: LOGIN, OTHERS: 404}),
    ("orders.submit_quote", "POST"):        _step(AGENCY_OWNER, 422),
    ("orders.sign_contract", "POST"):       _money_step(FIRM_MEMBERS),
    ("orders.pay", "POST"):                 _money_step(FIRM_MEMBERS),
    # nothing to look at on a quoted order: back to the page
    ("orders.refresh_payment", "POST"):     _step(FIRM_MEMBERS, 302),
    ("orders.deliver", "POST"):             _step(AGENCY_OWNER, 422),
    ("orders.accept", "POST"):              _money_step(FIRM_MEMBERS),
    ("orders.dispute", "POST"):             _step(FIRM_MEMBERS, 422),
    ("orders.request_cancellation", "POST"): _money_step(MEMBERS),
    ("orders.answer_cancellation", "POST"): _money_step(MEMBERS),
    ("orders.mediate", "POST"):             _money_step(AUDITOR),
    ("orders.rate", "POST"):                _step(FIRM_MEMBERS, 422),
    ("orders.upload_document", "POST"):     _step(MEMBERS, 422),
    ("orders.download_document", "GET"): by_object(
        firm=                               SEEN_BY_PARTIES,
        other_firm=                         SEEN_BY_BUREAU,
        missing=                            {VISITOR: LOGIN, OTHERS: 404}),
    # the API
    ("api.create_order", "POST"):           {**NO_TOKEN, FIRM_MEMBERS: 201, OTHERS: 403},
    ("api.list_orders", "GET"):             {**NO_TOKEN, MEMBERS: 200, REVIEWERS: 200,
                                             ADMIN: 200, OTHERS: 403},
    ("api.get_order", "GET"): by_object(
        firm=                               {**NO_TOKEN, FIRM_MEMBERS: 200, AGENCY_OWNER: 200,
                                             REVIEWERS: 200, ADMIN: 200, OTHERS: 404},
        other_firm=                         {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200,
                                             OTHERS: 404},
        missing=                            {**NO_TOKEN, OTHERS: 404}),
    ("api.quote_order", "POST"):            _api_step(AGENCY_OWNER, 200),
    # without an Idempotency-Key header: 400 before the order is looked at
    ("api.sign_order_contract", "POST"):    {**NO_TOKEN, FIRM_MEMBERS: 400, OTHERS: 403},
    ("api.pay_order", "POST"):              {**NO_TOKEN, FIRM_MEMBERS: 400, OTHERS: 403},
    ("api.cancel_order", "POST"):           {**NO_TOKEN, MEMBERS: 400, OTHERS: 403},
    ("api.answer_order_cancellation", "POST"): {**NO_TOKEN, MEMBERS: 400, OTHERS: 403},
    # the firm's order is only quoted: delivering, accepting, disputing are refused (409)
    ("api.deliver_order", "POST"):          _api_step(AGENCY_OWNER, 409),
    ("api.accept_order", "POST"):           _api_step(FIRM_MEMBERS, 409),
    ("api.dispute_order", "POST"):          _api_step(FIRM_MEMBERS, 409),
}


def _order_id(world, role, variant):
    if variant == "missing":
        return {"order_id": MISSING_ID}
    return {"order_id": world.extra[f"orders_{variant or 'firm'}"].id}


def _document(world, role, variant):
    if variant == "missing":
        return {"order_id": world.extra["orders_firm_document"].order_id,
                "document_id": MISSING_ID}
    document = world.extra[f"orders_{variant}_document"]
    return {"order_id": document.order_id, "document_id": document.id}


URL_VALUES = {
    endpoint: _order_id for endpoint in (
        "orders.order_page", "orders.submit_quote", "orders.sign_contract", "orders.pay",
        "orders.refresh_payment", "orders.deliver", "orders.accept", "orders.dispute",
        "orders.request_cancellation", "orders.answer_cancellation", "orders.mediate",
        "orders.rate", "orders.upload_document", "api.get_order", "api.quote_order",
        "api.sign_order_contract", "api.pay_order", "api.deliver_order", "api.accept_order",
        "api.dispute_order", "api.cancel_order", "api.answer_order_cancellation")}
URL_VALUES["orders.download_document"] = _document
URL_VALUES["orders.new_order"] = lambda w, r, v: {
    "offering_id": MISSING_ID if v == "missing" else w.extra["orders_offering"].id}

IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()
BODIES = {
    "api.create_order": lambda w, r: {"offering_id": w.extra["orders_offering"].id,
                                      "message": "请为我们的新涂层做材料检测"},
    "api.quote_order": lambda w, r: {"contract_type": "service",
                                     "contract_amount_fen": 60_000_00,
                                     "technical_amount_fen": 50_000_00,
                                     "deliverables": "检测报告", "due_date": IN_A_MONTH},
    "api.deliver_order": lambda w, r: {"summary": "检测报告已交付",
                                       "invoice_number": "INV-MATRIX-1",
                                       "invoice_amount_fen": 60_000_00,
                                       "invoice_date": date.today().isoformat()},
    "api.dispute_order": lambda w, r: {"reason": "报告缺少检测数据"},
}


def needs(app, endpoint):
    return endpoint.startswith("orders.") or \
        app.view_functions[endpoint].__module__ == "marketplace.api.orders"


def _signed_copy(order, member):
    services.sign_contract(order, member)
    return documents.add_document(order, member, kind="signed_contract",
                                  stream=io.BytesIO(PDF_BYTES), original_name="合同.pdf")


def build(world):
    if "orders_firm" in world.extra:
        return
    firm_owner, outsider = world.users[FIRM_OWNER], world.outsider
    profile = make_agency_profile(world.users[AGENCY_OWNER], status="admitted",
                                  auditor=world.users[AUDITOR])
    offering = make_offering(profile)
    other_offering = make_offering()
    world.extra.update(
        orders_offering=offering,
        orders_firm=make_quoted_order(offering, firm_owner),
        orders_other_firm=make_quoted_order(other_offering, outsider),
        orders_firm_document=_signed_copy(make_quoted_order(offering, firm_owner),
                                          firm_owner),
        orders_other_firm_document=_signed_copy(make_quoted_order(other_offering, outsider),
                                                outsider))
    db.session.commit()
    # the notifications these steps queue are not what is tested here (see add_vouchers)
    outbox._committed_ids.set(None)


PREDICATE_MODULES = (order_perms,)
PARTIES_AND_BUREAU = {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER, *BUREAU}
PREDICATE_TABLE = {
    ("can_place_order", None):                  {FIRM_OWNER, FIRM_MEMBER},
    ("is_buyer_of", "orders_firm"):             {FIRM_OWNER, FIRM_MEMBER},
    ("is_buyer_of", "orders_other_firm"):       set(),
    ("is_buyer_of", None):                      set(),
    ("is_seller_of", "orders_firm"):            {AGENCY_OWNER},
    ("is_seller_of", "orders_other_firm"):      set(),
    ("is_seller_of", None):                     set(),
    ("can_view_order", "orders_firm"):          PARTIES_AND_BUREAU,
    ("can_view_order", "orders_other_firm"):    set(BUREAU),
    ("can_view_order", None):                   set(),
    ("can_list_orders", None):                  PARTIES_AND_BUREAU,
    ("can_mediate_orders", None):               {AUDITOR},
}
PREDICATE_OBJECTS = {
    "orders_firm": lambda w, r: w.extra["orders_firm"],
    "orders_other_firm": lambda w, r: w.extra["orders_other_firm"],
}
