"""Weak passwords are refused wherever a password is chosen (reset, change, invitation,
the admin's staff form, `flask users create`), with the reason; a strong one is taken."""
import re

import pytest

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import TEST_PASSWORD, FirmMemberFactory, UserFactory

STRONG = "kettle-harbour-violet-42"
WEAK = {
    "12345678": "it is one of the most common passwords",
    "password": "it is one of the most common passwords",
    "aaaaaaaa": "it repeats the same characters",
    "qwertyuiop": "it is one of the most common passwords",
    "zhangwei.lab": "it contains your e-mail address or name",   # the e-mail's local part
    "Zhang Wei 2026!": "it contains your e-mail address or name",  # the name
}


def refused_with(response, reason):
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert "This password is too easy to guess: " + reason in text, text[-3000:]


@pytest.fixture
def person():
    user = FirmMemberFactory(email="zhangwei.lab@example.com", name="Zhang Wei", locale="en")
    db.session.commit()
    return user


def test_a_reset_refuses_weak_passwords_and_says_why(client, person, smtp_server):
    client.post("/language", data={"locale": "en", "next": "/"})
    client.post("/password/forgot", data={"email": person.email})
    [mail] = smtp_server.to(person.email)
    path = re.search(r"http://localhost(/password/reset/\S+)", smtp_server.body(mail)).group(1)
    before = person.password_hash
    for password, reason in WEAK.items():
        response = client.post(path, data={"password": password, "confirm": password})
        assert response.status_code == 200, password
        refused_with(response, reason)
    db.session.expire_all()
    assert db.session.get(User, person.id).password_hash == before
    assert client.post(path, data={"password": STRONG, "confirm": STRONG}).status_code == 302
    login(client, person.email, STRONG)


def test_a_password_change_refuses_the_common_ones(client, person):
    login(client, person.email)
    for password, reason in WEAK.items():
        response = client.post("/profile/password", data={
            "pw-current_password": TEST_PASSWORD, "pw-password": password,
            "pw-confirm": password})
        assert response.status_code == 422, password
        refused_with(response, reason)
    assert client.post("/profile/password", data={
        "pw-current_password": TEST_PASSWORD, "pw-password": STRONG,
        "pw-confirm": STRONG}).status_code == 302


def test_an_invited_colleague_cannot_choose_a_weak_password(app, smtp_server):
    owner = FirmMemberFactory(email="owner@example.com", locale="en")
    db.session.commit()
    owner_client = app.test_client()
    login(owner_client, owner.email)
    owner_client.post("/organisation/invitations", data={"inv-email": "li.na@example.com"})
    [mail] = smtp_server.to("li.na@example.com")
    path = re.search(r"/invitations/\S+", smtp_server.body(mail)).group(0)
    newcomer = app.test_client()
    newcomer.post("/language", data={"locale": "en", "next": "/"})
    for password, reason in (("password1", "it is one of the most common passwords"),
                             ("li.na@example.com!", "it contains your e-mail address or name")):
        response = newcomer.post(path, data={"name": "Li Na", "password": password,
                                             "confirm": password})
        assert response.status_code == 200
        refused_with(response, reason)
    assert db.session.query(User).filter_by(email="li.na@example.com").count() == 0


def test_the_admin_and_the_cli_cannot_create_staff_with_a_weak_password(app, client):
    admin = UserFactory(email="admin@example.com", role=Role.ADMIN, locale="en")
    db.session.commit()
    login(client, admin.email)
    response = client.post("/admin/users/new", data={
        "email": "aud@example.com", "name": "Aud Itor", "role": "auditor",
        "password": "password123"})
    assert response.status_code == 200
    refused_with(response, "it is one of the most common passwords")
    result = app.test_cli_runner().invoke(args=["users", "create", "sup@example.com", "--role",
                                                "supervisor", "--password", "12345678"])
    assert result.exit_code != 0
    assert "one of the most common passwords" in result.output
    assert db.session.query(User).filter(User.email.in_(
        ["aud@example.com", "sup@example.com"])).count() == 0
