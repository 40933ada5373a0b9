"""A firm's first sign-in, in the browser: Chinese first, then English at one click."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

FIRM_EMAIL = "firm1@demo.local"
FIRM_NAME = "南昌赣新材料科技有限公司"
DEMO_PASSWORD = "demo12345"


def sign_in(page, live_server, password):
    page.goto(live_server + "/login")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    # The labels as the zh catalogue has them: "E-mail" -> 电子邮箱, "Password" -> 密码.
    page.get_by_label("电子邮箱", exact=True).fill(FIRM_EMAIL)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def test_a_firm_signs_in_and_switches_to_english(page, live_server, demo_data, csrf_on,
                                                  page_problems, screenshot):
    sign_in(page, live_server, DEMO_PASSWORD)

    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_text(FIRM_NAME)).to_be_visible()
    expect(page.get_by_role("heading", name="下一步操作")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    screenshot("home-zh")

    page.get_by_test_id("switch-language").click()

    expect(page.get_by_role("heading", name="What to do next")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text(FIRM_NAME)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot("home-en")

    page_problems.assert_none()


def test_a_wrong_password_is_refused_in_chinese_keeping_the_email(page, live_server,
                                                                   demo_data, csrf_on,
                                                                   page_problems):
    sign_in(page, live_server, "not-the-password")

    expect(page.get_by_text("邮箱或密码不正确。")).to_be_visible()
    expect(page.get_by_label("电子邮箱", exact=True)).to_have_value(FIRM_EMAIL)
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    expect(page).to_have_url(live_server + "/login")
    page_problems.assert_none()
