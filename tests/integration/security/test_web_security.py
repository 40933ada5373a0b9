"""Web security of the whole app, checked generically (routes from the URL map, templates
from the templates folder, SQL from the source tree) so new pages are covered as they come.

Already covered elsewhere and not repeated here: cookie flags of the test config and a
login without a CSRF token (test_operations.py), per-account login throttling
(test_operations.py, test_api_base.py), uploads checked by content, limited in size and
downloaded as attachments only by those allowed (agencies/test_documents.py,
orders/test_order_step_pages.py).
"""
import ast
import io
import re
from pathlib import Path

import pytest
from werkzeug.routing.converters import NumberConverter

import config
from marketplace.accounts.services import issue_api_token
from marketplace.extensions import csrf, db
from tests.conftest import login
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.security.forms_walker import row_counts
from tests.support.production import production_environment

ROOT = Path(__file__).resolve().parents[3]
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that take no session cookie, hence need no CSRF token: the JSON API (bearer
# tokens) and the payment gateway's webhook (a signature of its own).
CSRF_EXEMPT_BY_DESIGN = {"payments.webhook"}


def _is_api(app, endpoint):
    return endpoint.startswith("api.") or hasattr(app.view_functions[endpoint], "api_auth")


def _any_url(app, rule):
    values = {}
    for name in rule.arguments:
        values[name] = 1 if isinstance(rule._converters[name], NumberConverter) else "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values,
                                               method=sorted(rule.methods & STATE_CHANGING)[0])


def _state_changing_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & STATE_CHANGING):
            yield rule, method


def _csrf_exempt(app, endpoint):
    view = app.view_functions[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return (f"{view.__module__}.{view.__name__}" in csrf._exempt_views
            or (blueprint and app.blueprints.get(blueprint) in csrf._exempt_blueprints))


def test_only_the_api_and_the_webhook_are_exempt_from_csrf(app):
    exempt = {rule.endpoint for rule, _m in _state_changing_routes(app)
              if _csrf_exempt(app, rule.endpoint)}
    unexpected = {e for e in exempt if not _is_api(app, e)} - CSRF_EXEMPT_BY_DESIGN
    assert not unexpected, f"state-changing routes without CSRF protection: {unexpected}"
    cookie_api = {rule.endpoint for rule, _m in _state_changing_routes(app)
                  if _is_api(app, rule.endpoint) and not _csrf_exempt(app, rule.endpoint)}
    assert not cookie_api, f"API operations that would need a CSRF token: {cookie_api}"


def test_every_state_changing_route_refuses_a_post_without_csrf_token(app):
    member = FirmMemberFactory(is_owner=True)
    db.session.commit()
    visitor, signed_in = app.test_client(), app.test_client()
    login(signed_in, member.email)
    before = row_counts()
    checked, wrong = 0, []
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for rule, method in _state_changing_routes(app):
            if _is_api(app, rule.endpoint) or rule.endpoint in CSRF_EXEMPT_BY_DESIGN:
                continue
            url = _any_url(app, rule)
            for who, client in (("visitor", visitor), ("signed-in firm owner", signed_in)):
                response = client.open(url, method=method, data={"name": "x", "amount": "1"})
                checked += 1
                if response.status_code != 400:
                    wrong.append(f"{method} {url} ({rule.endpoint}) as {who}: "
                                 f"{response.status_code}, expected 400")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert checked > 20
    assert not wrong, "\n".join(wrong)
    assert row_counts() == before, "a POST without a CSRF token stored something"


def test_the_production_session_cookie_is_secure_httponly_and_lax(app, monkeypatch):
    production_environment(monkeypatch)
    production = config.load_config("production")
    names = [key for key in production if key.startswith(("SESSION_COOKIE_",
                                                           "REMEMBER_COOKIE_", "HSTS_"))]
    saved = {key: app.config.get(key) for key in names + ["WTF_CSRF_ENABLED"]}
    app.config.update({key: production[key] for key in names}, WTF_CSRF_ENABLED=True)
    try:
        response = app.test_client().get("/login")   # the CSRF token starts a session
    finally:
        app.config.update(saved)
    cookie = response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookie.split(";")[1:]}
    assert "secure" in attributes and "httponly" in attributes, cookie
    assert attributes.get("samesite") == "SameSite=Lax", cookie
    assert response.headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"


def test_hsts_covers_subdomains_unless_switched_off(app, monkeypatch):
    production_environment(monkeypatch, HSTS_INCLUDE_SUBDOMAINS="0", HSTS_MAX_AGE="600")
    production = config.load_config("production")
    names = ["SESSION_COOKIE_SECURE", "HSTS_INCLUDE_SUBDOMAINS", "HSTS_MAX_AGE"]
    saved = {key: app.config.get(key) for key in names}
    app.config.update({key: production[key] for key in names})
    try:
        response = app.test_client().get("/login")
    finally:
        app.config.update(saved)
    assert response.headers["Strict-Transport-Security"] == "max-age=600"


