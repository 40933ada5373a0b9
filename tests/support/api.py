"""Calling the JSON API from a test: one way to get a user's headers."""
from marketplace.accounts.services import issue_api_token
from marketplace.core import outbox
from marketplace.extensions import db


def bearer(plaintext):
    return {"Authorization": f"Bearer {plaintext}"}


def token_for(user, key=None):
    """Authorization (and, given ``key``, Idempotency-Key) headers for ``user``, once the
    test's own setup is committed.

    The notifications that setup queued are not what API tests check: they are forgotten,
    as the database reset does, or the next request would relay them all (on SQLite they
    wait for the request's open transaction: seconds per message)."""
    _token, plaintext = issue_api_token(user, "test")
    db.session.commit()
    outbox._committed_ids.set(None)
    headers = bearer(plaintext)
    if key:
        headers["Idempotency-Key"] = key
    return headers
