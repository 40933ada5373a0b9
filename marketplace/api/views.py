"""API operations of the foundation: tokens, the current user, the OpenAPI document."""
from flask import Blueprint, current_app, g, jsonify, render_template
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from marketplace.accounts import services as accounts
from marketplace.accounts import signin
from marketplace.accounts.models import ApiToken
from marketplace.api.errors import ApiError, domain_error_response
from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import Int, build_openapi, operation
from marketplace.core.errors import DomainError
from marketplace.core.permissions import access, anyone
from marketplace.core.web import public_url
from marketplace.extensions import csrf, db, limiter

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)


@bp.errorhandler(DomainError)
def _domain_error(error):
    db.session.rollback()
    return domain_error_response(error)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(default="API", max_length=100)
    days: Int | None = Field(default=None, ge=1, le=365,
                             description="How long the token works (default: 90 days, "
                                         "the deployment's API_TOKEN_DAYS)")


class TokenResponse(BaseModel):
    token: str
    token_id: int
    expires_dt: Timestamp


class MeResponse(BaseModel):
    id: int
    email: str
    role: str
    organisation_id: int | None


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@operation(bp, "/auth/tokens", "POST", summary="Exchange e-mail and password for a token",
           tag="auth", body=TokenRequest, responses={201: TokenResponse}, auth=False,
           errors=(401, 429))
@limiter.limit(_login_limit)
def create_token(body):
    """Throttled as the sign-in page is (marketplace/accounts/signin.py): past the limit
    the answer is 429 whatever the password, and the right one mails a sign-in link for
    the web pages, where the owner can make a token."""
    tried = signin.attempt(body.email, body.password, lambda token: public_url(
        "accounts.signin_link", token=token))
    if tried.outcome is not signin.Outcome.SIGNED_IN:
        db.session.commit()     # the link mailed, if any
        if tried.outcome is signin.Outcome.THROTTLED:
            raise ApiError(_("Too many failed attempts for this account from this address. "
                             "If the password was right, a one-time sign-in link is on its "
                             "way to the account's e-mail address."),
                           code="too_many_attempts", status=429)
        raise ApiError(_("The e-mail or password is not right."), code="invalid_credentials",
                       status=401)
    token, plaintext = accounts.issue_api_token(tried.user, body.name, days=body.days)
    db.session.commit()
    return jsonify(answer(TokenResponse, token=plaintext, token_id=token.id,
                          expires_dt=token.expires_dt)), 201


@operation(bp, "/auth/tokens/current", "DELETE", summary="Revoke the token of this request",
           tag="auth", responses={204: None})
def revoke_current_token():
    accounts.revoke_api_token(db.session.get(ApiToken, g.api_token_id), g.api_user)
    db.session.commit()
    return "", 204


@operation(bp, "/me", "GET", summary="The user the token belongs to", tag="auth",
           responses={200: MeResponse})
def me():
    user = g.api_user
    db.session.commit()  # records the token's last use
    return jsonify(answer(MeResponse, user))


@bp.route("/openapi.json")
@access(anyone)
def openapi_document():
    return jsonify(build_openapi(PREFIX, "Hongcheng innovation voucher marketplace API", "1.0"))


@bp.route("/docs")
@access(anyone)
def docs():
    return render_template("api/docs.html")

