"""API tokens: issued once in plaintext, stored as their SHA-256, looked up per request
(through the process's ``token_cache``), revoked. Services flush; the caller commits."""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select

from marketplace.accounts import token_cache
from marketplace.accounts.models import ApiToken, User
from marketplace.core import audit
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db


def issue_api_token(user, name="API", days=None):
    """Return ``(ApiToken, plaintext)``; the plaintext is shown once and never stored. The
    token works for ``days`` (API_TOKEN_DAYS when not given)."""
    days = days or current_app.config["API_TOKEN_DAYS"]
    plaintext = "hc_" + secrets.token_urlsafe(32)
    created = now_utc()
    token = ApiToken(user_id=user.id, name=name[:100] or "API",
                     token_hash=ApiToken.hash_token(plaintext), prefix=plaintext[:10],
                     created_dt=created, expires_dt=created + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record(token, "create", actor=user, after="active",
                 data={"expires_dt": token.expires_dt.isoformat(), "days": days})
    return token, plaintext


# ``last_used_dt`` tells a user which of their tokens are still in use (the profile page),
# to the minute at best. Writing it on every request made each API call an UPDATE of the
# token's row, in the opening rush too; once a minute per token is as informative.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class LiveToken:
    id: int
    user: User


def user_for_api_token(plaintext, now):
    """The live token of ``plaintext`` with its user (organisation and district loaded, as
    most operations use them: the voucher application's eligibility reads the firm's
    district), or None when there is none, it is revoked or its user deactivated.

    Its use is recorded at most once per LAST_USED_RESOLUTION, in the request's
    transaction (a request that does not commit records nothing). The process remembers
    the token (``token_cache``): a repeat within its bounds loads nothing; otherwise one
    statement reads the token and its user's graph and records the use together. An
    expired token is no token, cached or not."""
    token_hash = ApiToken.hash_token(plaintext)
    cache = token_cache.cache()
    generation = cache.generation()
    entry = cache.get(token_hash, generation)
    bound = {"sought_hash": token_hash, "now": now, "cutoff": now - LAST_USED_RESOLUTION}
    if entry is not None:
        if now >= entry.token_expires_dt:
            return None
        if _use_is_due(entry.last_used_dt, now):
            db.session.execute(_NOTING_USE, bound)
            cache.noted(token_hash, entry, now)
        return LiveToken(entry.token_id, db.session.merge(entry.user(), load=False))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    found = db.session.execute(_READ_AND_NOTE if postgres else _READ, bound).first()
    if found is None:
        return None
    user, token_id, last_used, expires = found
    if _use_is_due(last_used, now):
        if not postgres:
            db.session.execute(_NOTING_USE, bound)
        last_used = now
    cache.put(token_hash, generation, token_id, user, last_used, expires)
    return LiveToken(token_id, user)


def _use_is_due(last_used, now):
    return last_used is None or now - last_used >= LAST_USED_RESOLUTION


# The statements are built once, with bound parameters: building a select and its CTE per
# request cost as much CPU as executing it (SQLAlchemy memoises a statement's cache key).
# No parameter is named after a column: an UPDATE would take it as a value to SET.
_TOKENS = ApiToken.__table__
# the last use, when due (the condition in SQL, so two processes racing write it once)
_NOTING_USE = _TOKENS.update().where(
    _TOKENS.c.token_hash == bindparam("sought_hash"), _TOKENS.c.revoked_dt.is_(None),
    _TOKENS.c.expires_dt > bindparam("now"),
    or_(_TOKENS.c.last_used_dt.is_(None), _TOKENS.c.last_used_dt <= bindparam("cutoff"))
).values(last_used_dt=bindparam("now"))
# the user (organisation and district joined by the mappers), the token's id and its last
# use before this request
_READ = select(User, ApiToken.id, ApiToken.last_used_dt, ApiToken.expires_dt) \
    .join(ApiToken, ApiToken.user_id == User.id) \
    .where(ApiToken.token_hash == bindparam("sought_hash"), ApiToken.revoked_dt.is_(None),
           ApiToken.expires_dt > bindparam("now"), User.is_active_account.is_(True))
# on PostgreSQL the use is recorded by the same statement (a data-modifying CTE: the
# SELECT still sees the row as it was)
_READ_AND_NOTE = _READ.add_cte(_NOTING_USE.cte("noted_use"))


def revoke_api_token(token, actor):
    if token.revoked_dt is None:
        token.revoked_dt = now_utc()
        audit.record(token, "revoke", actor=actor, before="active", after="revoked")


def api_tokens_of(user):
    return db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).scalars().all()
