"""Bearer-token authentication for the API (no cookies, hence no CSRF exposure)."""
from flask import g, request
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.api.errors import ApiError
from marketplace.core.timeutil import now_utc


def authenticate_request():
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(_("Send an Authorization: Bearer <token> header."),
                       code="unauthorized", status=401)
    live = accounts.user_for_api_token(token.strip(), now_utc())
    if live is None:
        raise ApiError(_("The token is invalid or revoked."), code="unauthorized", status=401)
    g.api_user = live.user
    g.api_token_id = live.id
    return live.user
