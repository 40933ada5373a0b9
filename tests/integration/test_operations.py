"""What operations rely on: probes, security headers, request ids in the logs, cookie and
CSRF settings, production refusing unsafe settings, and the login rate limit."""
import io
import logging
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import config
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory
from tests.support.production import PRODUCTION_SETTINGS, production_environment

ROOT = Path(__file__).resolve().parents[2]

REQUEST_ID = re.compile(r"^[A-Za-z0-9]{8,64}$")
ANONYMOUS_PAGES = ["/", "/login", "/register", "/password/forgot"]


@pytest.fixture
def firm_user():
    user = FirmMemberFactory(email="owner@example.com")
    db.session.commit()
    return user


# --- probes ---------------------------------------------------------------------------

def test_healthz_answers_ok_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database_and_redis(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    if app.config.get("REDIS_URL"):
        assert body["checks"]["redis"] == "ok"
    else:
        assert body["checks"]["redis"].startswith("not configured")


# --- security headers -----------------------------------------------------------------

def csp_directives(header):
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response):
    csp = response.headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy"
    directives = csp_directives(csp)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src and "'self'" in script_src
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in directives.get("default-src", [])
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert REQUEST_ID.match(response.headers.get("X-Request-ID", ""))


@pytest.mark.parametrize("path", ANONYMOUS_PAGES + ["/no-such-page"])
def test_every_html_page_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == (404 if path == "/no-such-page" else 200)
    assert response.mimetype == "text/html"
    assert_security_headers(response)


def test_signed_in_pages_carry_the_security_headers_too(client, firm_user):
    login(client, firm_user.email)
    for path in ("/", "/profile", "/organisation"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)


def test_a_valid_incoming_request_id_is_echoed_and_a_bad_one_replaced(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "lb7f3a9c2e41d0"})
    assert echoed.headers["X-Request-ID"] == "lb7f3a9c2e41d0"
    for bad in ("short", "has spaces in it", "x" * 65, "semi;colon1234"):
        response = client.get("/healthz", headers={"X-Request-ID": bad})
        assert response.headers["X-Request-ID"] != bad
        assert REQUEST_ID.match(response.headers["X-Request-ID"])
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


# --- no inline script -----------------------------------------------------------------

