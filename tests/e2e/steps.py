"""Steps the journeys share: read the pages in a language, sign in and out.

A journey runs once in Chinese and once in English. It names what it looks for by the
English msgid and ``Lang`` gives the text the page shows in the journey's language, read
from the same catalogue the app uses (marketplace/translations/zh/.../messages.po), so a
missing or wrong translation of a label fails the Chinese run.
"""
import functools
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD

DEMO_PASSWORD = "demo12345"
# What a journey's newly registered people choose on the page the mailed link opens (the
# factories' password123 is refused there as a common one).
REGISTERED_PASSWORD = "Hongcheng-journey-2026"
_registered = set()
CATALOGUE = Path(__file__).resolve().parents[2] / "marketplace" / "translations"
LANGUAGES = pytest.mark.parametrize("lang", ["zh", "en"], indirect=True)


@functools.lru_cache(maxsize=None)
def _catalogue(code):
    from babel.messages.pofile import read_po

    with open(CATALOGUE / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    return {m.id: m.string for m in catalogue
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


class Lang:
    def __init__(self, code):
        self.code = code
        self.html_lang = "zh-CN" if code == "zh" else "en"

    def __call__(self, msgid, **values):
        text = _catalogue(self.code).get(msgid, msgid) if self.code != "en" else msgid
        return text % values if values else text

    def __repr__(self):
        return self.code


def use_language(page, lang):
    if page.locator("html").get_attribute("lang") != lang.html_lang:
        page.get_by_test_id("switch-language").click()
        expect(page.locator("html")).to_have_attribute("lang", lang.html_lang)


def in_english(page):
    use_language(page, Lang("en"))


def password_of(email):
    if email in _registered:
        return REGISTERED_PASSWORD
    return DEMO_PASSWORD if email.endswith("@demo.local") else TEST_PASSWORD


def finish_registration(page, live_server, email, lang):
    """After the registration form: the page says a link is on its way; open the link the
    mail holds (made here from the database, as the mail's is), choose the password and
    sign in, landing on the home page."""
    from marketplace.accounts.services import find_user_by_email, make_reset_token
    from marketplace.extensions import db

    expect(page).to_have_url(live_server + "/login")
    expect(page.get_by_text(lang("Thank you. We have sent a message to %(email)s: open its "
                                 "link to choose your password and sign in.",
                                 email=email))).to_be_visible()
    db.session.expire_all()
    page.goto(live_server + "/password/reset/" + make_reset_token(find_user_by_email(email)))
    page.get_by_label(lang("New password"), exact=True).fill(REGISTERED_PASSWORD)
    page.get_by_label(lang("Repeat the password")).fill(REGISTERED_PASSWORD)
    page.get_by_role("button", name=lang("Set the new password")).click()
    _registered.add(email)
    sign_in(page, live_server, email, lang=lang)


def sign_in(page, live_server, email, password=None, lang=None):
    lang = lang or Lang("en")
    page.goto(live_server + "/login")
    use_language(page, lang)
    page.get_by_label(lang("E-mail"), exact=True).fill(email)
    page.get_by_label(lang("Password"), exact=True).fill(password or password_of(email))
    page.get_by_role("button", name=lang("Sign in")).click()
    expect(page).to_have_url(live_server + "/")
    use_language(page, lang)   # the user's own locale may differ from the visitor's choice


def sign_out(page, lang=None):
    lang = lang or Lang("en")
    page.get_by_role("button", name=lang("Sign out")).click()
