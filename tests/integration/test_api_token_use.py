"""The API token's ``last_used_dt`` is written at most once a minute
(marketplace/accounts/api_tokens.py): an UPDATE of the token's row on every API request was
a write per request in the rush. A first look-up records the use in the same statement
that reads the token; a remembered token (token_cache) writes only when a minute passed."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from marketplace.accounts.models import ApiToken
from marketplace.accounts.services import issue_api_token
from marketplace.accounts import api_tokens
from marketplace.api import auth
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import FirmMemberFactory

START = now_utc().replace(microsecond=0)


@pytest.fixture
def token():
    member = FirmMemberFactory()
    db.session.flush()
    _token, plaintext = issue_api_token(member)
    db.session.commit()
    return plaintext


def stored_last_use():
    db.session.expire_all()
    [stored] = db.session.query(ApiToken).all()
    return stored.last_used_dt


def test_a_use_is_due_when_none_is_recorded_or_the_last_is_a_minute_old():
    assert api_tokens._use_is_due(None, START)
    assert not api_tokens._use_is_due(START, START + timedelta(seconds=59))
    assert api_tokens._use_is_due(START, START + timedelta(seconds=60))


@pytest.mark.redis     # the token remembered: a statement that names the UPDATE writes
def test_the_api_writes_the_last_use_at_most_once_a_minute(app, client, token, monkeypatch):
    clock = [START]
    monkeypatch.setattr(auth, "now_utc", lambda: clock[0])
    updates = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "UPDATE API_TOKENS" in statement.upper():
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert stored_last_use() == START and len(updates) == 1
        for seconds in (1, 30, 59):
            clock[0] = START + timedelta(seconds=seconds)
            assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert stored_last_use() == START and len(updates) == 1
        clock[0] = START + timedelta(seconds=61)
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert stored_last_use() == START + timedelta(seconds=61) and len(updates) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
