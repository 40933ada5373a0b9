"""A link mailed to someone (a password reset, a registration's first password, an
invitation, a one-time sign-in link) points at the site's public address
(PUBLIC_BASE_URL), never at the Host the request that caused it named: a reset asked for
with ``Host: evil.example`` would mail the victim a working token on the attacker's site
("password-reset poisoning")."""
import re

from marketplace.accounts import uscc
from marketplace.extensions import db
from tests.factories import TEST_PASSWORD, FirmMemberFactory
from tests.integration.security.test_registration_enumeration import registration

EVIL = "http://evil.example"


def links_in(smtp_server, address):
    return [link for mail in smtp_server.to(address)
            for link in re.findall(r"https?://[^\s\"'<>]+", smtp_server.body(mail))]


def assert_public(app, links):
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert links, "no link mailed"
    for link in links:
        assert link.startswith(base + "/"), link
        assert "evil.example" not in link


def test_a_reset_asked_for_through_another_host_mails_the_public_address(app, smtp_server):
    FirmMemberFactory(email="victim@example.com", locale="en")
    db.session.commit()
    app.test_client().post("/password/forgot", data={"email": "victim@example.com"},
                           base_url=EVIL)
    assert_public(app, links_in(smtp_server, "victim@example.com"))


def test_registration_mails_through_another_host_name_the_public_address(app, smtp_server):
    FirmMemberFactory(email="taken@example.com", locale="en")
    db.session.commit()
    client = app.test_client()
    for email, serial in (("taken@example.com", 1), ("new@example.com", 2)):
        client.post("/register", data=registration(
            email, uscc.make(f"12360100HQKT0000{serial}")), base_url=EVIL)
    assert_public(app, links_in(smtp_server, "taken@example.com"))
    assert_public(app, links_in(smtp_server, "new@example.com"))


def test_an_invitation_through_another_host_mails_the_public_address(app, smtp_server):
    owner = FirmMemberFactory(email="owner@example.com")
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": owner.email, "password": TEST_PASSWORD},
                       base_url=EVIL).status_code == 302
    client.post("/organisation/invitations", data={"inv-email": "new@example.com"},
                base_url=EVIL)
    assert_public(app, links_in(smtp_server, "new@example.com"))


def test_a_sign_in_link_through_another_host_mails_the_public_address(limited_app,
                                                                     smtp_server):
    from tests.integration.security.test_signin_throttling import hammer, sign_in

    FirmMemberFactory(email="owner@example.com", locale="en")
    db.session.commit()
    client = limited_app.test_client()
    hammer(client, "203.0.113.9")
    assert sign_in(client, TEST_PASSWORD, "203.0.113.9", base_url=EVIL).status_code == 429
    assert_public(limited_app, links_in(smtp_server, "owner@example.com"))
