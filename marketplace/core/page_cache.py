"""A short-lived cache of the public pages as visitors see them.

The landing page, the catalogue, agency and offering pages and the transparency page are
the same for every visitor in a language, and visitors are most of their traffic; yet each
request pays the product's whole per-request floor (session, locale, limiter, security
headers, queries, rendering). So a view that opts in with ``@cached_for_visitors()`` has
its visitor copy kept for ``PAGE_CACHE_SECONDS`` and served from a WSGI middleware around
``app.wsgi_app``: a hit skips Flask entirely and returns the stored status, headers (the
security headers included) and body.

Who is a visitor is decided from the request alone (:func:`_visitor_locale`): a GET or
HEAD with no Authorization header, no remember-me cookie, and either no session cookie or
a session holding only anonymous keys (the chosen language, a CSRF secret, Flask-Login's
``_fresh`` flag). Anyone else, and every other method, goes through the app untouched; a
signed-in user is never served a stored page and never stores one. A response is stored
only when it is a 200 that sets no cookie and the view flashed nothing.

Key: the path (with host and scheme), the sorted query string, the language and the
*catalogue generation*, a counter bumped after every commit that changed something those
pages show (the models the domains name with :func:`watch` from their ``init_app``: an
SQLAlchemy ``after_flush`` hook notes it,
``after_commit`` bumps), so the next visitor request after a change is a miss that
renders it. The TTL is the backstop for changes no flush sees (bulk SQL, time passing,
the transparency page's money figures, which change with every voucher and are left to
the TTL on purpose: bumping on each would empty the catalogue's cache during the rush).

Storage (marketplace/core/page_store.py): Redis (``PAGE_CACHE_URL``, else ``REDIS_URL``),
shared by all gunicorn workers, behind a small per-process level; without Redis, or while
it fails, the per-process level alone. A cache must never become an outage: a Redis error
means "miss", is logged once, and Redis is tried again after ``PAGE_CACHE_RETRY_SECONDS``.
"""
import json
import time
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import parse_cookie

from marketplace.core import savepoints
from marketplace.core.page_store import PageCache

# environ keys shared by the middleware and the decorator
ENV_KEY = "hc.page_cache.key"          # set by the middleware: this request may be stored
ENV_STORE = "hc.page_cache.store"      # set by the view: store it, for this many seconds
ENV_OPTED_IN = "hc.page_cache.view"    # set by the view: the endpoint opted in

# Session keys an anonymous visitor may carry. Anything else (a signed-in user's
# ``_user_id``, flashed messages, a future cart) means the page may be personal.
VISITOR_SESSION_KEYS = frozenset({
    "locale",       # the language the visitor chose: part of the key
    "csrf_token",   # the raw CSRF secret left after sign-out; visitor pages carry no token
    "_fresh",       # Flask-Login marks any non-empty anonymous session not fresh
    "_permanent",   # Flask's own flag for session.permanent
})
# Per request, never replayed from the stored copy.
UNSTORED_HEADERS = frozenset({"set-cookie", "x-request-id", "x-cache", "age", "date",
                              "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
                              "x-ratelimit-reset"})
_CHANGED = "page_cache.changed"


def cached_for_visitors(seconds=None):
    """Opt a public GET view into the visitor cache (``seconds`` defaults to
    ``PAGE_CACHE_SECONDS``). The view must render the same page for every visitor in a
    language: nothing from the session but the locale, no CSRF token, no flash."""
    def decorate(view):
        @wraps(view)
        def cached_view(*args, **kwargs):
            environ = request.environ
            environ[ENV_OPTED_IN] = True
            response = view(*args, **kwargs)
            if (environ.get(ENV_KEY) and request.method in ("GET", "HEAD")
                    and not current_user.is_authenticated and not session.modified
                    and "_flashes" not in session):
                environ[ENV_STORE] = seconds or current_app.config["PAGE_CACHE_SECONDS"]
            return response
        cached_view.page_cache_seconds = seconds or True
        return cached_view
    return decorate


# --- the middleware -----------------------------------------------------------------------

