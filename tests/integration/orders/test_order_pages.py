"""The order pages through the test client, up to the co-pay: a firm orders, the agency
quotes, the firm signs with a voucher and pays by card; the documents and the lists.
Refused forms keep what was typed; outsiders get 404."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace import funds
from marketplace.agencies import services as registry
from marketplace.catalogue import services as catalogue
from marketplace.extensions import db
from marketplace.orders import fulfilment, services
from marketplace.orders.models import Order, OrderDocument, OrderStatus, TechContract
from marketplace.payments.models import Payment
from marketplace.vouchers import services as vouchers
from tests.conftest import login
from tests.factories import (PDF_BYTES, AgencyMemberFactory, FirmMemberFactory, make_offering,
                             make_quoted_order)
from tests.integration.orders.order_world import (agency_member, committed, firm_member,  # noqa: F401
                                                  gateway_down, offering, page_text, person,
                                                  quoted, reload, signed, token, voucher)
from tests.support.stripe import DECLINED, THREE_D_SECURE_CARD, VISA

IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()


# --- ordering -----------------------------------------------------------------------------

def test_the_offering_page_offers_firms_to_order(client, offering, firm_member):
    login(client, firm_member.email)
    shown = page_text(client.get(f"/offerings/{offering.id}"))
    assert f'href="/offerings/{offering.id}/order"' in shown


def test_a_firm_orders_with_a_message_and_lands_on_the_order(client, offering, firm_member):
    login(client, firm_member.email)
    assert "Coating tests" in page_text(client.get(f"/offerings/{offering.id}/order"))
    response = client.post(f"/offerings/{offering.id}/order",
                           data={"message": "Salt-spray tests for 12 samples, by May"})

    [order] = db.session.execute(select(Order)).scalars().all()
    assert response.status_code == 302
    assert response.location == f"/orders/{order.id}"
    assert (order.status, order.firm_id) == (OrderStatus.REQUESTED, firm_member.organisation_id)
    shown = page_text(client.get(response.location))
    assert "The agency is preparing its quote." in shown
    assert "Order placed" in shown and firm_member.name in shown


def test_a_too_short_message_is_refused_and_kept(client, offering, firm_member):
    login(client, firm_member.email)
    response = client.post(f"/offerings/{offering.id}/order", data={"message": "Hi?"})
    assert response.status_code == 422
    assert "Hi?</textarea>" in page_text(response)
    assert db.session.execute(select(Order)).first() is None


def test_a_withdrawn_offering_cannot_be_ordered(client, offering, firm_member, agency_member):
    catalogue.withdraw_offering(offering, agency_member)
    committed(offering)
    login(client, firm_member.email)
    assert client.get(f"/offerings/{offering.id}/order").status_code == 404
    assert client.post(f"/offerings/{offering.id}/order",
                       data={"message": "Please quote"}).status_code == 404


# --- the quote --------------------------------------------------------------------------

def quote_form(**changes):
    form = {"quote-contract_type": "development", "quote-contract_amount": "120,000",
            "quote-technical_amount": "100000", "quote-deliverables": "Test report",
            "quote-due_date": IN_A_MONTH}
    form.update({f"quote-{k}": v for k, v in changes.items()})
    return form


def test_the_agency_quotes_and_the_firm_sees_its_voucher_split(client, offering, firm_member,
                                                               agency_member, voucher):
    order = committed(services.request_order(firm_member=firm_member, offering=offering,
                                             message="Please quote"))
    login(client, agency_member.email)
    assert "Send the firm your quote." in page_text(client.get(f"/orders/{order.id}"))
    response = client.post(f"/orders/{order.id}/quote", data=quote_form())
    assert response.status_code == 302
    quote = reload(order).current_quote
    assert (quote.contract_amount_fen, quote.technical_amount_fen) == (120_000_00, 100_000_00)
    assert reload(order).status == OrderStatus.QUOTED

    client.post("/logout")
    login(client, firm_member.email)
    shown = page_text(client.get(f"/orders/{order.id}"))
    assert "Voucher pays ¥60,000.00, you pay ¥60,000.00" in shown
    assert "Available on the voucher: ¥200,000.00" in shown


def test_a_quote_with_a_technical_amount_above_the_contract_keeps_what_was_typed(
        client, quoted, agency_member):
    login(client, agency_member.email)
    response = client.post(f"/orders/{quoted.id}/quote",
                           data=quote_form(technical_amount="130,000.50"))
    shown = page_text(response)
    assert response.status_code == 422
    assert "The technical transaction amount must be between zero and the contract amount." \
        in shown
    assert 'value="130,000.50"' in shown and 'value="120,000"' in shown
    assert len(reload(quoted).quotes) == 1


def test_only_the_orders_agency_quotes(client, quoted, firm_member):
    login(client, firm_member.email)
    assert client.post(f"/orders/{quoted.id}/quote", data=quote_form()).status_code == 403
    client.post("/logout")
    stranger = committed(AgencyMemberFactory())
    login(client, stranger.email)
    assert client.post(f"/orders/{quoted.id}/quote", data=quote_form()).status_code == 404
    assert client.get(f"/orders/{quoted.id}").status_code == 404


# --- the contract ---------------------------------------------------------------------------

def contract_form(voucher=None, **changes):
    form = {"contract-voucher_id": str(voucher.id) if voucher else "none",
            "contract-confirm": "y", "idempotency_token": token()}
    form.update(changes)
    return form


def test_signing_with_a_voucher_reserves_its_part_and_shows_the_contract(
        client, quoted, firm_member, voucher):
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/contract", data=contract_form(voucher))
    assert response.status_code == 302
    contract = reload(quoted).contract
    assert (contract.voucher_part_fen, contract.copay_fen) == (50_000_00, 50_000_00)
    assert funds.figures.voucher_balances(voucher)["reserved_fen"] == 50_000_00
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert contract.number in shown
    assert "version 1" in shown and "50% share" in shown
    assert "Pay your co-pay by card." in shown


def test_signing_needs_the_confirmation_box(client, quoted, firm_member, voucher):
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/contract",
                           data=contract_form(voucher, **{"contract-confirm": ""}))
    assert response.status_code == 422
    assert "Tick the box to sign the contract." in page_text(response)
    assert reload(quoted).contract is None


def test_the_same_form_sent_twice_signs_once(client, quoted, firm_member, voucher):
    login(client, firm_member.email)
    form = contract_form(voucher)
    first = client.post(f"/orders/{quoted.id}/contract", data=form)
    again = client.post(f"/orders/{quoted.id}/contract", data=form)
    assert (first.status_code, again.status_code) == (302, 302)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(db.session.execute(select(TechContract)).scalars().all()) == 1
    assert funds.figures.voucher_balances(voucher)["reserved_fen"] == 50_000_00


def test_a_refused_contract_names_the_reason_and_keeps_the_order_quoted(
        client, quoted, firm_member, agency_member):
    registry.suspend(registry.profile_of(agency_member.organisation), person("auditor"),
                     "Licence under review")
    committed(quoted)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/contract", data=contract_form())
    assert response.status_code == 409
    assert "Only agencies admitted to the registry and active" in page_text(response)
    assert reload(quoted).status == OrderStatus.QUOTED


# --- the co-pay -----------------------------------------------------------------------------

def test_the_contracted_order_shows_a_card_form_with_stripe_js(app, client, quoted,
                                                              firm_member):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.get(f"/orders/{quoted.id}")
    shown = page_text(response)
    assert 'id="pay-form"' in shown and 'id="card-element"' in shown
    assert f'<script src="{app.config["STRIPE_JS_URL"]}"></script>' in shown
    assert '<script src="/static/js/pay.js"></script>' in shown
    assert "Pay ¥100,000.00 by card" in shown
    assert "<script>" not in shown    # nothing inline: the CSP forbids it


def test_a_payment_without_card_details_is_refused(client, quoted, firm_member):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/payment",
                           data={"payment-payment_method": "", "idempotency_token": token()})
    assert response.status_code == 422
    assert "Enter the card details." in page_text(response)
    assert reload(quoted).status == OrderStatus.CONTRACTED


def pay_form(payment_method):
    return {"payment-payment_method": payment_method, "idempotency_token": token()}


@pytest.mark.stripe
def test_paying_by_card_marks_the_order_paid(client, quoted, firm_member, stripe_server):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/payment", data=pay_form(VISA))
    assert response.status_code == 302
    assert reload(quoted).status == OrderStatus.PAID
    assert fulfilment.copay_held_fen(quoted) == 100_000_00
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert "Received and held by the platform until acceptance." in shown


@pytest.mark.stripe
def test_a_declined_card_says_so_and_leaves_the_order_unpaid(client, quoted, firm_member,
                                                            stripe_server):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/payment", data=pay_form(DECLINED))
    assert response.status_code == 402
    assert "The card was declined." in page_text(response)
    assert 'id="pay-form"' in page_text(response)          # try another card
    assert reload(quoted).status == OrderStatus.CONTRACTED


@pytest.mark.stripe
def test_three_d_secure_is_finished_in_the_page_then_checked(client, quoted, firm_member,
                                                            stripe_server):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/payment",
                           data=pay_form(stripe_server.card(THREE_D_SECURE_CARD)))
    shown = page_text(response)
    assert response.status_code == 200
    payment = db.session.execute(select(Payment)).scalar_one()
    assert f'action="/orders/{quoted.id}/payment/refresh"' in shown
    assert 'data-client-secret="' in shown
    assert reload(quoted).status == OrderStatus.CONTRACTED
    secret = shown.split('data-client-secret="')[1].split('"')[0]
    stripe_server.authenticate(payment.payment_intent_id, secret)   # what Stripe.js does
    checked = client.post(f"/orders/{quoted.id}/payment/refresh")
    assert checked.status_code == 302
    assert reload(quoted).status == OrderStatus.PAID


def test_with_the_gateway_down_the_firm_is_told_and_nothing_changes(client, quoted,
                                                                    firm_member,
                                                                    gateway_down):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/payment", data=pay_form(VISA))
    assert response.status_code == 503
    assert "The payment service cannot be reached at the moment." in page_text(response)
    assert reload(quoted).status == OrderStatus.CONTRACTED


# --- documents --------------------------------------------------------------------------------

def test_the_signed_contract_is_shared_with_the_other_side_only(client, quoted, firm_member,
                                                                agency_member):
    signed(quoted, firm_member)
    login(client, firm_member.email)
    refused = client.post(f"/orders/{quoted.id}/documents",
                          data={"document-kind": "deliverable",
                                "document-file": (io.BytesIO(PDF_BYTES), "x.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422          # a firm uploads only the signed contract
    response = client.post(f"/orders/{quoted.id}/documents",
                           data={"document-kind": "signed_contract",
                                 "document-file": (io.BytesIO(PDF_BYTES), "contract.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.execute(select(OrderDocument)).scalar_one()
    client.post("/logout")

    login(client, agency_member.email)
    url = f"/orders/{quoted.id}/documents/{document.id}"
    assert "contract.pdf" in page_text(client.get(f"/orders/{quoted.id}"))
    download = client.get(url)
    assert (download.status_code, download.data) == (200, PDF_BYTES)
    client.post("/logout")
    login(client, committed(FirmMemberFactory()).email)
    assert client.get(url).status_code == 404


def test_no_documents_before_the_contract(client, quoted, firm_member):
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/documents",
                           data={"document-kind": "signed_contract",
                                 "document-file": (io.BytesIO(PDF_BYTES), "contract.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 409
    assert "Documents can be added once the contract is signed." in page_text(response)


# --- the list -----------------------------------------------------------------------------------

def test_each_side_lists_its_own_orders_newest_first_and_the_bureau_filters(
        client, offering, quoted, firm_member, agency_member):
    newer = committed(make_quoted_order(offering, firm_member))
    other = committed(make_quoted_order(make_offering(), FirmMemberFactory()))
    services.request_order(firm_member=firm_member, offering=offering, message="One more")
    latest = committed(db.session.execute(select(Order).order_by(Order.id.desc())).scalars()
                       .first())
    other.is_flagged = True
    committed(other)

    login(client, firm_member.email)
    shown = page_text(client.get("/orders"))
    positions = [shown.index(f"/orders/{o.id}\"") for o in (latest, newer, quoted)]
    assert positions == sorted(positions)
    assert f"/orders/{other.id}\"" not in shown
    requested = page_text(client.get("/orders?status=requested"))
    assert f"/orders/{latest.id}\"" in requested and f"/orders/{newer.id}\"" not in requested
    client.post("/logout")

    login(client, person("auditor").email)
    shown = page_text(client.get("/orders"))
    assert all(f"/orders/{o.id}\"" in shown for o in (latest, newer, quoted, other))
    assert 'data-testid="flagged"' in shown


def test_the_list_pages_by_twenty_and_says_when_empty(client, offering, firm_member):
    login(client, firm_member.email)
    assert "You have no orders yet." in page_text(client.get("/orders"))
    for n in range(21):
        services.request_order(firm_member=firm_member, offering=offering,
                               message=f"Request number {n}")
    committed(offering)
    first, second = client.get("/orders"), client.get("/orders?page=2")
    assert page_text(first).count('data-testid="order-row"') == 20
    assert page_text(second).count('data-testid="order-row"') == 1
    assert "No orders in this state." in page_text(client.get("/orders?status=paid"))
