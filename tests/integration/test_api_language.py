"""API error messages answer in the request's language: Accept-Language chooses, else the
token's user's own language, else the default (Chinese). Every kind of failure is asked
in both languages: the API layer's own (no token, bad JSON, invalid fields), werkzeug's
(unknown address, wrong method) and a service's domain error (no permission)."""
import re

import pytest

from marketplace.accounts.models import ApiToken, Role
from marketplace.accounts.services import issue_api_token
from marketplace.core.glossary import rejected_terms
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, FirmMemberFactory, UserFactory

PREFIX = "/api/v1"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def tokens():
    users = {"firm": FirmMemberFactory(), "agency": AgencyMemberFactory(),
             "auditor": UserFactory(role=Role.AUDITOR)}
    found = {name: issue_api_token(user, "test")[1] for name, user in users.items()}
    db.session.commit()
    return found


def _bearer(tokens, who):
    return {"Authorization": f"Bearer {tokens[who]}"}


# (name, method, path, who, body, status, code): one failure of each kind
FAILURES = [
    ("no token", "GET", "/me", None, None, 401, "unauthorized"),
    ("a revoked or made-up token", "GET", "/me", "made-up", None, 401, "unauthorized"),
    ("unknown address", "GET", "/no-such-thing", "firm", None, 404, "not_found"),
    ("wrong method", "DELETE", "/me", "firm", None, 405, "method_not_allowed"),
    ("a body that is no JSON object", "POST", "/auth/tokens", None, "not json", 400,
     "bad_request"),
    ("invalid fields", "POST", "/auth/tokens", None, {"email": "a@example.com"}, 422,
     "validation_error"),
    ("wrong password", "POST", "/auth/tokens", None,
     {"email": "nobody@example.com", "password": "wrong-password"}, 401,
     "invalid_credentials"),
    ("no permission (a service's rule)", "GET", "/vouchers", "agency", None, 403,
     "forbidden"),
    ("no such object", "GET", "/programmes/987654/budget", "firm", None, 404, "not_found"),
    ("a NUL character in the body", "POST", "/auth/tokens", None,
     {"email": "a\u0000@example.com", "password": "x"}, 422, "validation_error"),
    ("a NUL character in the query", "GET", "/voucher-applications?status=%00", "firm",
     None, 422, "validation_error"),
    ("no Idempotency-Key", "POST", "/orders/987654/payment", "firm", {"payment_method": "pm"},
     400, "idempotency_key_missing"),
]


def _call(client, tokens, method, path, who, body, headers):
    headers = dict(headers)
    if who == "made-up":
        headers["Authorization"] = "Bearer not-a-token"
    elif who is not None:
        headers.update(_bearer(tokens, who))
    if isinstance(body, str):
        return client.open(PREFIX + path, method=method, data=body, headers=headers,
                           content_type="application/json")
    return client.open(PREFIX + path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("name, method, path, who, body, status, code", FAILURES,
                         ids=[f[0] for f in FAILURES])
def test_an_api_error_answers_in_the_language_asked(client, tokens, name, method, path, who,
                                                    body, status, code):
    messages = {}
    for asked in ("zh-CN,zh;q=0.9,en;q=0.5", "en-GB,en;q=0.8"):
        response = _call(client, tokens, method, path, who, body,
                         {"Accept-Language": asked})
        assert response.status_code == status, response.get_data(as_text=True)
        error = response.get_json()["error"]
        assert error["code"] == code
        messages[asked[:2]] = error["message"]
    assert CJK.search(messages["zh"]), f"{name}: not Chinese: {messages['zh']!r}"
    assert not CJK.search(messages["en"]), f"{name}: not English: {messages['en']!r}"
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{4,}", re.sub(
        r"Authorization: Bearer", "", messages["zh"])), \
        f"{name}: English left in the Chinese message {messages['zh']!r}"
    assert not rejected_terms(messages["zh"], "zh"), messages["zh"]
    assert not rejected_terms(messages["en"], "en"), messages["en"]


def test_without_accept_language_the_token_users_language_applies(client, tokens):
    token = db.session.query(ApiToken).filter_by(
        token_hash=ApiToken.hash_token(tokens["agency"])).one()
    token.user.locale = "en"
    db.session.commit()
    response = client.get(f"{PREFIX}/vouchers", headers=_bearer(tokens, "agency"))
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "You do not have permission to do this."


def test_without_any_choice_the_api_speaks_the_default_chinese(client, tokens):
    response = client.get(f"{PREFIX}/vouchers", headers=_bearer(tokens, "agency"))
    assert response.get_json()["error"]["message"] == "您无权执行此操作。"
    response = client.get(f"{PREFIX}/me")
    assert CJK.search(response.get_json()["error"]["message"])


def test_a_language_the_site_does_not_speak_falls_back_to_the_default(client, tokens):
    response = client.get(f"{PREFIX}/vouchers", headers={
        **_bearer(tokens, "agency"), "Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.get_json()["error"]["message"] == "您无权执行此操作。"
