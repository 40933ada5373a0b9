"""Steps the journeys share: read the pages in English, sign in and out."""
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD


def in_english(page):
    if page.locator("html").get_attribute("lang") != "en":
        page.get_by_test_id("switch-language").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_in(page, live_server, email, password=TEST_PASSWORD):
    page.goto(live_server + "/login")
    in_english(page)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server + "/")
    in_english(page)   # the user's own locale may differ from the visitor's choice


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