class ScriptAudit(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' would block: inline <script> bodies,
    on* event-handler attributes and javascript: URLs."""

    DATA_TYPES = {"application/json", "application/ld+json", "text/template"}

    def __init__(self):
        super().__init__()
        self.problems = []
        self.external_scripts = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.external_scripts.append(attributes["src"])
            elif (attributes.get("type") or "").lower() not in self.DATA_TYPES:
                self.problems.append(f"inline <script> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> at line {self.getpos()[0]}")
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}='javascript:...'> at line "
                                     f"{self.getpos()[0]}")


def audit(html):
    parser = ScriptAudit()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("path", ["/", "/login", "/register"])
def test_pages_have_no_inline_script(client, path):
    parser = audit(client.get(path).get_data(as_text=True))
    assert parser.problems == []
    assert any(src.endswith("/js/app.js") for src in parser.external_scripts)


def test_the_signed_in_home_page_has_no_inline_script(client, firm_user):
    login(client, firm_user.email)
    assert audit(client.get("/").get_data(as_text=True)).problems == []


def test_the_audit_would_notice_an_inline_script():
    html = ('<script>alert(1)</script><script src="/a.js"></script>'
            '<script type="application/json">{}</script><a href="javascript:x()">x</a>'
            '<button onclick="x()">x</button>')
    assert len(audit(html).problems) == 3


# --- cookies and CSRF -----------------------------------------------------------------

def test_the_session_cookie_is_httponly_and_samesite_lax(client, firm_user):
    response = login(client, firm_user.email)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "samesite=lax"


def csrf_token_of(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the form"
    return match.group(1)


def test_a_login_post_without_the_csrf_token_is_refused(csrf_app, firm_user):
    client = csrf_app.test_client()
    refused = client.post("/login", data={"email": firm_user.email,
                                          "password": "password123"})
    assert refused.status_code == 400
    assert client.get("/profile").status_code == 302  # not signed in

    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    accepted = client.post("/login", data={"email": firm_user.email,
                                           "password": "password123", "csrf_token": token})
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith("/")


def test_a_csrf_token_from_another_session_is_refused(csrf_app, firm_user):
    other = csrf_app.test_client()
    token = csrf_token_of(other.get("/login").get_data(as_text=True))
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": firm_user.email,
                                           "password": "password123", "csrf_token": token})
    assert response.status_code == 400


# --- production settings --------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch):
    return production_environment(monkeypatch, SECRET_KEY=None)


@pytest.mark.parametrize("secret", [None, "", config.DEFAULT_SECRET_KEY, "short-secret"],
                         ids=["unset", "empty", "dev-default", "short"])
def test_production_refuses_a_missing_or_weak_secret_key(production_env, secret):
    if secret is not None:
        production_env.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.load_config("production")


def test_production_refuses_to_start_without_a_database(production_env):
    production_env.setenv("SECRET_KEY", secrets.token_hex(32))
    production_env.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        config.load_config("production")


@pytest.mark.parametrize("key", [None, "", config.DEFAULT_IDENTITY_HASH_KEY, "short-key"],
                         ids=["unset", "empty", "dev-default", "short"])
def test_production_refuses_a_missing_or_weak_identity_hash_key(production_env, key):
    production_env.setenv("SECRET_KEY", secrets.token_hex(32))
    production_env.delenv("IDENTITY_HASH_KEY")
    if key is not None:
        production_env.setenv("IDENTITY_HASH_KEY", key)
    with pytest.raises(RuntimeError, match="IDENTITY_HASH_KEY"):
        config.load_config("production")


def test_production_starts_with_a_long_secret_and_a_database(production_env):
    secret = secrets.token_hex(32)
    production_env.setenv("SECRET_KEY", secret)
    settings = config.load_config("production")
    assert settings["SECRET_KEY"] == secret
    assert settings["SQLALCHEMY_DATABASE_URI"] == \
        "postgresql+psycopg://hc@db.internal:5432/hongcheng"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("name", ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY",
                                  "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE",
                                  "STRIPE_JS_URL"])
def test_production_refuses_a_gateway_setting_left_unset_or_at_its_public_default(
        monkeypatch, name):
    """The webhook secret whsec_localstripe is public: a production that kept it accepts
    payment events anyone can sign."""
    for value, said in ((None, f"set {name} (it is empty)"),
                        (getattr(config.Config, name), f"set {name}: it is the public "
                                                       "development default")):
        production_environment(monkeypatch, **{name: value})
        with pytest.raises(RuntimeError) as refused:
            config.load_config("production")
        assert said in str(refused.value)


def test_production_refuses_a_gateway_on_loopback_or_without_tls(monkeypatch):
    for base in ("http://127.0.0.1:8421", "https://localhost", "http://api.stripe.com"):
        production_environment(monkeypatch, STRIPE_API_BASE=base)
        with pytest.raises(RuntimeError, match="STRIPE_API_BASE to the gateway's https"):
            config.load_config("production")


def test_production_names_every_missing_setting_at_once(monkeypatch):
    production_environment(monkeypatch, SECRET_KEY=None, DATABASE_URL=None,
                           STRIPE_WEBHOOK_SECRET="whsec_localstripe",
                           STRIPE_SECRET_KEY=None, MAIL_SERVER="smtp.bureau.example")
    with pytest.raises(RuntimeError) as refused:
        config.load_config("production")
    message = str(refused.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY",
                 "MAIL_USERNAME", "MAIL_PASSWORD"):
        assert name in message, message
    assert "STRIPE_PUBLISHABLE_KEY" not in message


def test_production_wants_mail_credentials_only_when_mail_is_on(monkeypatch):
    production_environment(monkeypatch)
    assert config.load_config("production")["MAIL_SERVER"] is None
    production_environment(monkeypatch, MAIL_SERVER="smtp.bureau.example",
                           MAIL_USERNAME="hc", MAIL_PASSWORD="s3cret-mail")
    assert config.load_config("production")["MAIL_USERNAME"] == "hc"


def test_the_production_app_factory_refuses_the_public_webhook_secret(monkeypatch):
    """Through `flask`, as an operator starts it: it stops and names the setting."""
    environment = {**os.environ, "MARKETPLACE_CONFIG": "production", **PRODUCTION_SETTINGS,
                   "STRIPE_WEBHOOK_SECRET": "whsec_localstripe"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace:create_app",
                           "routes"], env=environment, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET: it is the public development default" in done.stderr


def test_seed_demo_is_refused_in_production(app):
    """The demo accounts' password is in the README: production never gets them."""
    from marketplace.accounts.models import User

    environment = {**os.environ, "MARKETPLACE_CONFIG": "production", **PRODUCTION_SETTINGS,
                   "DATABASE_URL": os.environ["TEST_DATABASE_URL"]}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace:create_app",
                           "seed-demo", "--contracts", "0"], env=environment,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode != 0, done.stdout
    assert "seed-demo is refused in production" in done.stderr
    db.session.rollback()
    assert db.session.query(User).count() == 0


