"""The process's memory of API tokens (marketplace/accounts/token_cache.py) never lets a
token in that the database would refuse: a revoked token, a deactivated user, a changed
role are refused on the very next request, in this process and in another one (a second
app with its own cache, sharing Redis as gunicorn's workers do); what no hook can see (a
row changed by hand in SQL) within API_TOKEN_CACHE_SECONDS; and without a readable
generation in Redis nothing is trusted at all. API tokens have no expiry of their own."""
import pytest
from sqlalchemy import event, text

from marketplace.accounts import token_cache
from marketplace.accounts.models import ApiToken, Role
from marketplace.accounts.services import issue_api_token, revoke_api_token, set_user_active
from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import bearer

pytestmark = pytest.mark.redis


@pytest.fixture
def member():
    found = FirmMemberFactory()
    db.session.commit()
    return found


@pytest.fixture
def token(member):
    _token, plaintext = issue_api_token(member, "test")
    db.session.commit()
    return plaintext


@pytest.fixture
def other_process(app, isolated_globals):
    """A second app in this process: its own token cache, the same database and Redis."""
    from marketplace import create_app
    from tests.conftest import IsolatedClient

    other = create_app("testing")
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def token_reads(client, headers, path="/me"):
    """(response, statements naming api_tokens) of one request."""
    seen = []

    def count(conn, cursor, statement, *args):
        if "api_tokens" in statement:
            seen.append(statement)

    engines = {db.engines[None]}
    with client.application.app_context():
        engines.add(db.engines[None])
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(f"{PREFIX}{path}", headers=headers)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return response, seen


def test_a_repeat_within_the_bounds_reads_no_token(client, token):
    first, reads = token_reads(client, bearer(token))
    assert first.status_code == 200 and len(reads) == 1
    again, reads = token_reads(client, bearer(token))
    assert again.status_code == 200 and reads == []
    assert again.get_json() == first.get_json()


def test_a_token_revoked_through_the_api_is_refused_at_once(client, token):
    assert token_reads(client, bearer(token))[0].status_code == 200
    assert client.delete(f"{PREFIX}/auth/tokens/current",
                         headers=bearer(token)).status_code == 204
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_revocation_in_another_process_is_refused_here_at_once(client, token, member,
                                                                 other_process):
    other = other_process.test_client()
    assert token_reads(other, bearer(token))[0].status_code == 200
    assert token_reads(other, bearer(token))[1] == []      # cached over there
    [stored] = db.session.query(ApiToken).all()
    revoke_api_token(stored, member)
    db.session.commit()     # this process's commit: the other learns it through Redis
    assert_error(other.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_deactivated_user_is_refused_at_once_everywhere(client, token, member,
                                                          other_process):
    other = other_process.test_client()
    for either in (client, other):
        assert token_reads(either, bearer(token))[0].status_code == 200
    set_user_active(member, False, actor=None)
    db.session.commit()
    for either in (client, other):
        assert_error(either.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_changed_role_is_seen_on_the_next_request(client, token, member):
    assert client.get(f"{PREFIX}/vouchers", headers=bearer(token)).status_code == 200
    member.role, member.organisation_id = Role.AUDITOR, None
    db.session.commit()
    assert client.get(f"{PREFIX}/me", headers=bearer(token)).get_json()["role"] == "auditor"
    assert_error(client.get(f"{PREFIX}/vouchers", headers=bearer(token)), 403, "forbidden")


def test_a_change_no_hook_sees_is_refused_once_the_entry_expires(app, client, token,
                                                                 monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(token_cache, "clock", lambda: clock[0])
    assert token_reads(client, bearer(token))[0].status_code == 200
    db.session.execute(text("UPDATE api_tokens SET revoked_dt = now()"))   # by hand
    db.session.commit()
    bound = app.config["API_TOKEN_CACHE_SECONDS"]
    assert 0 < bound <= 30
    clock[0] += bound - 1
    assert token_reads(client, bearer(token))[0].status_code == 200   # the stated bound
    clock[0] += 1
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_without_a_readable_generation_nothing_is_trusted(app, client, token, member,
                                                          monkeypatch):
    assert token_reads(client, bearer(token))[0].status_code == 200
    cache = app.extensions[token_cache.EXTENSION]

    class Down:
        def get(self, key):
            raise ConnectionError("redis is down")

        def incr(self, key):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "_client", lambda: Down())
    answered, reads = token_reads(client, bearer(token))
    assert answered.status_code == 200 and len(reads) == 1     # read from the database
    [stored] = db.session.query(ApiToken).all()
    revoke_api_token(stored, member)
    db.session.commit()
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_an_unknown_or_altered_token_is_refused(client, token):
    assert token_reads(client, bearer(token))[0].status_code == 200
    for wrong in (token + "x", token[:-1], "hc_" + "A" * 43):
        assert_error(client.get(f"{PREFIX}/me", headers=bearer(wrong)), 401, "unauthorized")


def test_the_remembered_tokens_are_bounded(app, client, member, monkeypatch):
    monkeypatch.setattr(token_cache, "MAX_ENTRIES", 2)
    cache = app.extensions[token_cache.EXTENSION]
    for name in ("a", "b", "c", "d", "e"):
        _token, plaintext = issue_api_token(member, name)
        db.session.commit()
        assert client.get(f"{PREFIX}/me", headers=bearer(plaintext)).status_code == 200
        assert len(cache._entries) <= 2


def test_a_process_that_caches_nothing_still_tells_the_others(client, token, member,
                                                              other_process, monkeypatch):
    """An admin instance or a worker run with API_TOKEN_CACHE_SECONDS=0 remembers no token,
    but a revocation made there must still reach the processes that do."""
    other = other_process.test_client()
    assert token_reads(other, bearer(token))[0].status_code == 200
    assert token_reads(other, bearer(token))[1] == []      # cached over there
    monkeypatch.setattr(client.application.extensions[token_cache.EXTENSION], "seconds", 0)
    [stored] = db.session.query(ApiToken).all()
    revoke_api_token(stored, member)
    db.session.commit()
    assert_error(other.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_lost_generation_does_not_count_up_to_an_old_one_again(client, token, member,
                                                                 other_process):
    """Redis restarted empty (or the key was evicted): counting from 0 again, as many bumps
    later the generation an old entry was stored under comes back, and a token revoked in
    between would be trusted. A lost key restarts at a random value."""
    import redis

    other = other_process.test_client()
    here = client.application.extensions[token_cache.EXTENSION]
    keys = redis.Redis.from_url(client.application.config["REDIS_URL"])
    keys.delete(here.key)
    here.bump()
    assert token_reads(other, bearer(token))[0].status_code == 200    # stored under it
    keys.delete(here.key)                                              # Redis lost it
    [stored] = db.session.query(ApiToken).all()
    revoke_api_token(stored, member)
    db.session.commit()                              # one bump: counting from 0, 1 again
    assert_error(other.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")


def test_a_bulk_update_through_the_session_is_seen(client, token, member):
    """``session.execute(update(User)...)`` changes rows without a flush: still a change."""
    from sqlalchemy import update

    from marketplace.accounts.models import User

    assert token_reads(client, bearer(token))[0].status_code == 200
    db.session.execute(update(User).where(User.id == member.id).values(is_active_account=False))
    db.session.commit()
    assert_error(client.get(f"{PREFIX}/me", headers=bearer(token)), 401, "unauthorized")
