"""The JSON API base: tokens, the current user, one error shape, the OpenAPI document,
the self-hosted docs page and the rate limit on token requests."""
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from sqlalchemy import select

from marketplace.accounts.models import ApiToken, Role
from marketplace.accounts.services import issue_api_token
from marketplace.api.spec import OPERATIONS, openapi_path
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (TEST_PASSWORD, AgencyMemberFactory, FirmMemberFactory,
                             UserFactory, make_application, make_programme)
from tests.support.api import bearer

PREFIX = "/api/v1"
NOT_IN_THE_DOCUMENT = {"api.openapi_document", "api.docs", "swagger_ui.static"}


def assert_error(response, status, code):
    """Every API failure: ``{"error": {"code": str, "message": str, "details": dict}}``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert isinstance(error["details"], dict)
    assert error["message"].strip()
    assert error["code"] == code
    return error


@pytest.fixture
def user():
    member = FirmMemberFactory(email="api@example.com")
    db.session.commit()
    return member


@pytest.fixture
def token(user):
    _token, plaintext = issue_api_token(user, "test")
    db.session.commit()
    return plaintext


# --- tokens -----------------------------------------------------------------------------

def test_right_credentials_give_a_token_that_is_stored_only_as_its_hash(client, user):
    response = client.post(f"{PREFIX}/auth/tokens",
                           json={"email": "API@example.com ", "password": TEST_PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "token_id", "expires_dt"}
    plaintext = body["token"]
    stored = db.session.get(ApiToken, body["token_id"])
    assert stored.user_id == user.id
    assert stored.token_hash == ApiToken.hash_token(plaintext) != plaintext
    # Nowhere in the database, audit log included, is the plaintext kept.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            assert all(plaintext not in str(value) for value in row), table.name
    assert client.get(f"{PREFIX}/me", headers=bearer(plaintext)).status_code == 200


@pytest.mark.parametrize("email, password", [("api@example.com", "wrong-password"),
                                             ("nobody@example.com", TEST_PASSWORD)])
def test_wrong_credentials_are_refused_without_saying_which_part(client, user, email,
                                                                 password):
    response = client.post(f"{PREFIX}/auth/tokens", json={"email": email, "password": password},
                           headers={"Accept-Language": "en"})
    error = assert_error(response, 401, "invalid_credentials")
    assert error["message"] == "The e-mail or password is not right."
    assert db.session.query(ApiToken).count() == 0


def test_a_disabled_account_gets_no_token(client, user):
    user.is_active_account = False
    db.session.commit()
    response = client.post(f"{PREFIX}/auth/tokens",
                           json={"email": "api@example.com", "password": TEST_PASSWORD})
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize("data, content_type", [
    ('{"email": "api@example.com", "password": ', "application/json"),
    ("email=api@example.com&password=password123", "application/x-www-form-urlencoded"),
    ("", "application/json"),
])
def test_a_body_that_is_not_json_is_a_bad_request(client, user, data, content_type):
    response = client.post(f"{PREFIX}/auth/tokens", data=data, content_type=content_type)
    assert_error(response, 400, "bad_request")


def test_missing_fields_are_named(client):
    response = client.post(f"{PREFIX}/auth/tokens", json={"email": "api@example.com"})
    error = assert_error(response, 422, "validation_error")
    fields = error["details"]["fields"]
    assert [(f["loc"], f["type"]) for f in fields] == [(["password"], "missing")]
    assert all(isinstance(f["msg"], str) for f in fields)


def test_extra_fields_are_refused_and_named(client, user):
    response = client.post(f"{PREFIX}/auth/tokens", json={
        "email": "api@example.com", "password": TEST_PASSWORD, "role": "admin"})
    error = assert_error(response, 422, "validation_error")
    assert [(f["loc"], f["type"]) for f in error["details"]["fields"]] == \
        [(["role"], "extra_forbidden")]
    assert db.session.query(ApiToken).count() == 0


def test_a_json_array_is_not_an_object(client):
    response = client.post(f"{PREFIX}/auth/tokens", json=["api@example.com", TEST_PASSWORD])
    error = assert_error(response, 422, "validation_error")
    assert error["details"]["fields"]


# --- the current user -------------------------------------------------------------------

def test_me_tells_exactly_who_the_token_belongs_to(client, user, token):
    response = client.get(f"{PREFIX}/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"id": user.id, "email": "api@example.com",
                                   "role": "firm_member",
                                   "organisation_id": user.organisation_id}
    db.session.expire_all()
    [stored] = db.session.query(ApiToken).all()
    assert stored.last_used_dt is not None


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer "}, {"Authorization": "Basic YXBpOnB3"},
    {"Authorization": "Bearer hc_not-a-real-token"}])
def test_without_a_valid_bearer_token_the_api_answers_401(client, headers):
    response = client.get(f"{PREFIX}/me", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_does_not_open_the_api(client, user):
    login(client, "api@example.com")
    assert client.get("/profile").status_code == 200
    assert_error(client.get(f"{PREFIX}/me"), 401, "unauthorized")


def test_a_token_revoked_through_the_api_stops_working(client, token):
    response = client.delete(f"{PREFIX}/auth/tokens/current", headers=bearer(token))
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")
    assert_error(client.delete(f"{PREFIX}/auth/tokens/current", headers=bearer(token)),
                 401, "unauthorized")


def test_a_token_revoked_on_the_profile_page_stops_working(client, user, token):
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    login(client, "api@example.com")
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_disabled_users_token_stops_working(client, user, token):
    user.is_active_account = False
    db.session.commit()
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


# --- one error shape everywhere ---------------------------------------------------------

def test_an_unknown_api_path_is_a_json_404(client):
    assert_error(client.get(f"{PREFIX}/no-such-thing"), 404, "not_found")
    assert_error(client.post(f"{PREFIX}/auth/tokens/current/nothing"), 404, "not_found")


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/auth/tokens", {"POST"}),
    ("POST", "/me", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/auth/tokens/current", {"DELETE"}),
])
def test_a_wrong_method_is_a_json_405_that_names_the_allowed_ones(client, token, method,
                                                                  path, allowed):
    response = client.open(f"{PREFIX}{path}", method=method, headers=bearer(token))
    assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed


def _agency_token():
    _token, plaintext = issue_api_token(AgencyMemberFactory(), "agency")
    db.session.commit()
    return plaintext


def _conflict(client, token):
    """Deciding an application twice: the second decision is an invalid transition."""
    auditor_token = issue_api_token(UserFactory(role=Role.AUDITOR), "auditor")[1]
    application = make_application(make_programme())
    db.session.commit()
    path = f"{PREFIX}/voucher-applications/{application.id}/decisions"
    decision = {"decision": "reject", "comment": "Not a technology service."}
    assert client.post(path, json=decision, headers=bearer(auditor_token)).status_code == 200
    return client.post(path, json=decision, headers=bearer(auditor_token))


def _crash(client, token, monkeypatch):
    def broken(email, password):
        raise RuntimeError("the database went away")
    monkeypatch.setattr("marketplace.accounts.services.authenticate", broken)
    return client.post(f"{PREFIX}/auth/tokens",
                       json={"email": "api@example.com", "password": TEST_PASSWORD})


ERROR_CASES = {
    "malformed_json": (lambda c, t, m: c.post(f"{PREFIX}/auth/tokens", data="{",
                                              content_type="application/json"),
                       400, "bad_request"),
    "no_token": (lambda c, t, m: c.get(f"{PREFIX}/me"), 401, "unauthorized"),
    "wrong_password": (lambda c, t, m: c.post(f"{PREFIX}/auth/tokens", json={
        "email": "api@example.com", "password": "nope"}), 401, "invalid_credentials"),
    "not_allowed": (lambda c, t, m: c.get(f"{PREFIX}/vouchers", headers=bearer(_agency_token())),
                    403, "forbidden"),
    "unknown_path": (lambda c, t, m: c.get(f"{PREFIX}/nothing-here"), 404, "not_found"),
    "unknown_object": (lambda c, t, m: c.get(f"{PREFIX}/programmes/987654/budget",
                                             headers=bearer(t)), 404, "not_found"),
    "wrong_method": (lambda c, t, m: c.put(f"{PREFIX}/me", headers=bearer(t)),
                     405, "method_not_allowed"),
    "invalid_transition": (lambda c, t, m: _conflict(c, t), 409, "invalid_transition"),
    "invalid_fields": (lambda c, t, m: c.post(f"{PREFIX}/auth/tokens", json={}),
                       422, "validation_error"),
    "invalid_query": (lambda c, t, m: c.get(f"{PREFIX}/voucher-applications?page=0",
                                            headers=bearer(t)), 422, "validation_error"),
    "unexpected": (_crash, 500, "internal_error"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_every_error_has_the_same_shape(client, user, token, monkeypatch, case):
    make_request, status, code = ERROR_CASES[case]
    assert_error(make_request(client, token, monkeypatch), status, code)


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


# --- the OpenAPI document and the docs page ---------------------------------------------

@pytest.fixture
def document(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_0(document):
    assert document["openapi"].startswith("3.0.")
    validate(document, cls=OpenAPIV30SpecValidator)


def test_the_document_lists_every_declared_operation(document):
    assert OPERATIONS, "no operation is declared"
    for op in OPERATIONS:
        path = PREFIX + openapi_path(op.path)
        assert op.method in document["paths"].get(path, {}), f"{op.method.upper()} {path}"
        item = document["paths"][path][op.method]
        assert item["operationId"] == op.endpoint
        assert ("security" in item) is op.auth
        for status in item["responses"]:
            if int(status) >= 400:
                ref = item["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorBody"}


def test_every_api_route_of_the_app_is_in_the_document(app, document):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or rule.endpoint in NOT_IN_THE_DOCUMENT:
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"].get(path, {}), \
                f"{method} {rule.rule} ({rule.endpoint}) is not in openapi.json"


def test_the_token_operation_documents_its_errors(document):
    responses = document["paths"][f"{PREFIX}/auth/tokens"]["post"]["responses"]
    assert {"201", "400", "422", "429", "500"} <= set(responses)
    assert "security" not in document["paths"][f"{PREFIX}/auth/tokens"]["post"]
    assert document["paths"][f"{PREFIX}/me"]["get"]["security"] == [{"bearerAuth": []}]


class _AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_the_docs_page_uses_only_assets_served_by_the_app(client):
    response = client.get(f"{PREFIX}/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    collector = _AssetCollector()
    collector.feed(page)
    assert len(collector.urls) >= 3, collector.urls  # swagger css, swagger js, our starter
    for url in collector.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"external asset {url}"
        assert not url.startswith(("http://", "https://", "//"))
        assert client.get(url).status_code == 200, url
    assert any("swagger-ui-bundle.js" in url for url in collector.urls)
    assert any("swagger-ui.css" in url for url in collector.urls)
    assert f'data-spec-url="{PREFIX}/openapi.json"' in page


def test_the_docs_starter_turns_off_the_online_validator_badge(client):
    # Swagger UI otherwise loads an image from validator.swagger.io with our document's URL.
    starter = client.get("/static/js/api-docs.js").get_data(as_text=True)
    assert "validatorUrl: null" in starter
    assert "http://" not in starter and "https://" not in starter


# --- rate limiting ------------------------------------------------------------------------

def _token_request(client, email, ip, password="wrong-password"):
    return client.post(f"{PREFIX}/auth/tokens", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_token_requests_are_throttled_per_account_and_address_not_per_account(limited_app,
                                                                             user):
    """Five wrong passwords for one account from one address stop that pair: 429 whatever
    the password (the right one mails a sign-in link). From another address the owner
    gets a token as usual."""
    client = limited_app.test_client()
    for attempt in range(5):
        assert_error(_token_request(client, "api@example.com", "10.0.0.1"), 401,
                     "invalid_credentials")
    for password in ("wrong-password", TEST_PASSWORD):
        assert_error(_token_request(client, "API@example.com", "10.0.0.1", password), 429,
                     "too_many_attempts")
    assert db.session.query(ApiToken).count() == 0
    response = _token_request(client, "api@example.com", "10.0.0.2", TEST_PASSWORD)
    assert response.status_code == 201
    assert db.session.query(ApiToken).count() == 1


def test_one_address_asking_for_many_emails_is_limited_too(limited_app, user):
    client = limited_app.test_client()
    for attempt in range(10):
        assert _token_request(client, f"guess{attempt}@example.com", "10.0.2.1") \
            .status_code == 401
    assert_error(_token_request(client, "api@example.com", "10.0.2.1", TEST_PASSWORD),
                 429, "rate_limited")
