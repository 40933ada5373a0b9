"""The order endpoints of the JSON API up to the co-pay: placing, reading and listing
orders, the quote, the contract (Idempotency-Key) and the payment; each answer's exact
shape, each refusal's status and code, and what the services stored."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace import funds
from marketplace.accounts.models import Role
from marketplace.catalogue import services as catalogue
from marketplace.claims.models import Claim
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order, OrderStatus, TechContract
from marketplace.payments.models import Payment
from marketplace.vouchers import services as vouchers
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_offering, make_quoted_order)
from tests.integration.orders.order_world import (accepted, agency_member, committed,  # noqa: F401
                                                  firm_member, gateway_down, offering,
                                                  quoted, reload, signed, voucher)
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import token_for
from tests.support.stripe import DECLINED, THREE_D_SECURE_CARD, VISA

IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()


# --- placing and reading orders ---------------------------------------------------------

def test_a_boolean_where_the_document_says_integer_is_refused_not_read_as_1(
        client, offering, firm_member):
    """pydantic's lax mode would read ``true`` as offering 1; the body's integers are
    strict (every field of every operation: tests/integration/test_api_edge.py)."""
    for _attempt in range(2):
        response = client.post(f"{PREFIX}/orders", headers=token_for(firm_member),
                               json={"offering_id": True, "message": "Please quote"})
        assert response.status_code == 422
        assert response.get_json()["error"]["details"]["fields"] == [
            {"loc": ["offering_id"], "msg": "Input should be a valid integer",
             "type": "int_type"}]
    assert db.session.execute(select(Order)).first() is None


def test_a_firm_places_an_order(client, offering, firm_member):
    response = client.post(f"{PREFIX}/orders", headers=token_for(firm_member),
                           json={"offering_id": offering.id, "message": "Please quote"})
    order = db.session.execute(select(Order)).scalar_one()
    assert response.status_code == 201
    assert response.get_json() == {"id": order.id, "status": "requested"}
    assert (order.firm_id, order.offering_id) == (firm_member.organisation_id, offering.id)


def test_an_order_needs_a_message_and_a_visible_offering(client, offering, firm_member,
                                                         agency_member):
    headers = token_for(firm_member)
    short = client.post(f"{PREFIX}/orders", headers=headers,
                        json={"offering_id": offering.id, "message": "Hi"})
    assert_error(short, 422, "validation_error")
    assert short.get_json()["error"]["details"] == {"field": "message"}
    assert_error(client.post(f"{PREFIX}/orders", headers=headers,
                             json={"offering_id": offering.id}), 422, "validation_error")
    catalogue.withdraw_offering(offering, agency_member)
    committed(offering)
    assert_error(client.post(f"{PREFIX}/orders", headers=headers,
                             json={"offering_id": offering.id, "message": "Please quote"}),
                 404, "not_found")


def test_only_firm_members_place_orders(client, offering, agency_member):
    assert_error(client.post(f"{PREFIX}/orders", headers=token_for(agency_member),
                             json={"offering_id": offering.id, "message": "Please quote"}),
                 403, "forbidden")


def test_an_order_reads_with_its_quote_contract_delivery_and_claim(client, quoted,
                                                                   firm_member, voucher):
    accepted(quoted, firm_member, voucher)
    response = client.get(f"{PREFIX}/orders/{quoted.id}", headers=token_for(firm_member))
    order = reload(quoted)
    contract, quote = order.contract, order.current_quote
    claim = db.session.execute(select(Claim)).scalar_one()
    assert response.status_code == 200
    assert response.get_json() == {
        "id": order.id, "status": "accepted", "firm_id": order.firm_id,
        "agency_id": order.agency_id, "offering_id": order.offering_id,
        "message": order.message, "is_flagged": False, "cancel_requested_by": None,
        "quote": {"id": quote.id, "contract_type": "service",
                  "contract_amount_fen": 100_000_00, "technical_amount_fen": 80_000_00,
                  "deliverables": quote.deliverables,
                  "due_date": quote.due_date.isoformat(),
                  "field_code": "advanced_manufacturing"},   # suggested by "testing"
        "contract": {"id": contract.id, "number": contract.number,
                     "contract_type": "service", "field_code": "advanced_manufacturing",
                     "contract_amount_fen": 100_000_00,
                     "technical_amount_fen": 80_000_00, "voucher_id": voucher.id,
                     "voucher_part_fen": 50_000_00, "copay_fen": 50_000_00,
                     "rule_version_id": voucher.programme.current_rules_id,
                     "signed_on": date.today().isoformat(),
                     "due_date": contract.due_date.isoformat(), "is_cancelled": False},
        "delivery": {"summary": "Report delivered", "invoice_number": "INV-1",
                     "invoice_amount_fen": 100_000_00,
                     "invoice_date": date.today().isoformat()},
        "claim_id": claim.id,
        "created_dt": order.created_dt.isoformat(), "updated_dt": order.updated_dt.isoformat()}


def test_each_party_reads_its_own_orders_and_others_get_404(client, quoted, offering,
                                                            agency_member):
    stranger_firm, stranger_agency = FirmMemberFactory(), AgencyMemberFactory()
    committed(stranger_firm)
    assert client.get(f"{PREFIX}/orders/{quoted.id}",
                      headers=token_for(agency_member)).status_code == 200
    for stranger in (stranger_firm, stranger_agency):
        assert_error(client.get(f"{PREFIX}/orders/{quoted.id}", headers=token_for(stranger)),
                     404, "not_found")
    assert client.get(f"{PREFIX}/orders/{quoted.id}", headers=token_for(
        committed(UserFactory(role=Role.SUPERVISOR)))).status_code == 200


def test_the_list_is_newest_first_filtered_and_paged(client, quoted, offering, firm_member,
                                                     agency_member):
    newer = committed(services.request_order(firm_member=firm_member, offering=offering,
                                             message="A second request"))
    elsewhere = committed(make_quoted_order(make_offering(), FirmMemberFactory()))
    headers = token_for(firm_member)
    body = client.get(f"{PREFIX}/orders", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [newer.id, quoted.id]
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 20)
    assert set(body["items"][0]) == {"id", "status", "firm_id", "agency_id", "offering_id",
                                     "message", "is_flagged", "cancel_requested_by", "quote",
                                     "contract", "delivery", "claim_id", "created_dt",
                                     "updated_dt"}
    quoted_only = client.get(f"{PREFIX}/orders?status=quoted", headers=headers).get_json()
    assert [item["id"] for item in quoted_only["items"]] == [quoted.id]
    paged = client.get(f"{PREFIX}/orders?per_page=1&page=2", headers=headers).get_json()
    assert ([i["id"] for i in paged["items"]], paged["total"]) == ([quoted.id], 2)
    assert_error(client.get(f"{PREFIX}/orders?status=lost", headers=headers), 422,
                 "validation_error")
    auditor = committed(UserFactory(role=Role.AUDITOR))
    everything = client.get(f"{PREFIX}/orders", headers=token_for(auditor)).get_json()
    assert {i["id"] for i in everything["items"]} == {quoted.id, newer.id, elsewhere.id}
    expert = committed(UserFactory(role=Role.EXPERT))
    assert_error(client.get(f"{PREFIX}/orders", headers=token_for(expert)), 403, "forbidden")


# --- the quote ----------------------------------------------------------------------------

QUOTE = {"contract_type": "development", "contract_amount_fen": 150_000_00,
         "technical_amount_fen": 120_000_00, "deliverables": "Prototype and report",
         "due_date": IN_A_MONTH}


def test_the_agency_quotes_and_a_new_quote_replaces_the_last(client, quoted, agency_member):
    response = client.post(f"{PREFIX}/orders/{quoted.id}/quote",
                           headers=token_for(agency_member), json=QUOTE)
    order = reload(quoted)
    assert response.status_code == 200
    assert response.get_json() == {"id": order.id, "status": "quoted",
                                   "quote_id": order.current_quote.id}
    assert (len(order.quotes), order.current_quote.contract_amount_fen) == (2, 150_000_00)


@pytest.mark.parametrize("changes, status, code", [
    ({"technical_amount_fen": 150_000_01}, 422, "validation_error"),
    ({"due_date": date.today().isoformat()}, 422, "validation_error"),
    ({"contract_type": "gift"}, 422, "validation_error"),
    ({"contract_amount_fen": 0}, 422, "validation_error"),
])
def test_a_quote_out_of_bounds_is_refused(client, quoted, agency_member, changes, status,
                                          code):
    response = client.post(f"{PREFIX}/orders/{quoted.id}/quote",
                           headers=token_for(agency_member), json={**QUOTE, **changes})
    assert_error(response, status, code)
    assert len(reload(quoted).quotes) == 1


def test_the_firm_cannot_quote_and_another_agency_cannot_see(client, quoted, firm_member):
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/quote",
                             headers=token_for(firm_member), json=QUOTE), 403, "forbidden")
    stranger = committed(AgencyMemberFactory())
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/quote",
                             headers=token_for(stranger), json=QUOTE), 404, "not_found")


# --- the contract ---------------------------------------------------------------------------

def test_signing_reserves_the_voucher_part(client, quoted, firm_member, voucher):
    response = client.post(f"{PREFIX}/orders/{quoted.id}/contract",
                           headers=token_for(firm_member, "sign-1"),
                           json={"voucher_id": voucher.id})
    assert response.status_code == 200
    assert response.get_json() == {"id": quoted.id, "status": "contracted",
                                   "voucher_part_fen": 50_000_00, "copay_fen": 50_000_00}
    assert funds.figures.voucher_balances(voucher)["reserved_fen"] == 50_000_00
    assert ledger.violations() == []


def test_the_same_key_replays_the_first_answer_and_signs_once(client, quoted, firm_member,
                                                              voucher):
    headers = token_for(firm_member, "sign-twice")
    first = client.post(f"{PREFIX}/orders/{quoted.id}/contract", headers=headers,
                        json={"voucher_id": voucher.id})
    again = client.post(f"{PREFIX}/orders/{quoted.id}/contract", headers=headers,
                        json={"voucher_id": voucher.id})
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(db.session.execute(select(TechContract)).scalars().all()) == 1
    other_body = client.post(f"{PREFIX}/orders/{quoted.id}/contract", headers=headers,
                             json={"voucher_id": None})
    assert_error(other_body, 422, "idempotency_key_reused")


def test_signing_needs_an_idempotency_key(client, quoted, firm_member):
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/contract",
                             headers=token_for(firm_member), json={}),
                 400, "idempotency_key_missing")


def test_without_a_voucher_the_firm_pays_it_all(client, quoted, firm_member):
    response = client.post(f"{PREFIX}/orders/{quoted.id}/contract",
                           headers=token_for(firm_member, "sign-plain"), json={})
    assert response.get_json() == {"id": quoted.id, "status": "contracted",
                                   "voucher_part_fen": 0, "copay_fen": 100_000_00}


def test_an_empty_voucher_refuses_the_contract(client, offering, quoted, firm_member,
                                               voucher):
    big = make_quoted_order(offering, firm_member, contract_amount_fen=400_000_00)
    services.sign_contract(big, firm_member, voucher_id=voucher.id)
    committed(big)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/contract",
                           headers=token_for(firm_member, "sign-empty"),
                           json={"voucher_id": voucher.id})
    assert_error(response, 409, "insufficient_voucher_balance")
    assert response.get_json()["error"]["details"] == {"voucher_id": voucher.id,
                                                       "available_fen": 0}
    assert reload(quoted).status == OrderStatus.QUOTED


def test_a_contract_below_the_minimum_order_cannot_use_a_voucher(client, offering,
                                                                 firm_member, voucher):
    small = committed(make_quoted_order(offering, firm_member, contract_amount_fen=4_000_00))
    response = client.post(f"{PREFIX}/orders/{small.id}/contract",
                           headers=token_for(firm_member, "sign-small"),
                           json={"voucher_id": voucher.id})
    assert_error(response, 422, "below_minimum_order")


def test_a_signed_contract_cannot_be_signed_again(client, quoted, firm_member):
    headers = token_for(firm_member, "sign-a")
    client.post(f"{PREFIX}/orders/{quoted.id}/contract", headers=headers, json={})
    headers["Idempotency-Key"] = "sign-b"
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/contract", headers=headers,
                             json={}), 409, "invalid_transition")


# --- the co-pay -----------------------------------------------------------------------------

def test_a_payment_method_must_look_like_one(client, quoted, firm_member):
    services.sign_contract(quoted, firm_member)
    committed(quoted)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/payment",
                           headers=token_for(firm_member, "pay-bad"),
                           json={"payment_method": "pm card visa"})
    assert_error(response, 422, "validation_error")


@pytest.mark.stripe
def test_paying_the_co_pay_by_card(client, quoted, firm_member, stripe_server):
    signed(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/payment",
                           headers=token_for(firm_member, "pay-1"),
                           json={"payment_method": VISA})
    payment = db.session.execute(select(Payment)).scalar_one()
    assert response.status_code == 200
    assert response.get_json() == {"status": "succeeded",
                                   "payment_intent_id": payment.payment_intent_id,
                                   "client_secret": None}
    assert reload(quoted).status == OrderStatus.PAID


@pytest.mark.stripe
def test_three_d_secure_answers_with_the_client_secret(client, quoted, firm_member,
                                                       stripe_server):
    signed(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/payment",
                           headers=token_for(firm_member, "pay-3ds"),
                           json={"payment_method": stripe_server.card(THREE_D_SECURE_CARD)})
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "requires_action"
    assert body["payment_intent_id"].startswith("pi_")
    assert body["client_secret"].startswith(body["payment_intent_id"] + "_secret_")
    assert reload(quoted).status == OrderStatus.CONTRACTED


@pytest.mark.stripe
def test_a_declined_card_is_402_and_the_order_stays_unpaid(client, quoted, firm_member,
                                                           stripe_server):
    signed(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/payment",
                           headers=token_for(firm_member, "pay-declined"),
                           json={"payment_method": DECLINED})
    assert_error(response, 402, "card_declined")
    assert reload(quoted).status == OrderStatus.CONTRACTED


def test_with_the_gateway_down_the_payment_is_503(client, quoted, firm_member,
                                                  gateway_down):
    signed(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/payment",
                           headers=token_for(firm_member, "pay-down"),
                           json={"payment_method": VISA})
    assert_error(response, 503, "gateway_unavailable")
    assert reload(quoted).status == OrderStatus.CONTRACTED


def test_the_operations_are_in_the_openapi_document(client):
    paths = client.get(f"{PREFIX}/openapi.json").get_json()["paths"]
    for path in ("/orders", "/orders/{order_id}", "/orders/{order_id}/quote",
                 "/orders/{order_id}/contract", "/orders/{order_id}/payment",
                 "/orders/{order_id}/delivery", "/orders/{order_id}/acceptance",
                 "/orders/{order_id}/dispute", "/orders/{order_id}/cancellation",
                 "/orders/{order_id}/cancellation/answer"):
        assert PREFIX + path in paths, path
    contract = paths[f"{PREFIX}/orders/{{order_id}}/contract"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in contract["parameters"])
