"""An order from request to redemption claim, in the browser: a firm with a voucher asks an
admitted agency for a quote, the agency quotes, the firm signs the technology contract
with its voucher and pays its co-pay by card through localstripe's Stripe.js, the agency
delivers with its invoice, the firm accepts and the voucher part becomes a claim.

The journey reads the pages in English (one click on the language switch), like the
registry journey. The card is typed into the inputs localstripe's Stripe.js mounts in
#card-element (number, exp_month, exp_year, cvc, postal_code).
"""
import os
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.claims.models import Claim
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus
from tests.e2e.steps import sign_in, sign_out
from tests.factories import (AgencyMemberFactory, FirmMemberFactory,
                             make_agency_profile, make_offering, make_programme,
                             make_voucher)

pytestmark = [pytest.mark.e2e, pytest.mark.stripe]

FIRM_EMAIL = "buyer@hongdu-optics.example"
FIRM_NAME = "南昌洪都光电科技有限公司"
AGENCY_EMAIL = "quotes@lushan-testing.example"
AGENCY_NAME = "庐山材料检测中心"
OFFERING_TITLE = "光学薄膜性能检测"
PROGRAMME_NAME = "2025 年南昌市科技创新券"
REQUEST = "我们需要对三批增透膜样品做透过率与附着力检测，希望两周内出具报告。"
DELIVERABLES = "检测报告（CMA），含透过率曲线与附着力等级"
INVOICE_NUMBER = "36001234"


@pytest.fixture
def stripe_js(app, stripe_server):
    """The served pages load the run's localstripe's Stripe.js (testing's config points
    at the development port 8420); the live server shares ``app.config``."""
    base = os.environ["TEST_STRIPE_API_BASE"].rstrip("/")
    previous = app.config["STRIPE_JS_URL"]
    app.config["STRIPE_JS_URL"] = base + "/js.stripe.com/v3/"
    yield base
    app.config["STRIPE_JS_URL"] = previous


@pytest.fixture
def cast():
    """An admitted agency with a fixed-price offering, and a firm holding a ¥100,000
    voucher of an open programme (the default rules: it pays half of a contract)."""
    agency_member = AgencyMemberFactory(email=AGENCY_EMAIL, organisation__name=AGENCY_NAME,
                                        name="周工", locale="en")
    profile = make_agency_profile(agency_member)
    offering = make_offering(profile, title=OFFERING_TITLE, price_fen=20_000_00)
    firm_member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name=FIRM_NAME,
                                    name="王经理", locale="en")
    voucher = make_voucher(make_programme(name=PROGRAMME_NAME), amount_fen=100_000_00,
                           firm_member=firm_member)
    db.session.commit()
    return {"offering": offering, "voucher": voucher, "firm": firm_member,
            "agency": agency_member}


def the_order():
    db.session.expire_all()
    return db.session.execute(select(Order)).scalar_one()


