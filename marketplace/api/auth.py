"""Bearer-token authentication for the API (no cookies, hence no CSRF exposure)."""
from flask import g, request

from marketplace.accounts import services as accounts
from marketplace.api.errors import ApiError
from marketplace.core.timeutil import now_utc


def authenticate_request():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("Send an Authorization: Bearer <token> header.",
                       code="unauthorized", status=401)
    api_token = accounts.user_for_api_token(token.strip())
    if api_token is None:
        raise ApiError("The token is invalid or revoked.", code="unauthorized", status=401)
    api_token.last_used_dt = now_utc()
    g.api_user = api_token.user
    g.api_token = api_token
    return api_token.user
