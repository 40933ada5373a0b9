"""Signing in with a password, throttled per (account, address), and one-time links.

Failed sign-ins are counted for the pair (account, client address) and, with a higher
limit, for the account from everywhere (marketplace/core/throttle.py). Past either limit
the answer is the same whatever the password ("too many attempts; if the password was
right, a sign-in link is on its way"), so guessing stops paying; the right password then
mails the account a one-time link instead of signing in. An attacker hammering an account
from one address slows down only that pair: the owner elsewhere signs in as usual, and
even from the attacker's address the owner gets in through the mailed link.

The link names the account's last sign-in and session version, so it works once: using
it signs in, which moves the last sign-in on.
"""
import enum
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace.accounts import services, signals
from marketplace.accounts.models import User, lower_email
from marketplace.core import audit, throttle
from marketplace.core.signals import send_heard
from marketplace.extensions import db

_LINK_SALT = "sign-in-link"


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass
class Attempt:
    outcome: Outcome
    user: User | None = None


def client_address():
    """The client's address (ProxyFix has put the proxies' X-Forwarded-For in it when
    PROXY_HOPS says there are any)."""
    return request.remote_addr or "-"


def _limits(email, address):
    config = current_app.config
    return [(config["LOGIN_PAIR_FAILURES"], "login-pair", email, address),
            (config["LOGIN_ACCOUNT_FAILURES"], "login-account", email)]


def attempt(email, password, link_url_for):
    """Check ``password`` for ``email`` from this request's address. ``link_url_for(token)``
    gives the link mailed when the pair is throttled and the password is right."""
    email, address = lower_email(email or ""), client_address()
    limits = _limits(email, address)
    throttled = any(throttle.exceeded(*limit) for limit in limits)
    user = services.authenticate(email, password)
    if user is None:
        for limit in limits:
            throttle.record(*limit)
        return Attempt(Outcome.THROTTLED if throttled else Outcome.WRONG)
    if throttled:
        send_link(user, link_url_for)
        return Attempt(Outcome.THROTTLED)
    throttle.forget(*limits[0])
    return Attempt(Outcome.SIGNED_IN, user)


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_LINK_SALT)


def _last_sign_in(user):
    return user.last_login_dt.isoformat() if user.last_login_dt else ""


def make_link_token(user):
    return _serializer().dumps({"uid": user.id, "last": _last_sign_in(user),
                                "sv": user.session_version})


def send_link(user, link_url_for):
    token = make_link_token(user)
    minutes = current_app.config["SIGNIN_LINK_MAX_AGE"] // 60
    send_heard(signals.signin_link_made, user, link=link_url_for(token),
                       minutes=minutes)
    audit.record(user, "signin_link_sent", actor=user)
    return token


def user_for_link(token):
    """The account a sign-in link is for, or InvalidToken (expired, forged, used, or the
    account signed in since it was sent)."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["SIGNIN_LINK_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise services.InvalidToken()
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active_account or \
            data.get("last") != _last_sign_in(user) or data.get("sv") != user.session_version:
        raise services.InvalidToken()
    return user