def test_the_session_is_renewed_at_login(app):
    """Session fixation: whatever a visitor's session held (planted by an attacker) is
    gone after sign-in, and the pre-login cookie does not sign anybody in."""
    member = FirmMemberFactory()
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    planted_cookie = client.get_cookie("session").value
    login(client, member.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
    assert client.get_cookie("session").value != planted_cookie
    attacker = app.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert attacker.get("/profile").status_code == 302     # to the login page


def test_a_session_cookie_copied_before_sign_out_is_dead_after_it(app):
    """Sessions live in signed cookies, so sign-out retires the version they carry."""
    member = FirmMemberFactory()
    db.session.commit()
    client = app.test_client()
    login(client, member.email)
    copied_cookie = client.get_cookie("session").value
    assert client.get("/profile").status_code == 200
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied_cookie)
    assert thief.get("/profile").status_code == 302       # to the login page


# --- Content-Security-Policy and inline script ---------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    found = []
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 30
    for path in templates:
        source = path.read_text(encoding="utf-8")
        for pattern, what in ((INLINE_SCRIPT, "inline <script>"),
                              (EVENT_HANDLER, "on*= attribute"),
                              (JS_URL, "javascript: URL")):
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)[:60]}")
    assert not found, "the CSP forbids these (move the code to a static .js file):\n" + \
        "\n".join(found)


def test_the_content_security_policy_is_strict(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2]
                      for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and \
            "'unsafe-eval'" not in directives[name], f"{name}: {directives[name]}"
    assert "*" not in directives["script-src"].split()
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"


# --- login throttling on the real Redis --------------------------------------------