class PageCacheMiddleware:
    """Serves stored visitor pages before Flask sees the request.

    A hit bypasses every before_request hook, the rate limiter included: a hit costs no
    database work and less than the limiter's own bookkeeping would, so limiting it would
    protect nothing (a miss still goes through the limiter)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.cache = PageCache(app)
        self._opted_in_paths = {}

    def __call__(self, environ, start_response):
        config = self.app.config
        if (not config["PAGE_CACHE_ENABLED"]
                or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
                or not self._opted_in(environ)):
            return self.wsgi_app(environ, start_response)
        locale = _visitor_locale(self.app, environ)
        if locale is None:
            return self._pass(environ, start_response, "bypass")
        # the host and scheme too: no page shows them today, but a page that one day
        # builds an absolute URL must not let a forged Host header poison everyone's copy
        path = "{}://{}{}".format(environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                                  environ.get("PATH_INFO") or "/")
        query = "&".join(sorted(environ.get("QUERY_STRING", "").split("&")))
        key, found = self.cache.lookup(locale, path, query)
        if found is not None:
            return self._hit(environ, start_response, found)
        environ[ENV_KEY] = key
        return self._pass(environ, start_response, "miss")

    def _opted_in(self, environ):
        """Whether the path's view opted in; remembered per path, as matching the URL
        map costs as much as the rest of a hit."""
        path = environ.get("PATH_INFO") or "/"
        known = self._opted_in_paths.get(path)
        if known is None:
            from werkzeug.exceptions import HTTPException
            try:
                endpoint, _args = self.app.url_map.bind_to_environ(environ).match()
                view = self.app.view_functions.get(endpoint)
                known = getattr(view, "page_cache_seconds", None) is not None
            except HTTPException:
                known = False
            if len(self._opted_in_paths) >= 10_000:     # bounded: paths hold ids
                self._opted_in_paths.clear()
            self._opted_in_paths[path] = known
        return known

    def _hit(self, environ, start_response, found):
        from marketplace.core.audit import new_request_id

        status, headers, stored, body, _seconds = found
        age = max(0, int(time.time() - stored))
        headers = headers + [("X-Cache", "hit"), ("Age", str(age)),
                             ("X-Request-ID", new_request_id())]
        start_response(status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _pass(self, environ, start_response, verdict):
        """Run the app; store its answer when the view says so and it is storable."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: captured.setdefault("written", []).append(data)

        app_iter = self.wsgi_app(environ, capture)
        status, headers = captured["status"], list(captured["headers"])
        if not environ.get(ENV_OPTED_IN):
            start_response(status, headers, captured["exc_info"])
            return app_iter
        seconds = environ.get(ENV_STORE)
        storable = (seconds and verdict == "miss" and status.startswith("200 ")
                    and environ["REQUEST_METHOD"] == "GET"
                    and not any(name.lower() == "set-cookie" for name, _v in headers))
        if not storable:
            if verdict == "bypass" and not _has(headers, "cache-control"):
                headers.append(("Cache-Control", "private, no-cache"))
            start_response(status, headers + [("X-Cache", verdict)], captured["exc_info"])
            return app_iter
        try:
            body = b"".join(captured.get("written", [])) + b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        headers = [(name, value) for name, value in headers
                   if name.lower() not in ("cache-control", "vary")]
        headers += [("Cache-Control", f"public, max-age={seconds}"), ("Vary", "Cookie")]
        self.cache.set(environ[ENV_KEY], status,
                       [(n, v) for n, v in headers if n.lower() not in UNSTORED_HEADERS],
                       body, seconds)
        start_response(status, headers + [("X-Cache", "miss")])
        return [body]


def _has(headers, name):
    return any(header.lower() == name for header, _v in headers)


def _visitor_locale(app, environ):
    """The language of an anonymous visitor's request, or None for anyone else."""
    if environ.get("HTTP_AUTHORIZATION"):
        return None
    config = app.config
    cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if environ.get("HTTP_COOKIE") \
        else {}
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
        return None     # Flask-Login signs the user in from it
    locale = config["BABEL_DEFAULT_LOCALE"]
    value = cookies.get(config["SESSION_COOKIE_NAME"])
    if value:
        try:
            data = _session_reader(app).loads(
                value, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except Exception:   # noqa: BLE001  Flask starts an empty session for a bad cookie
            data = {}
        if not isinstance(data, dict) or not VISITOR_SESSION_KEYS.issuperset(data):
            return None
        if data.get("locale") in config["SUPPORTED_LOCALES"]:
            locale = data["locale"]
    return locale


def _session_reader(app):
    """Flask's session cookie signer, reading the payload as plain JSON: Flask's tagged
    serializer needs an app context, and only the top-level keys and the locale (plain
    strings) matter here."""
    reader = app.extensions.get("page_cache.session_reader")
    if reader is None:
        from itsdangerous import URLSafeTimedSerializer
        interface = app.session_interface
        keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or []), app.secret_key]
        reader = URLSafeTimedSerializer(
            keys, salt=interface.salt, serializer=json,
            signer_kwargs={"key_derivation": interface.key_derivation,
                           "digest_method": interface.digest_method})
        app.extensions["page_cache.session_reader"] = reader
    return reader


# --- invalidation -------------------------------------------------------------------------

# What the public pages show: a change to any of these bumps the generation. The domains
# that own the models add them (core names no domain).
_watched = ()


def watch(*models):
    """Bump the visitor pages' generation after every commit that changed one of ``models``
    (called by the owning domain's ``init_app``; a second call with the same model is a
    no-op, as the factory runs once per app)."""
    global _watched
    _watched = tuple(dict.fromkeys((*_watched, *models)))


def watched_models():
    return _watched


def _watched_classes():
    return _watched


@event.listens_for(Session, "after_flush")
def _note_changes(session, flush_context):
    if session.info.get(_CHANGED):
        return
    watched = _watched_classes()
    for objects in (session.new, session.dirty, session.deleted):
        if any(isinstance(obj, watched) for obj in objects):
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    """``session.execute(update(Offering)...)`` and bulk inserts skip the flush."""
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper \
            is not None and issubclass(state.bind_mapper.class_, _watched_classes()):
        state.session.info[_CHANGED] = True


savepoints.bump_at_commit(_CHANGED, "page_cache")


def init_app(app):
    """Wrap the app's WSGI callable; the cache itself is ``app.extensions["page_cache"]``."""
    middleware = PageCacheMiddleware(app, app.wsgi_app)
    app.wsgi_app = middleware
    app.extensions["page_cache"] = middleware.cache
    return middleware.cache
