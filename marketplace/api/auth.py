"""Bearer-token authentication for the API (no cookies, hence no CSRF exposure)."""
from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.api.errors import ApiError
from marketplace.core.timeutil import now_utc

# ``last_used_dt`` tells a user which of their tokens are still in use (the profile page),
# to the minute at best. Writing it on every request made each API call an UPDATE of the
# token's row, in the opening rush too; once a minute per token is as informative.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def authenticate_request():
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(_("Send an Authorization: Bearer <token> header."),
                       code="unauthorized", status=401)
    api_token = accounts.user_for_api_token(token.strip())
    if api_token is None:
        raise ApiError(_("The token is invalid or revoked."), code="unauthorized", status=401)
    note_use(api_token)
    g.api_user = api_token.user
    g.api_token = api_token
    return api_token.user


def note_use(api_token, now=None):
    """Record the token's use when the recorded one is a minute old or more; it is saved
    with the request's commit (a read-only request records nothing, as before)."""
    now = now or now_utc()
    last = api_token.last_used_dt
    if last is None or now - last >= LAST_USED_RESOLUTION:
        api_token.last_used_dt = now
        return True
    return False
