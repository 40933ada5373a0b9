"""The firm signs the quote it was shown. An agency that sends a new, dearer quote while
the firm's page is open (or just before the firm's API call) must not get its signature
for that one: the signature names the quote it accepts, and a quote replaced since is
refused (409 quote_changed) with nothing reserved."""
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import OrderStatus
from tests.conftest import login
from tests.support.api import token_for
from tests.integration.orders.order_world import (agency_member, firm_member,  # noqa: F401
                                                  offering, quoted, reload, voucher)
from tests.integration.security.forms_walker import parse_forms


def _requote(order, agency_member, amount_fen):
    from datetime import date, timedelta
    services.submit_quote(order, agency_member, contract_type="service",
                          contract_amount_fen=amount_fen, technical_amount_fen=amount_fen,
                          deliverables="同上，另加复测", due_date=date.today() + timedelta(days=60))
    db.session.commit()


def test_the_firm_signs_only_the_quote_its_page_showed(client, quoted, firm_member,
                                                       agency_member, voucher):
    login(client, firm_member.email)
    page = client.get(f"/orders/{quoted.id}").get_data(as_text=True)
    [form] = [f for f in parse_forms(page, f"/orders/{quoted.id}", "firm")
              if f.action == f"/orders/{quoted.id}/contract"]
    data = {**form.defaults(), "contract-confirm": "y"}
    _requote(reload(quoted), agency_member, 400_000_00)     # meanwhile: four times dearer
    response = client.post(f"/orders/{quoted.id}/contract", data=data)
    assert response.status_code == 409
    order = reload(quoted)
    assert order.status == OrderStatus.QUOTED and order.contract is None


def test_the_api_refuses_a_signature_naming_a_replaced_quote(app, quoted, firm_member,
                                                             agency_member):
    first_quote = reload(quoted).current_quote.id
    _requote(reload(quoted), agency_member, 400_000_00)
    response = app.test_client().post(
        f"/api/v1/orders/{quoted.id}/contract", json={"quote_id": first_quote},
        headers=token_for(firm_member, "sign-1"))
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] == "quote_changed"
    assert reload(quoted).status == OrderStatus.QUOTED


def test_after_the_refusal_the_page_shows_the_new_quote_and_signs_it(client, quoted,
                                                                     firm_member,
                                                                     agency_member):
    login(client, firm_member.email)
    page = client.get(f"/orders/{quoted.id}").get_data(as_text=True)
    [form] = [f for f in parse_forms(page, f"/orders/{quoted.id}", "firm")
              if f.action == f"/orders/{quoted.id}/contract"]
    _requote(reload(quoted), agency_member, 400_000_00)
    refused = client.post(f"/orders/{quoted.id}/contract",
                          data={**form.defaults(), "contract-confirm": "y"})
    assert refused.status_code == 409
    [again] = [f for f in parse_forms(refused.get_data(as_text=True), f"/orders/{quoted.id}",
                                      "firm") if f.action == f"/orders/{quoted.id}/contract"]
    signed = client.post(f"/orders/{quoted.id}/contract",
                         data={**again.defaults(), "contract-confirm": "y"})
    assert signed.status_code == 302
    assert reload(quoted).contract.contract_amount_fen == 400_000_00
