"""Journey (a), a new firm from registration to a paid claim, in the browser, in Chinese
and in English, on the demo data (`flask seed-demo`):

the firm registers; its home page leads it to apply for a voucher; it applies; the demo
auditor finds the application in the home-page queue and approves a lower amount; the
firm finds 材料检测服务 by a Chinese search, asks the demo testing institute for a quote,
the institute quotes, the firm signs the technology contract with its voucher and pays
its co-pay by card through localstripe's Stripe.js (#card-element: number, exp_month,
exp_year, cvc, postal_code), the institute delivers with its invoice, the firm accepts and
follows its claim to disbursement. The bureau's side of the claim is journey (c)
(test_claim_journey); here it is moved on through the same services.
"""
import os
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts import uscc
from marketplace.accounts.models import Organisation
from marketplace.claims import disbursement
from marketplace.claims import services as claims
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core import ledger, outbox
from marketplace.demo.seed import DEMO_PROGRAMME_NAME
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication
from tests.e2e.steps import LANGUAGES, finish_registration, sign_in, sign_out, use_language
from marketplace.accounts.models import FirmTier
from tests.factories import TEST_PASSWORD, FirmFactory
from tests.support.identity import certify, resident_id

pytestmark = [pytest.mark.e2e, pytest.mark.stripe]

FIRM_NAME = "南昌瑞光新能源科技有限公司"
FIRM_CODE = uscc.make("91360106E2E000021")
FIRM_EMAIL = "owner@ruiguang-energy.example"
AGENCY_EMAIL = "agency3@demo.local"          # 江西省材料科学研究所, the demo testing lab
AGENCY_NAME = "江西省材料科学研究所"
OFFERING_TITLE = "材料检测服务"
PURPOSE = "光伏组件可靠性检测与封装工艺改进的技术服务"
REQUEST = "我们需要对三批光伏封装胶膜样品做成分与老化性能检测，希望两周内出具报告。"
DELIVERABLES = "检测报告（CMA），含成分谱图与老化曲线"
INVOICE_NUMBER = "36001234"
TESTING = {"zh": "检验检测", "en": "Inspection and testing"}


@pytest.fixture
def stripe_js(app, stripe_server):
    """The served pages load the run's localstripe's Stripe.js (testing's config points
    at the development port 8420); the live server shares ``app.config``."""
    base = os.environ["TEST_STRIPE_API_BASE"].rstrip("/")
    previous = app.config["STRIPE_JS_URL"]
    app.config["STRIPE_JS_URL"] = base + "/js.stripe.com/v3/"
    yield base
    app.config["STRIPE_JS_URL"] = previous


def register_firm(page, live_server, t):
    # the bureau's tech-SME list has the firm: its tier comes from there
    certify(FirmFactory.build(uscc=FIRM_CODE, name=FIRM_NAME), FirmTier.TECH_SME)
    db.session.commit()
    page.goto(live_server + "/register")
    use_language(page, t)
    page.get_by_label(t("a firm that buys technology services")).check()
    page.get_by_label(t("Organisation name")).fill(FIRM_NAME)
    page.get_by_label(t("Unified social credit code")).fill(FIRM_CODE)
    page.get_by_label(t("Legal representative"), exact=True).fill("赵明")
    page.get_by_label(t("Identity-document number of the legal representative")).fill(
        resident_id(2026))
    page.get_by_label(t("District")).select_option(index=1)
    page.get_by_label(t("Registered address")).fill("南昌高新区火炬大街 201 号")
    page.get_by_label(t("Contact phone")).fill("0791-86661234")
    page.get_by_label(t("Firm tier"), exact=True).select_option(value="tech_sme")
    page.get_by_label(t("Your name")).fill("赵明")
    page.get_by_label(t("Your e-mail")).fill(FIRM_EMAIL)
    page.get_by_role("button", name=t("Register")).click()
    finish_registration(page, live_server, FIRM_EMAIL, t)


def the_order():
    db.session.expire_all()
    return db.session.execute(select(Order)).scalar_one()


def settle():
    """Commit and let the outbox run (tasks run in-process in tests)."""
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()


def bureau_pays(claim_id):
    """The bureau's side (journey c drives it in the browser): first review, final
    approval, a disbursement batch and the treasury's confirmation."""
    from marketplace.accounts.services import find_user_by_email

    auditor = find_user_by_email("auditor@demo.local")
    supervisor = find_user_by_email("supervisor@demo.local")
    settle()
    claim = db.session.get(Claim, claim_id)
    assert claim.status == ClaimStatus.FIRST_REVIEW and not claim.is_blocked
    claims.decide(claim, auditor, "approve", "材料齐全")
    settle()
    claims.decide(db.session.get(Claim, claim_id), supervisor, "approve", "同意")
    settle()
    batch = disbursement.create_batch(supervisor, [claim_id])
    disbursement.export(batch, supervisor, "csv")
    disbursement.mark_paid(batch, supervisor, "GK-2026-000101")
    settle()


