"""The order endpoints of the JSON API after the co-pay: delivery with its invoice,
acceptance (the claim), dispute, cancellation and its answer."""
from datetime import date

from sqlalchemy import select

from marketplace import funds
from marketplace.claims.models import Claim
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.orders import fulfilment, services
from marketplace.orders.models import OrderStatus
from marketplace.vouchers import services as vouchers
from tests.factories import make_quoted_order
from tests.integration.orders.order_world import (agency_member, committed,  # noqa: F401
                                                  delivered, firm_member, offering, paid,
                                                  quoted, reload, voucher)
from tests.integration.orders.test_order_api import token_for
from tests.integration.test_api_base import PREFIX, assert_error


# --- delivery, acceptance, dispute ----------------------------------------------------------

DELIVERY = {"summary": "Report delivered", "invoice_number": "FP-1",
            "invoice_amount_fen": 100_000_00, "invoice_date": date.today().isoformat()}


def test_the_agency_delivers_once_paid(client, quoted, firm_member, agency_member):
    headers = token_for(agency_member)
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/delivery", headers=headers,
                             json=DELIVERY), 409, "invalid_transition")
    paid(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/delivery", headers=headers,
                           json=DELIVERY)
    assert response.status_code == 200
    assert response.get_json() == {"id": quoted.id, "status": "delivered"}
    assert reload(quoted).delivery.invoice_number == "FP-1"


def test_an_invoice_number_is_used_once_in_the_whole_system(client, offering, quoted,
                                                            firm_member, agency_member):
    delivered(make_quoted_order(offering, firm_member), firm_member, invoice="fp 1")
    paid(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/delivery",
                           headers=token_for(agency_member), json=DELIVERY)
    assert_error(response, 409, "duplicate_invoice")
    assert reload(quoted).status == OrderStatus.PAID


def test_acceptance_answers_with_the_claim(client, quoted, firm_member, voucher):
    delivered(quoted, firm_member, voucher)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/acceptance",
                           headers=token_for(firm_member))
    claim = db.session.execute(select(Claim)).scalar_one()
    assert response.status_code == 200
    assert response.get_json() == {"id": quoted.id, "status": "accepted", "claim_id": claim.id}
    assert claim.amount_fen == 50_000_00


def test_acceptance_without_a_voucher_has_no_claim(client, quoted, firm_member):
    delivered(quoted, firm_member)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/acceptance",
                           headers=token_for(firm_member))
    assert response.get_json() == {"id": quoted.id, "status": "accepted", "claim_id": None}


def test_the_agency_cannot_accept_its_own_delivery(client, quoted, firm_member,
                                                   agency_member):
    delivered(quoted, firm_member)
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/acceptance",
                             headers=token_for(agency_member)), 403, "forbidden")


def test_a_dispute_needs_a_reason(client, quoted, firm_member):
    delivered(quoted, firm_member)
    headers = token_for(firm_member)
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/dispute", headers=headers,
                             json={"reason": " "}), 422, "reason_required")
    response = client.post(f"{PREFIX}/orders/{quoted.id}/dispute", headers=headers,
                           json={"reason": "Data missing"})
    assert response.get_json() == {"id": quoted.id, "status": "disputed"}


# --- cancellation ---------------------------------------------------------------------------

def test_before_a_contract_a_cancellation_is_immediate(client, quoted, agency_member):
    response = client.post(f"{PREFIX}/orders/{quoted.id}/cancellation",
                           headers=token_for(agency_member, "cancel-1"),
                           json={"reason": "Fully booked"})
    assert response.status_code == 200
    assert response.get_json() == {"id": quoted.id, "status": "cancelled",
                                   "cancel_requested_by": None}


def test_after_a_contract_the_other_side_answers(client, quoted, firm_member, agency_member,
                                                 voucher):
    services.sign_contract(quoted, firm_member, voucher_id=voucher.id)
    committed(quoted)
    firm = token_for(firm_member, "cancel-ask")
    asked = client.post(f"{PREFIX}/orders/{quoted.id}/cancellation", headers=firm,
                        json={"reason": "Project stopped"})
    assert asked.get_json() == {"id": quoted.id, "status": "contracted",
                                "cancel_requested_by": "firm"}
    firm["Idempotency-Key"] = "cancel-self"
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/cancellation/answer",
                             headers=firm, json={"agree": True}), 409, "not_your_turn")
    response = client.post(f"{PREFIX}/orders/{quoted.id}/cancellation/answer",
                           headers=token_for(agency_member, "cancel-yes"),
                           json={"agree": True})
    assert response.get_json() == {"id": quoted.id, "status": "cancelled",
                                   "cancel_requested_by": "firm"}
    assert funds.figures.voucher_balances(voucher)["reserved_fen"] == 0
    assert ledger.violations() == []


def test_a_declined_cancellation_clears_the_request(client, quoted, firm_member,
                                                    agency_member):
    services.sign_contract(quoted, firm_member)
    fulfilment.request_cancellation(quoted, firm_member, "Changed plans")
    committed(quoted)
    response = client.post(f"{PREFIX}/orders/{quoted.id}/cancellation/answer",
                           headers=token_for(agency_member, "cancel-no"),
                           json={"agree": False})
    assert response.get_json() == {"id": quoted.id, "status": "contracted",
                                   "cancel_requested_by": None}


def test_answering_when_nobody_asked_is_refused(client, quoted, agency_member):
    assert_error(client.post(f"{PREFIX}/orders/{quoted.id}/cancellation/answer",
                             headers=token_for(agency_member, "cancel-none"),
                             json={"agree": True}), 409, "no_cancellation")
