"""API tokens expire: a token leaked in a script or a log stops working by itself. The
owner picks its life on the profile page (30, 90 or 365 days), the API's /auth/tokens
takes ``days`` (default API_TOKEN_DAYS); an expired token is refused whether this process
remembers it (token_cache) or reads it."""
from datetime import timedelta

import pytest

from marketplace.accounts.models import ApiToken
from marketplace.accounts.services import issue_api_token
from marketplace.api import auth
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import TEST_PASSWORD, FirmMemberFactory


def me(client, plaintext):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})


@pytest.mark.parametrize("cached_first", [False, True])
def test_a_token_stops_working_when_it_expires(app, client, monkeypatch, cached_first):
    member = FirmMemberFactory()
    db.session.flush()
    token, plaintext = issue_api_token(member, "script", days=30)
    db.session.commit()
    assert token.expires_dt - token.created_dt == timedelta(days=30)
    clock = [now_utc()]
    monkeypatch.setattr(auth, "now_utc", lambda: clock[0])
    if cached_first:   # remembered by the process before it expires
        assert me(client, plaintext).status_code == 200
    clock[0] = token.expires_dt - timedelta(seconds=1)
    assert me(client, plaintext).status_code == 200
    clock[0] = token.expires_dt
    expired = me(client, plaintext)
    assert expired.status_code == 401
    clock[0] = token.expires_dt + timedelta(days=400)
    assert me(client, plaintext).status_code == 401


def test_the_api_issues_a_token_for_the_days_asked_or_the_default(app, client):
    member = FirmMemberFactory()
    db.session.commit()
    body = {"email": member.email, "password": TEST_PASSWORD, "name": "erp"}
    default = client.post("/api/v1/auth/tokens", json=body)
    assert default.status_code == 201, default.get_json()
    short = client.post("/api/v1/auth/tokens", json={**body, "days": 7})
    assert short.status_code == 201
    too_long = client.post("/api/v1/auth/tokens", json={**body, "days": 3650})
    assert too_long.status_code == 422
    tokens = {t.id: t for t in db.session.query(ApiToken)}
    first, second = (tokens[answer.get_json()["token_id"]] for answer in (default, short))
    assert first.expires_dt - first.created_dt == timedelta(
        days=app.config["API_TOKEN_DAYS"])
    assert second.expires_dt - second.created_dt == timedelta(days=7)
    assert default.get_json()["expires_dt"] == first.expires_dt.isoformat()


def test_the_profile_page_makes_a_token_for_the_life_chosen_and_shows_its_end(app, client):
    from tests.integration.claims.builders import signed_in

    member = FirmMemberFactory()
    db.session.commit()
    browser = signed_in(member)
    page = browser.get("/profile").get_data(as_text=True)
    assert 'name="tok-days"' in page and '<option selected value="90">' in page
    refused = browser.post("/profile/tokens", data={"tok-name": "erp", "tok-days": "9999"})
    assert refused.status_code == 422
    assert 'value="erp"' in refused.get_data(as_text=True)      # what was typed is kept
    made = browser.post("/profile/tokens", data={"tok-name": "erp", "tok-days": "365"})
    assert made.status_code == 200
    [token] = db.session.query(ApiToken).filter_by(user_id=member.id).all()
    assert token.expires_dt - token.created_dt == timedelta(days=365)
    assert 'data-testid="token-state"' in made.get_data(as_text=True)
