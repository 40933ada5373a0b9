"""Sign-in throttling that cannot be turned against the owner: failures slow down the
pair (account, address), proxies are trusted only when configured, the right password
always gets the owner in (directly, or by a mailed one-time link), and Redis being down
does not stop anyone signing in."""
import logging
import re

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.accounts.models import ApiToken
from marketplace.core import throttle
from marketplace.extensions import db, limiter
from tests.factories import TEST_PASSWORD, FirmMemberFactory

ATTACKER, OWNER = "192.0.2.66", "198.51.100.7"
TOO_MANY = "Too many failed attempts for this account from here."


@pytest.fixture
def owner():
    user = FirmMemberFactory(email="owner@example.com", locale="en")
    db.session.commit()
    return user


def english(app):
    client = app.test_client()
    client.post("/language", data={"locale": "en", "next": "/"})
    return client


def sign_in(client, password, address, email="owner@example.com", **extra):
    return client.post("/login", data={"email": email, "password": password},
                       environ_overrides={"REMOTE_ADDR": address}, **extra)


def hammer(client, address, times=6):
    """Wrong passwords for the owner's account from ``address``; the last one is over
    the pair's limit (LOGIN_PAIR_FAILURES: 5 per 15 minutes)."""
    for attempt in range(times):
        response = sign_in(client, f"guess-{attempt}", address)
        expected = 200 if attempt < 5 else 429
        assert response.status_code == expected, f"attempt {attempt + 1}"
    return response


def test_an_attacker_hammering_from_one_address_does_not_lock_out_the_owner_elsewhere(
        limited_app, owner, smtp_server):
    attacker, owners_browser = english(limited_app), limited_app.test_client()
    refused = hammer(attacker, ATTACKER)
    assert TOO_MANY in refused.get_data(as_text=True)
    # the attacker cannot tell a right password from a wrong one any more
    right = sign_in(attacker, TEST_PASSWORD, ATTACKER)
    assert right.status_code == 429 and TOO_MANY in right.get_data(as_text=True)
    with attacker.session_transaction() as session:
        assert "_user_id" not in session
    # the owner, elsewhere, signs in as usual
    response = sign_in(owners_browser, TEST_PASSWORD, OWNER)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owners_browser.get("/profile").status_code == 200


def test_the_right_password_from_a_throttled_address_mails_a_link_that_works_once(
        limited_app, owner, smtp_server):
    client = limited_app.test_client()
    hammer(client, ATTACKER)
    assert smtp_server.to(owner.email) == []          # wrong passwords mail nobody
    assert sign_in(client, TEST_PASSWORD, ATTACKER).status_code == 429
    [mail] = smtp_server.to(owner.email)
    assert mail["Subject"] == "Your sign-in link"
    path = re.search(r"http://localhost(/login/link/\S+)", smtp_server.body(mail)).group(1)

    opened = client.get(path)                          # a mail scanner's GET uses nothing
    assert opened.status_code == 200 and owner.email in opened.get_data(as_text=True)
    assert client.get(path).status_code == 200
    response = client.post(path, environ_overrides={"REMOTE_ADDR": ATTACKER})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/profile").status_code == 200

    again = limited_app.test_client()
    response = again.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "链接无效或已过期" in again.get("/").get_data(as_text=True)
    assert again.get("/profile").status_code == 302    # not signed in: the link is used up


def test_without_configured_proxies_a_forwarded_address_is_not_believed(limited_app, owner):
    client = limited_app.test_client()
    for attempt in range(6):    # a new X-Forwarded-For each time: still one client
        response = sign_in(client, f"guess-{attempt}", ATTACKER,
                           headers={"X-Forwarded-For": f"203.0.113.{attempt}"})
    assert response.status_code == 429


def test_behind_a_configured_proxy_each_client_is_counted_on_its_own(limited_app, owner,
                                                                    monkeypatch):
    """PROXY_HOPS=1: every request comes from the proxy's address, the client's is in
    X-Forwarded-For. Without ProxyFix the whole site would share the proxy's counters."""
    monkeypatch.setattr(limited_app, "wsgi_app",
                        ProxyFix(limited_app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    proxy = "10.0.0.1"
    attacker, owners_browser = limited_app.test_client(), limited_app.test_client()
    for attempt in range(6):
        response = sign_in(attacker, f"guess-{attempt}", proxy,
                           headers={"X-Forwarded-For": "203.0.113.5"})
    assert response.status_code == 429
    response = sign_in(owners_browser, TEST_PASSWORD, proxy,
                       headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 302


def test_the_app_factory_installs_proxyfix_only_for_configured_hops(app):
    from marketplace import trust_proxies

    class Bare:
        config = {"PROXY_HOPS": 0}
        wsgi_app = object()

    bare = Bare()
    trust_proxies(bare)
    assert not isinstance(bare.wsgi_app, ProxyFix)
    bare.config = {"PROXY_HOPS": 2}
    trust_proxies(bare)
    assert isinstance(bare.wsgi_app, ProxyFix) and bare.wsgi_app.x_for == 2


# --- Redis down -------------------------------------------------------------------------

@pytest.fixture
def limits_in_private_redis(limited_app, tmp_path, monkeypatch):
    """The limiter (one object for every app) counting in a redis-server of this test's
    own, which the test may stop; everything is put back afterwards."""
    from limits.storage import storage_from_string
    from limits.strategies import STRATEGIES

    from tests.support.services import PrivateRedis

    if not PrivateRedis.binary():
        pytest.skip("needs redis-server")
    server = PrivateRedis(tmp_path).start()
    storage = storage_from_string(server.url, key_prefix="LIMITS-private",
                                  socket_connect_timeout=1, socket_timeout=1)
    monkeypatch.setattr(limiter, "_storage", storage)
    monkeypatch.setattr(limiter, "_limiter", STRATEGIES[limiter._strategy](storage))
    monkeypatch.setattr(limiter, "_storage_dead", False)
    monkeypatch.setattr(throttle, "_state", {"down_since": None, "fallback": None})
    monkeypatch.setitem(limited_app.config, "REDIS_URL", server.url)
    yield server
    server.stop()


@pytest.mark.redis
def test_with_redis_down_sign_in_and_tokens_still_work_and_readyz_says_so(
        limited_app, limits_in_private_redis, owner, caplog):
    client = limited_app.test_client()
    assert sign_in(client, "wrong", ATTACKER).status_code == 200     # counted in Redis
    assert client.get("/readyz").get_json()["status"] == "ok"
    limits_in_private_redis.stop()

    caplog.set_level(logging.WARNING)
    browser = limited_app.test_client()
    response = sign_in(browser, TEST_PASSWORD, OWNER)
    assert response.status_code == 302 and browser.get("/profile").status_code == 200
    api = limited_app.test_client()
    response = api.post("/api/v1/auth/tokens", json={"email": owner.email,
                                                     "password": TEST_PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert db.session.query(ApiToken).count() == 1
    logged = caplog.text
    assert "falling back to in-memory storage" in logged or \
        "counting sign-in failures in this process's memory" in logged, logged[-2000:]

    # the limits still hold, counted in this process
    hammer(limited_app.test_client(), ATTACKER, times=6)
    ready = limited_app.test_client().get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200 and body["status"] == "degraded", body
    assert body["checks"]["rate_limits"].startswith("degraded"), body
    assert body["checks"]["redis"].startswith("error"), body
    assert body["checks"]["database"] == "ok"