@pytest.mark.redis
def test_logins_are_throttled_per_address_and_per_account_in_redis(limited_app):
    import redis

    assert limited_app.config["RATELIMIT_STORAGE_URI"].startswith("redis"), \
        "the limiter must count in Redis (shared by every web process)"
    member = FirmMemberFactory()
    db.session.commit()
    client = limited_app.test_client()
    limit = int(limited_app.config["LOGIN_RATE_LIMIT"].split()[0])
    for attempt in range(limit):    # one address trying many accounts
        response = client.post("/login", data={"email": f"guess{attempt}@example.com",
                                               "password": "wrong-password"},
                               environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
        assert response.status_code == 200, f"attempt {attempt + 1}"
    refused = client.post("/login", data={"email": member.email, "password": "password123"},
                          environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert refused.status_code == 429
    assert "为保障账号安全，请等待一分钟后再试。" in refused.get_data(as_text=True)
    # another address is not held up by that one
    assert client.post("/login", data={"email": member.email, "password": "password123"},
                       environ_overrides={"REMOTE_ADDR": "192.0.2.8"}).status_code == 302
    prefix = limited_app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"]
    server = redis.Redis.from_url(limited_app.config["RATELIMIT_STORAGE_URI"])
    assert any(server.scan_iter(match=f"{prefix}*", count=1000)), "no counter in Redis"


# --- uploads over the request limit ------------------------------------------------

def test_a_request_over_the_limit_gets_a_clear_page_and_json_error(app):
    member = AgencyMemberFactory(is_owner=True)
    db.session.commit()
    client = app.test_client()
    login(client, member.email)
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = b"%PDF-1.4\n" + b"0" * limit
    before = row_counts()
    page = client.post("/registry/documents", content_type="multipart/form-data",
                       data={"doc-file": (io.BytesIO(big), "licence.pdf")})
    assert page.status_code == 413 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert f"{limit // (1024 * 1024)} MiB" in text, text[-600:]
    api = client.post("/api/v1/auth/tokens", data=big, content_type="application/json")
    assert api.status_code == 413
    assert api.get_json()["error"]["code"] == "payload_too_large"
    assert api.get_json()["error"]["details"]["max_bytes"] == limit
    assert row_counts() == before


# --- no SQL built from strings --------------------------------------------------------

SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript", "literal_column"}
# Reviewed hits: (file, function) -> why the string is safe. Nothing from a request may
# ever be put into the string; values go in bound parameters.
REVIEWED = {
    ("marketplace/catalogue/search.py", "ranked_matches"):
        "module constants TITLE_WEIGHT/BODY_WEIGHT (floats); the search terms are bound",
    ("marketplace/catalogue/search.py", "create_search_index"):
        "migration DDL from the module constant PG_VECTOR",
    ("marketplace/catalogue/search.py", "drop_search_index"):
        "migration DDL over a fixed tuple of trigger names",
    ("marketplace/core/audit.py", "_records_with_writer_xid"):
        "column names and casts from the module constant _ENTRY_COLUMNS; values bound",
    ("marketplace/core/ledger.py", "_posting_statement"):
        "column names from a fixed list in the function, placeholders numbered by the "
        "legs' count (an int); every value bound",
    ("marketplace/core/rows.py", "insert_on_conflict_do_nothing"):
        "table and column names from the metadata, conflict target and RETURNING from the "
        "calling code's constants; values bound",
}


def _dynamic_string(node):
    """An f-string with values, ``%``/``+`` on a string, or ``"...".format(...)``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr == "format"


def _sql_from_strings(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in SQL_CALLS and _dynamic_string(node.args[0]):
            inside = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
            function = max(inside, key=lambda f: f.lineno).name if inside else "<module>"
            yield node.lineno, function, ast.unparse(node)[:100]


def test_no_sql_is_built_from_strings():
    hits, reviewed = [], set()
    for path in sorted((ROOT / "marketplace").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        for line, function, call in _sql_from_strings(path):
            if (relative, function) in REVIEWED:
                reviewed.add((relative, function))
            else:
                hits.append(f"{relative}:{line} in {function}: {call}")
    assert not hits, "SQL built from strings (use bound parameters):\n" + "\n".join(hits)
    assert reviewed == set(REVIEWED), f"reviewed entries with no hit left: " \
        f"{set(REVIEWED) - reviewed}"


def test_the_sql_check_sees_an_fstring_in_text(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def find(db, name):\n"
                      "    return db.execute(\n"
                      "        text(f\"SELECT * FROM users WHERE name = '{name}'\"))\n")
    assert [(line, function) for line, function, _call in _sql_from_strings(sample)] == \
        [(3, "find")]


# --- user text is shown as text -----------------------------------------------------

def test_a_script_tag_in_a_name_is_shown_as_text_everywhere_it_appears(app):
    script = "<script>alert('hc')</script>"
    member = FirmMemberFactory(is_owner=True, name=script)
    member.organisation.name = "测试" + script
    db.session.commit()
    client = app.test_client()
    login(client, member.email)
    for path in ("/", "/profile", "/organisation"):
        body = client.get(path).get_data(as_text=True)
        assert script not in body, path
    assert "&lt;script&gt;" in client.get("/organisation").get_data(as_text=True)


# --- NUL characters (PostgreSQL text cannot hold them) ------------------------------

def test_a_nul_character_is_refused_with_a_message_not_a_server_error(app):
    member = FirmMemberFactory(is_owner=True)
    db.session.commit()
    signed_in, visitor = app.test_client(), app.test_client()
    login(signed_in, member.email)
    before = row_counts()
    page = visitor.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert page.status_code == 422 and "NUL" in page.get_data(as_text=True)
    assert visitor.get("/offerings?q=a%00b").status_code == 422
    api = visitor.post("/api/v1/auth/tokens", json={"email": "a\x00@example.com",
                                                    "password": "x"})
    assert api.status_code == 422 and api.get_json()["error"]["code"] == "validation_error"
    assert signed_in.post("/profile", data={"name": "名\x00字"}).status_code == 422
    assert row_counts() == before


def test_an_id_beyond_the_database_integer_is_not_found(app):
    member = FirmMemberFactory(is_owner=True)
    db.session.commit()
    client = app.test_client()
    login(client, member.email)
    huge = 2**31
    assert client.get(f"/orders/{huge}").status_code == 404
    assert client.get(f"/vouchers/{huge * 10**9}").status_code == 404
    assert client.get(f"/api/v1/programmes/{huge}/budget").status_code in (401, 404)


def test_a_huge_id_on_a_path_with_rules_for_other_methods_is_not_found(app):
    """werkzeug answers 405 when one rule of a path matches the method and another the
    id; a huge id must still be a plain 404 whatever the method."""
    agency_member = AgencyMemberFactory(is_owner=True)
    db.session.commit()
    _token, token = issue_api_token(agency_member, "test")
    db.session.commit()
    response = app.test_client().patch(f"/api/v1/offerings/{2**60}", json={},
                                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_production_with_insecure_cookies_says_so_at_start(monkeypatch, caplog):
    """Switching secure cookies off is allowed (a trial over plain http) but not silent:
    it also drops HSTS."""
    production_environment(monkeypatch, SESSION_COOKIE_SECURE="0")
    with caplog.at_level("WARNING", logger="marketplace"):
        production = config.load_config("production")
    assert production["SESSION_COOKIE_SECURE"] is False
    assert any("SESSION_COOKIE_SECURE off" in r.getMessage() for r in caplog.records)
    caplog.clear()
    production_environment(monkeypatch)
    with caplog.at_level("WARNING", logger="marketplace"):
        config.load_config("production")
    assert not any("SESSION_COOKIE_SECURE" in r.getMessage() for r in caplog.records)