def test_a_firm_and_an_agency_complete_an_order_paid_by_card(
        page, live_server, cast, stripe_js, stripe_server, csrf_on, confirm_dialogs,
        page_problems, screenshot):
    offering_id = cast["offering"].id

    # The firm asks for a quote from the offering's page.
    sign_in(page, live_server, FIRM_EMAIL)
    page.goto(live_server + f"/offerings/{offering_id}")
    expect(page.get_by_role("heading", name=OFFERING_TITLE)).to_be_visible()
    page.get_by_role("link", name="Order / ask for a quote").click()
    expect(page.get_by_role("heading", name="Order or ask for a quote")).to_be_visible()
    page.get_by_label("What do you need?").fill(REQUEST)
    page.get_by_role("button", name="Send the request").click()
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text("requested")
    expect(page.get_by_text(REQUEST)).to_be_visible()
    order = the_order()
    assert order.status == OrderStatus.REQUESTED and order.offering_id == offering_id
    order_url = live_server + f"/orders/{order.id}"
    expect(page).to_have_url(order_url)
    sign_out(page)

    # The agency sends its quote: ¥20,000 of technology service.
    sign_in(page, live_server, AGENCY_EMAIL)
    page.goto(order_url)
    expect(page.get_by_test_id("next-step")).to_have_text("Send the firm your quote.")
    page.get_by_label("Contract type").select_option(label="technology service")
    page.get_by_label("Contract amount (yuan)").fill("20,000")
    page.get_by_label("Technical transaction amount (yuan)").fill("20000")
    page.get_by_label("Deliverables").fill(DELIVERABLES)
    page.get_by_label("Due date").fill((date.today() + timedelta(days=21)).isoformat())
    screenshot("order-quote-en")
    page.get_by_role("button", name="Send the quote").click()
    expect(page.get_by_text("Your quote is sent to the firm.")).to_be_visible()
    expect(status).to_have_text("quoted")
    expect(page.get_by_test_id("quote")).to_contain_text("¥20,000.00")
    sign_out(page)

    # The firm accepts the quote with its voucher (half of it) and signs.
    sign_in(page, live_server, FIRM_EMAIL)
    page.goto(order_url)
    option = page.get_by_test_id("voucher-option").filter(has_text=PROGRAMME_NAME)
    expect(option.get_by_test_id("split-preview")).to_have_text(
        "Voucher pays ¥10,000.00, you pay ¥10,000.00")
    option.get_by_label(PROGRAMME_NAME).check()
    page.get_by_label("I accept this quote and sign the technology contract.").check()
    screenshot("order-contract-en")
    page.get_by_role("button", name="Sign the contract").click()
    expect(page.get_by_text("The contract is signed. Please pay your co-pay.")).to_be_visible()
    expect(status).to_have_text("contract signed")
    expect(page.get_by_test_id("voucher-part")).to_contain_text("¥10,000.00")
    expect(page.get_by_test_id("copay")).to_have_text("¥10,000.00")
    assert confirm_dialogs[-1].startswith("Sign the technology contract for ¥20,000.00?")

    # It pays the co-pay with a test card in localstripe's card element.
    card = page.get_by_test_id("card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill(f"{(date.today().year + 3) % 100:02d}")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("330000")
    screenshot("order-pay-en")
    page.get_by_role("button", name="Pay ¥10,000.00 by card").click()
    expect(page.get_by_text("Your co-pay is paid. The platform holds it until you accept "
                            "the delivery.")).to_be_visible()
    expect(status).to_have_text("co-pay paid")
    expect(page.get_by_test_id("payment-state")).to_have_attribute("data-state", "held")
    screenshot("order-paid-en")
    assert the_order().status == OrderStatus.PAID
    intents = stripe_server.payment_intents()
    assert [(pi["amount"], pi["currency"], pi["status"]) for pi in intents] == \
        [(10_000_00, "cny", "succeeded")]
    sign_out(page)

    # The agency records the delivery with its invoice.
    sign_in(page, live_server, AGENCY_EMAIL)
    page.goto(order_url)
    expect(page.get_by_test_id("next-step")).to_have_text("Deliver the work with its invoice.")
    page.get_by_label("What was delivered").fill("三批样品检测完毕，报告已盖章。")
    page.get_by_label("Invoice number").fill(INVOICE_NUMBER)
    page.get_by_label("Invoice amount (yuan)").fill("20000")
    page.get_by_label("Invoice date").fill(date.today().isoformat())
    page.get_by_role("button", name="Mark as delivered").click()
    expect(page.get_by_text("The delivery is recorded. The firm is asked to accept it.")
           ).to_be_visible()
    expect(status).to_have_text("delivered")
    expect(page.get_by_test_id("delivery")).to_contain_text(INVOICE_NUMBER)
    sign_out(page)

    # The firm accepts the delivery: the voucher part becomes a redemption claim.
    sign_in(page, live_server, FIRM_EMAIL)
    page.goto(order_url)
    expect(page.get_by_test_id("next-step")).to_have_text(
        "Check the delivery, then accept it or raise a dispute.")
    page.get_by_role("button", name="Accept the delivery").click()
    expect(page.get_by_text("The delivery is accepted. The redemption claim for the voucher "
                            "part is created.")).to_be_visible()
    expect(status).to_have_text("accepted")
    expect(page.get_by_test_id("payment-state")).to_have_attribute("data-state", "released")
    claim_line = page.get_by_test_id("claim")
    expect(claim_line).to_contain_text("for ¥10,000.00")
    screenshot("order-accepted-en")

    order = the_order()
    assert order.status == OrderStatus.ACCEPTED
    claim = db.session.execute(select(Claim)).scalar_one()
    assert claim.amount_fen == 10_000_00
    expect(claim_line).to_contain_text(f"Claim #{claim.id}")
    assert [m.split("?")[0] for m in confirm_dialogs] == [
        "Sign the technology contract for ¥20,000.00",
        "Record the delivery with this invoice",
        "Accept the delivery"]
    page_problems.assert_none()