# --- login rate limit -----------------------------------------------------------------

def test_the_eleventh_login_from_one_address_is_refused_with_a_clear_page(limited_app,
                                                                          firm_user):
    """The flood guard: one address, any accounts, LOGIN_RATE_LIMIT requests a minute."""
    client = limited_app.test_client()
    for attempt in range(10):
        response = client.post("/login", data={"email": f"guess{attempt}@example.com",
                                               "password": "not-the-password"})
        assert response.status_code == 200, f"attempt {attempt + 1}"
        assert "邮箱或密码不正确。" in response.get_data(as_text=True)
    refused = client.post("/login", data={"email": firm_user.email,
                                          "password": "not-the-password"})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "尝试次数过多" in page  # "Too many attempts"
    assert "为保障账号安全，请等待一分钟后再试。" in page
    assert refused.mimetype == "text/html"
    assert_security_headers(refused)


# --- request ids in the logs ----------------------------------------------------------

@pytest.fixture
def app_logging(app):
    """The app's own log handler on the root logger, writing to a buffer.

    Alembic's env.py (run by the session fixture's ``upgrade()``) replaces the root
    logging configuration, as `flask db upgrade` does in its own process; put the app's
    back for the test and restore whatever was there afterwards."""
    from marketplace import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(app)
    [handler] = [h for h in root.handlers if getattr(h, "_marketplace", False)]
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous_stream)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_request_logs_carry_the_request_id(client, caplog, app_logging):
    caplog.set_level(logging.INFO, logger="marketplace")
    client.get("/healthz", headers={"X-Request-ID": "lb7f3a9c2e41d0"})
    response = client.get("/login")

    records = [r for r in caplog.records if r.name == "marketplace"]
    by_path = {r.getMessage().split()[1]: r for r in records if r.getMessage().startswith("GET")}
    assert by_path["/healthz"].request_id == "lb7f3a9c2e41d0"
    assert by_path["/login"].request_id == response.headers["X-Request-ID"]
    assert re.match(r"GET /healthz 200 \d+\.\dms$", by_path["/healthz"].getMessage())
    lines = app_logging.getvalue().splitlines()
    assert any("[lb7f3a9c2e41d0] marketplace: GET /healthz 200" in line for line in lines)
    assert any(f"[{response.headers['X-Request-ID']}] marketplace: GET /login 200" in line
               for line in lines)
