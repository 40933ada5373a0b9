"""A voucher from application to balance, in the browser and in Chinese: a firm applies
in the open demo programme, the auditor approves a lower amount, the firm sees it."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD, DEMO_PROGRAMME_NAME
from marketplace.extensions import db
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication
from tests.factories import TEST_PASSWORD, FirmMemberFactory

pytestmark = pytest.mark.e2e

FIRM_NAME = "南昌瑞光新能源科技有限公司"
FIRM_EMAIL = "firm3@example.com"
AUDITOR_EMAIL = "auditor@demo.local"
PURPOSE = "光伏组件可靠性检测与封装工艺改进的技术服务"


@pytest.fixture
def new_firm(demo_data):
    """A tech SME of the city without any application yet (the demo firms have theirs)."""
    member = FirmMemberFactory(email=FIRM_EMAIL, organisation__name=FIRM_NAME, locale="zh")
    db.session.commit()
    return member


def sign_in(page, live_server, email, password):
    page.goto(live_server + "/login")
    page.get_by_label("电子邮箱", exact=True).fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server + "/")


def sign_out(page):
    page.get_by_role("button", name="退出登录").click()


def test_a_firm_applies_the_auditor_approves_less_and_the_firm_sees_its_balance(
        page, live_server, new_firm, csrf_on, page_problems, screenshot):
    # The firm applies for ¥150,000 from its voucher page.
    sign_in(page, live_server, FIRM_EMAIL, TEST_PASSWORD)
    page.get_by_role("link", name="我的科创券").click()
    page.get_by_role("link", name="申领科创券").click()
    expect(page.get_by_text(DEMO_PROGRAMME_NAME)).to_be_visible()
    page.get_by_label("申领金额（元）").fill("150,000")
    page.get_by_label("科创券拟用于购买哪些服务？").fill(PURPOSE)
    page.get_by_label("检验检测").check()
    page.get_by_label("本单位承诺，上述服务未获得其他财政资金支持。").check()
    screenshot("voucher-apply-zh")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_text("申请已提交，科技局审核员将进行审核。")).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("已提交")
    application = db.session.execute(select(VoucherApplication).where(
        VoucherApplication.firm_id == new_firm.organisation_id)).scalar_one()
    assert application.requested_fen == 150_000_00
    assert application.planned_categories == ["testing"]
    sign_out(page)

    # The auditor finds it in the queue and approves ¥90,000.
    sign_in(page, live_server, AUDITOR_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="科创券申请").click()
    page.get_by_role("link", name=FIRM_NAME).click()
    expect(page.get_by_role("heading", name=FIRM_NAME)).to_be_visible()
    page.get_by_label("通过并发放科创券").check()
    page.get_by_label("核定发放金额（元）").fill("90000")
    page.get_by_label("审核意见（不予通过或退回修改时必填）").fill("核定检测服务部分")
    screenshot("voucher-review-zh")
    page.get_by_role("button", name="提交审核结果").click()

    expect(page.get_by_text("审核结果已记录，并已通知企业。")).to_be_visible()
    expect(page.get_by_role("link", name=FIRM_NAME)).to_have_count(0)  # left the queue
    sign_out(page)

    # The firm sees the voucher and its available balance.
    sign_in(page, live_server, FIRM_EMAIL, TEST_PASSWORD)
    page.get_by_role("link", name="我的科创券").click()
    expect(page.get_by_role("heading", name=DEMO_PROGRAMME_NAME)).to_be_visible()
    expect(page.get_by_test_id("voucher-available")).to_have_text("¥90,000.00")
    expect(page.get_by_role("cell", name="已通过")).to_be_visible()
    screenshot("voucher-balance-zh")

    db.session.expire_all()
    decided = db.session.get(VoucherApplication, application.id)
    assert decided.status == ApplicationStatus.APPROVED and decided.approved_fen == 90_000_00
    voucher = db.session.execute(select(Voucher).where(
        Voucher.application_id == application.id)).scalar_one()
    assert voucher.face_value_fen == 90_000_00
    page_problems.assert_none()
