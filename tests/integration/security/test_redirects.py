"""Every ``next`` a request names stays on this site: the known ways of smuggling another
host past a naive check, each sent to the language switch (GET and POST) and to sign-in,
must land on a path of this site, never on another host, never a 500."""
from urllib.parse import quote, urlsplit

import pytest

from marketplace.core.redirects import local_target
from marketplace.extensions import db
from tests.factories import TEST_PASSWORD, FirmMemberFactory

BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example/x", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "/\t/evil.example", "/\n/evil.example",
    "/%09/evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example",
    "/%5Cevil.example", "/%255C%255Cevil.example", "/\r\nLocation: http://evil.example",
    "/%0d%0aLocation:%20http://evil.example", "/\x00/evil.example", " //evil.example",
    "https:evil.example", "https://evil.example", "http:/evil.example", "HTTPS://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
    "vbscript:x", "ftp://evil.example", "evil.example", "@evil.example",
    "/\uff0f/evil.example", "\uff0f\uff0fevil.example", "/\u3000/evil.example\u2028",
    "/" + "a" * 5000,
]
GOOD = ["/catalogue", "/catalogue?q=%E6%A3%80%E6%B5%8B&page=2", "/agencies/3#top",
        "/exchange/检测"]


def _lands_here(location):
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and parts.scheme in ("", "http") and \
        location.startswith("/") and not location.startswith("//") and "\\" not in location


@pytest.mark.parametrize("target", BYPASSES)
def test_the_language_switch_never_sends_the_browser_elsewhere(client, target):
    for response in (client.get("/language", query_string={"locale": "en", "next": target}),
                     client.post("/language", data={"locale": "en", "next": target})):
        _home_or_refused(target, response)


def _home_or_refused(target, response):
    """Redirected home, or (a NUL character) refused with 422: never elsewhere, never 5xx."""
    if "\x00" in target:
        assert response.status_code == 422, target
        return
    assert response.status_code == 302, (target, response.status_code)
    assert response.headers["Location"] == "/", (target, response.headers["Location"])


def test_the_language_switch_keeps_a_local_target(client):
    for target in GOOD:
        response = client.get("/language", query_string={"locale": "en", "next": target})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert _lands_here(location)
        assert location.split("?")[0] == quote(target.split("?")[0], safe="/#%"), location


def test_the_issues_example_is_no_longer_an_open_redirect(client):
    response = client.get("/language?locale=en&next=/%09/evil.example")
    assert response.headers["Location"] == "/"
    response = client.get("/language?locale=en&next=/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", BYPASSES[:20])
def test_sign_in_never_sends_the_browser_elsewhere(app, target):
    member = FirmMemberFactory()
    db.session.commit()
    response = app.test_client().post(
        "/login", query_string={"next": target},
        data={"email": member.email, "password": TEST_PASSWORD})
    _home_or_refused(target, response)


def test_sign_in_goes_back_to_the_page_that_asked(app):
    member = FirmMemberFactory()
    db.session.commit()
    client = app.test_client()
    asked = client.get("/profile")
    assert asked.status_code == 302 and "next=" in asked.headers["Location"]
    response = client.post(asked.headers["Location"],
                           data={"email": member.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/profile"


def test_every_reading_of_a_bypass_is_refused_by_the_helper():
    for target in BYPASSES:
        assert local_target(target, "/home") == "/home", target
    assert local_target(None, "/home") == "/home"
    assert local_target(["/x"], "/home") == "/home"
    assert local_target("/a/检测?q=b c", "/home") == "/a/%E6%A3%80%E6%B5%8B?q=b%20c"