@LANGUAGES
def test_a_new_firm_gets_a_voucher_buys_a_service_and_follows_its_claim_to_payment(
        page, live_server, demo_data, lang, stripe_js, stripe_server, csrf_on,
        confirm_dialogs, page_problems, screenshot):
    t = lang

    # A new firm registers; its home page leads it to the open programme.
    register_firm(page, live_server, t)
    expect(page.get_by_test_id("home-next")).to_have_attribute("data-step", "apply")
    screenshot(f"firm-home-apply-{t}")
    page.get_by_test_id("home-next-action").click()
    expect(page.get_by_text(DEMO_PROGRAMME_NAME).first).to_be_visible()
    page.get_by_label(t("Amount requested (yuan)")).fill("150,000")
    page.get_by_label(t("What will you buy with the voucher?")).fill(PURPOSE)
    page.get_by_label(TESTING[t.code]).check()
    page.get_by_label(t("I declare that these services receive no other public funding.")
                      ).check()
    screenshot(f"voucher-apply-{t}")
    page.get_by_role("button", name=t("Submit the application")).click()
    expect(page.get_by_test_id("application-status")).to_have_text(t("submitted"))
    firm = db.session.execute(select(Organisation).where(
        Organisation.name == FIRM_NAME)).scalar_one()
    application = db.session.execute(select(VoucherApplication).where(
        VoucherApplication.firm_id == firm.id)).scalar_one()
    assert application.requested_fen == 150_000_00
    sign_out(page, t)

    # The demo auditor's home page lists what waits, the oldest first: the demo firm's
    # application before the new one. It approves ¥90,000.
    sign_in(page, live_server, "auditor@demo.local", lang=t)
    queue = page.get_by_test_id("home-queue")
    names = queue.get_by_test_id("queue-item").all_inner_texts()
    older = next(i for i, row in enumerate(names) if "江西洪都智能装备有限公司" in row)
    newer = next(i for i, row in enumerate(names) if FIRM_NAME in row)
    assert older < newer
    screenshot(f"auditor-home-{t}")
    queue.get_by_role("link", name=FIRM_NAME).click()
    expect(page.get_by_role("heading", name=FIRM_NAME)).to_be_visible()
    page.get_by_label(t("Approve and issue the voucher")).check()
    page.get_by_label(t("Amount to issue (yuan)")).fill("90000")
    page.get_by_label(t("Comment (required to reject or return)")).fill("核定检测服务部分")
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.get_by_role("link", name=FIRM_NAME)).to_have_count(0)   # left the queue
    sign_out(page, t)

    # The firm sees its voucher and finds the service by a Chinese search.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    expect(page.get_by_test_id("home-next")).to_have_attribute("data-step", "use_voucher")
    expect(page.get_by_test_id("home-next")).to_contain_text("¥90,000.00")
    page.get_by_test_id("home-next-action").click()
    page.get_by_label(t("Search the catalogue")).fill("检测")
    page.get_by_role("button", name=t("Search"), exact=True).click()
    result = page.get_by_role("link", name=OFFERING_TITLE, exact=True)
    expect(result).to_be_visible()
    screenshot(f"catalogue-search-{t}")
    result.click()
    expect(page.get_by_role("heading", name=OFFERING_TITLE)).to_be_visible()
    page.get_by_role("link", name=t("Order / ask for a quote")).click()
    page.get_by_label(t("What do you need?")).fill(REQUEST)
    page.get_by_role("button", name=t("Send the request")).click()
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text(t("requested"))
    order = the_order()
    assert order.status == OrderStatus.REQUESTED and order.firm_id == firm.id
    order_url = live_server + f"/orders/{order.id}"
    expect(page).to_have_url(order_url)
    sign_out(page, t)

    # The institute quotes ¥20,000 of technology service.
    sign_in(page, live_server, AGENCY_EMAIL, lang=t)
    page.goto(order_url)
    expect(page.get_by_test_id("next-step")).to_have_text(t("Send the firm your quote."))
    page.get_by_label(t("Contract type")).select_option(label=t("technology service"))
    page.get_by_label(t("Contract amount (yuan)")).fill("20,000")
    page.get_by_label(t("Technical transaction amount (yuan)")).fill("20000")
    page.get_by_label(t("Deliverables")).fill(DELIVERABLES)
    page.get_by_label(t("Due date")).fill((date.today() + timedelta(days=21)).isoformat())
    page.get_by_role("button", name=t("Send the quote")).click()
    expect(status).to_have_text(t("quoted"))
    expect(page.get_by_test_id("quote")).to_contain_text("¥20,000.00")
    sign_out(page, t)

    # The firm signs with its voucher (half of the contract) and pays its co-pay by card.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    page.goto(order_url)
    option = page.get_by_test_id("voucher-option").filter(has_text=DEMO_PROGRAMME_NAME)
    expect(option.get_by_test_id("split-preview")).to_have_text(
        t("Voucher pays %(voucher)s, you pay %(copay)s", voucher="¥10,000.00",
          copay="¥10,000.00"))
    option.get_by_label(DEMO_PROGRAMME_NAME).check()
    page.get_by_label(t("I accept this quote and sign the technology contract.")).check()
    screenshot(f"order-contract-{t}")
    page.get_by_role("button", name=t("Sign the contract")).click()
    expect(status).to_have_text(t("contract signed"))
    expect(page.get_by_test_id("copay")).to_have_text("¥10,000.00")
    card = page.get_by_test_id("card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill(f"{(date.today().year + 3) % 100:02d}")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("330000")
    screenshot(f"order-pay-{t}")
    page.get_by_role("button", name=t("Pay %(amount)s by card", amount="¥10,000.00")).click()
    expect(status).to_have_text(t("co-pay paid"))
    expect(page.get_by_test_id("payment-state")).to_have_attribute("data-state", "held")
    intents = stripe_server.payment_intents()
    assert [(pi["amount"], pi["currency"], pi["status"]) for pi in intents] == \
        [(10_000_00, "cny", "succeeded")]
    sign_out(page, t)

    # The institute records the delivery with its invoice.
    sign_in(page, live_server, AGENCY_EMAIL, lang=t)
    page.goto(order_url)
    expect(page.get_by_test_id("next-step")).to_have_text(
        t("Deliver the work with its invoice."))
    page.get_by_label(t("What was delivered")).fill("三批样品检测完毕，报告已盖章。")
    page.get_by_label(t("Invoice number")).fill(INVOICE_NUMBER)
    page.get_by_label(t("Invoice amount (yuan)")).fill("20000")
    page.get_by_label(t("Invoice date")).fill(date.today().isoformat())
    page.get_by_role("button", name=t("Mark as delivered")).click()
    expect(status).to_have_text(t("delivered"))
    sign_out(page, t)

    # The firm accepts the delivery: the voucher part becomes a redemption claim.
    sign_in(page, live_server, FIRM_EMAIL, lang=t)
    page.goto(order_url)
    page.get_by_role("button", name=t("Accept the delivery")).click()
    expect(status).to_have_text(t("accepted"))
    expect(page.get_by_test_id("payment-state")).to_have_attribute("data-state", "released")
    screenshot(f"order-accepted-{t}")
    claim = db.session.execute(select(Claim)).scalar_one()
    assert claim.amount_fen == 10_000_00
    expect(page.get_by_test_id("claim")).to_contain_text(
        t("Claim #%(id)s for %(amount)s", id=claim.id, amount="¥10,000.00"))

    # It follows the claim: under review, then (the bureau having paid) disbursed.
    page.get_by_role("link", name=t("Claims"), exact=True).first.click()
    row = page.locator(f'tr[data-claim="{claim.id}"]')
    expect(row).to_contain_text("¥10,000.00")
    bureau_pays(claim.id)
    page.reload()
    expect(row.get_by_test_id("claim-status")).to_have_text(t("disbursed"))
    row.get_by_role("link", name=t("Claim #%(id)s", id=claim.id)).click()
    expect(page.get_by_test_id("waiting")).to_have_text(t("Paid to the agency."))
    screenshot(f"firm-claim-paid-{t}")

    db.session.expire_all()
    assert db.session.get(VoucherApplication, application.id).status == \
        ApplicationStatus.APPROVED
    voucher = db.session.execute(select(Voucher).where(Voucher.firm_id == firm.id)
                                 ).scalar_one()
    assert voucher.face_value_fen == 90_000_00
    assert the_order().status == OrderStatus.ACCEPTED
    assert db.session.get(Claim, claim.id).status == ClaimStatus.DISBURSED
    assert ledger.violations() == []
    assert len(confirm_dialogs) == 4     # issue, sign, deliver, accept: each asked first
    page_problems.assert_none()
