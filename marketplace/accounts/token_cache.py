"""What a process remembers of the API tokens it has checked, so a client's next request
does not load the token, its user, organisation and district again (a joined SELECT of
four tables: a third of the web CPU of a small API write).

An entry is the token's id, its user's graph (user, organisation, district) as detached
copies, the last use recorded, and the *generation* it was read under. It is trusted only
while both hold:

- it is younger than ``API_TOKEN_CACHE_SECONDS`` (this bounds what no hook below can see:
  a row changed by hand in SQL); the token's own expiry is kept in the entry and checked
  on every use (``api_tokens.user_for_api_token``);
- the generation is unchanged. Every commit that changed (not merely added) a token, a
  user, an organisation or a district bumps it: in this process at once, and in Redis
  (``INCR``), which every process reads on every request before trusting an entry. So a
  revoked token, a deactivated user, a changed role or firm is refused by every process
  from the moment the revoking transaction's after-commit hook has run, before its own
  answer is sent.

Failing closed: without Redis (not configured, or an error reading the generation) nothing
is trusted and every request loads its token from the database, as before; the process's
entries are dropped so none outlives an outage whose bumps Redis may have missed.
"""
import logging
import secrets
import threading
import time

from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.accounts.models import ApiToken, District, Organisation, User
from marketplace.core import savepoints

log = logging.getLogger(__name__)

_WATCHED = (ApiToken, User, Organisation, District)
_CHANGED_KEY = "api_token_cache_changed"
EXTENSION = "api_token_cache"
clock = time.monotonic     # a name of its own, so a test can move it
MAX_ENTRIES = 20_000       # a few KB each: tens of MB per process at most


class Entry:
    """``user()``: the user's graph (user, organisation, district) as detached copies,
    merged into the request's session per use. Built at the first repeat from the columns
    kept at the first look-up: most tokens of an opening rush are used once."""
    __slots__ = ("token_id", "columns", "last_used_dt", "generation", "expires",
                 "token_expires_dt", "_user")

    def __init__(self, token_id, columns, last_used_dt, generation, expires,
                 token_expires_dt, user=None):
        self.token_id, self.columns, self.last_used_dt = token_id, columns, last_used_dt
        self.generation, self.expires, self._user = generation, expires, user
        # the token's own end (a time of day), not the entry's (``expires``, monotonic)
        self.token_expires_dt = token_expires_dt

    def user(self):
        if self._user is None:
            self._user = _detached_graph(*self.columns)
        return self._user


class TokenCache:
    def __init__(self, app):
        self.seconds = app.config["API_TOKEN_CACHE_SECONDS"]
        self.url = app.config.get("REDIS_URL")
        self.key = "hc-api-token-generation-" + app.config["CELERY_QUEUE"]
        self._entries = {}
        self._local_generation = 0
        self._lock = threading.Lock()
        self._redis = None

    @property
    def enabled(self):
        return bool(self.seconds and self.url)

    def _client(self):
        if self._redis is None:
            import redis
            self._redis = redis.Redis.from_url(self.url, socket_timeout=0.5,
                                               socket_connect_timeout=0.5)
        return self._redis

    def generation(self):
        """The generation to check entries against, or None when it cannot be known."""
        if not self.enabled:
            return None
        try:
            shared = self._client().get(self.key)
            if shared is None:
                shared = self._start_generation()
        except Exception as exc:   # any Redis failure: trust nothing
            log.warning("API token cache: generation unreadable (%s); loading tokens", exc)
            self.clear()
            return None
        return int(shared), self._local_generation

    def _start_generation(self):
        """A lost key (Redis restarted empty, evicted, flushed) starts again at a random
        value, not at 0: counting up from 0 again, it would meet the generations entries
        were stored under before the loss, and one revoked since would be trusted."""
        client = self._client()
        client.set(self.key, secrets.randbelow(2 ** 48) + 1, nx=True)
        return client.get(self.key) or 0

    def get(self, token_hash, generation):
        if generation is None:
            return None
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry.generation != generation or entry.expires <= clock():
            with self._lock:
                self._entries.pop(token_hash, None)
            return None
        return entry

    def put(self, token_hash, generation, token_id, user, last_used_dt, token_expires_dt):
        if generation is None:
            return
        organisation = user.organisation
        district = organisation.district if organisation is not None else None
        entry = Entry(token_id, (_columns(user), _columns(organisation), _columns(district)),
                      last_used_dt, generation, clock() + self.seconds, token_expires_dt)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._drop_expired()
            self._entries[token_hash] = entry

    def _drop_expired(self):
        """Entries are dropped when met expired; a process seeing many tokens once (an
        opening rush) sweeps them here, and forgets all if that is not enough."""
        now = clock()
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[key]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()

    def noted(self, token_hash, entry, when):
        with self._lock:
            if self._entries.get(token_hash) is entry:
                self._entries[token_hash] = Entry(
                    entry.token_id, entry.columns, when, entry.generation, entry.expires,
                    entry.token_expires_dt, entry._user)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def bump(self):
        """Something an entry copies changed: no entry of any process is trusted after."""
        with self._lock:
            self._local_generation += 1
            self._entries.clear()
        if not self.url:       # published even where this process caches nothing
            return               # (API_TOKEN_CACHE_SECONDS=0): the others may
        try:
            if self._client().get(self.key) is None:
                self._start_generation()
            self._client().incr(self.key)
        except Exception as exc:
            # the other processes drop theirs when they cannot read the generation either;
            # if Redis answers them but lost this bump, API_TOKEN_CACHE_SECONDS bounds it
            log.error("API token cache: could not publish a change (%s)", exc)


def _columns(obj):
    """``(class, loaded column values)`` of ``obj``, or None."""
    if obj is None:
        return None
    loaded = inspect(obj).dict
    return type(obj), {attr.key: loaded[attr.key] for attr in inspect(type(obj)).column_attrs
                       if attr.key in loaded}


def _copy(columns):
    """A detached instance with these loaded columns (merging it later loads nothing)."""
    cls, values = columns
    copy = inspect(cls).class_manager.new_instance()
    for key, value in values.items():
        set_committed_value(copy, key, value)
    return copy


def _detached_graph(user, organisation, district):
    """The user with its organisation and district, detached. The links are set as loaded
    values, not through the attributes, whose backref would leave the copied organisation
    with a ``members`` list of this one user."""
    copy = _copy(user)
    org_copy = None
    if organisation is not None:
        org_copy = _copy(organisation)
        district_copy = _copy(district) if district is not None else None
        if district_copy is not None:
            make_transient_to_detached(district_copy)
        set_committed_value(org_copy, "district", district_copy)
        make_transient_to_detached(org_copy)
    set_committed_value(copy, "organisation", org_copy)
    make_transient_to_detached(copy)
    return copy


def init_app(app):
    app.extensions[EXTENSION] = TokenCache(app)


def cache():
    return current_app.extensions[EXTENSION]


@event.listens_for(Session, "before_flush")
def _note_changes(session, _context, _instances):
    if session.info.get(_CHANGED_KEY):
        return
    if any(isinstance(obj, _WATCHED) for obj in (*session.dirty, *session.deleted)):
        session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    """``session.execute(update(User)...)`` skips the flush the hook above watches."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, _WATCHED):
        state.session.info[_CHANGED_KEY] = True


savepoints.bump_at_commit(_CHANGED_KEY, EXTENSION)
