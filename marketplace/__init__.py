"""The Hongcheng innovation voucher marketplace (洪城科创券)."""
import logging
import time

from flask import Flask, g, request, session
from flask_login import current_user

from config import load_config

log = logging.getLogger("marketplace")


def create_app(config=None):
    """Build the app. ``config`` is a config name or a dict of overrides for tests."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    overrides = {}
    if isinstance(config, dict):
        overrides = dict(config)
        config = overrides.pop("CONFIG_NAME", None)
    app.config.update(load_config(config))
    app.config.update(overrides)
    trust_proxies(app)

    configure_logging(app)
    register_extensions(app)
    register_domains(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    from marketplace.accounts import token_cache
    token_cache.init_app(app)
    from marketplace.core import page_cache
    page_cache.init_app(app)    # outermost: a hit skips every request hook
    announce_mode(app)
    return app


def trust_proxies(app):
    """Behind PROXY_HOPS proxies, take the client's address, scheme and host from the
    headers those proxies set (the last PROXY_HOPS entries). With 0, the default, these
    headers are ignored: a client could write them itself and pick its own address."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def configure_logging(app):
    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            from flask import has_request_context
            record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
            return True

    root = logging.getLogger()
    if not any(getattr(h, "_marketplace", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
        handler.addFilter(RequestIdFilter())
        handler._marketplace = True
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def register_extensions(app):
    from marketplace import models  # noqa: F401  (the whole schema, for Alembic)
    from marketplace.core.celery_app import celery_init_app
    from marketplace.extensions import (babel, bootstrap, csrf, db, limiter, login_manager,
                                        migrate)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    if app.config.get("REDIS_URL"):
        app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "hc-" + app.config["CELERY_QUEUE"])
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # limiter.reset() deletes every key under the storage's prefix ("LIMITS" unless
        # told): keep each queue's (deployment's, test run's) limits under its own.
        # Short timeouts: a Redis that hangs must not hold up a sign-in (the limiter then
        # counts in process memory, see marketplace/core/throttle.py).
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                              {"key_prefix": "LIMITS-hc-" + app.config["CELERY_QUEUE"],
                               "socket_connect_timeout": 1, "socket_timeout": 1})
    # Redis unreachable: count in this process's memory (and log it) rather than fail
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # Initialise the limiter (storage, request hooks) even when RATELIMIT_ENABLED is off:
    # Flask-Limiter skips both for a disabled app, so it could never be switched on later.
    enabled = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = limiter.enabled = enabled

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.user_loader(load_user)
    celery_init_app(app)


def load_user(user_id):
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    ident, _, version = str(user_id).partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_version != int(version) or not user.is_active_account:
        return None
    return user


def select_locale():
    from flask import current_app, has_request_context
    supported = current_app.config["SUPPORTED_LOCALES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        # An API client has no session and no language switch: it says which language it
        # reads in Accept-Language, else the token's user's own choice applies.
        asked = request.accept_languages.best_match(supported)
        if asked:
            return asked
        api_user = g.get("api_user")
        if api_user is not None and api_user.locale in supported:
            return api_user.locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_domains(app):
    from werkzeug.routing import IntegerConverter

    class DatabaseId(IntegerConverter):
        """``<int:...>`` past the largest INTEGER key names nothing (404) instead of
        overflowing PostgreSQL (a 500). It still matches the route, mapped to 0 (no row has
        that id): refusing the match would make werkzeug answer 405 whenever the same path
        has a rule for another method."""

        def to_python(self, value):
            number = super().to_python(value)
            return number if number <= 2**31 - 1 else 0

    app.url_map.converters["int"] = DatabaseId
    from marketplace.domains import init_domains
    init_domains(app)    # every domain's blueprints, handlers, jobs, checks and labels
    app.register_blueprint(swagger_ui_blueprint())


def swagger_ui_blueprint():
    """Swagger UI's files, served from the installed package (no CDN on an intranet)."""
    from flask import Blueprint
    from swagger_ui_bundle import swagger_ui_path
    return Blueprint("swagger_ui", __name__, static_folder=swagger_ui_path,
                     static_url_path="/api/v1/docs/static")


def register_request_hooks(app):
    from marketplace.core.audit import new_request_id
    from marketplace.core.outbox import relay_pending

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() \
            else new_request_id()
        g.request_started = time.perf_counter()

    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL text cannot hold a NUL character: refuse such input up front (422
        with a message) rather than fail in the database with a 500."""
        from flask_babel import lazy_gettext as _l

        from marketplace.core.errors import ValidationFailed
        values = [v for _k, vs in request.args.lists() for v in vs]
        # a path's text segments too (the public /contracts/verify/<number>)
        values += [v for v in (request.view_args or {}).values() if isinstance(v, str)]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += [v for _k, vs in request.form.lists() for v in vs]
        if request.mimetype == "multipart/form-data":
            # an upload's name is stored as typed (its original_name)
            values += [f.filename or "" for _k, fs in request.files.lists() for f in fs]
        if any("\x00" in value for value in values):
            raise ValidationFailed(_l("The text you sent contains a NUL character; please "
                                      "type it again."))

    @app.after_request
    def finish(response):
        relay_pending()
        response.headers["X-Request-ID"] = g.get("request_id", "")
        set_security_headers(app, response)
        if _for_a_signed_in_user() and not request.path.startswith(STATIC_PREFIXES):
            # a personal page must not be kept by the browser, a proxy or the back button
            # of a shared computer
            response.headers["Cache-Control"] = "private, no-store"
        if not request.path.startswith(STATIC_PREFIXES):
            elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter()))
            log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                     elapsed * 1000)
        return response


STATIC_PREFIXES = ("/static/", "/bootstrap/", "/api/v1/docs/static/")


def _for_a_signed_in_user():
    """A session with a user in it, or an API request with a valid bearer token."""
    return bool(session.get("_user_id")) or g.get("api_user") is not None


def set_security_headers(app, response):
    stripe_js = app.config.get("STRIPE_JS_URL") or ""
    stripe_origin = "/".join(stripe_js.split("/")[:3]) if stripe_js else ""
    script_src = "'self'" + (f" {stripe_origin}" if stripe_origin else "")
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {script_src}; style-src 'self'; "
        f"img-src 'self' data:; font-src 'self' data:; connect-src 'self' {stripe_origin}; "
        f"frame-src 'self' {stripe_origin}; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'self'; object-src 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if app.config.get("SESSION_COOKIE_SECURE"):
        hsts = f"max-age={int(app.config.get('HSTS_MAX_AGE', 31536000))}"
        if app.config.get("HSTS_INCLUDE_SUBDOMAINS", True):
            hsts += "; includeSubDomains"
        response.headers.setdefault("Strict-Transport-Security", hsts)


def _transient_database_error(error):
    """A lost database connection, a deadlock or a serialization failure: the database
    rolled the transaction back and the same request may be sent again."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    return getattr(error.orig, "sqlstate", None) in ("40P01", "40001")


def register_errorhandlers(app):
    from flask import render_template
    from flask_babel import gettext as _
    from werkzeug.exceptions import HTTPException

    from marketplace.api.errors import domain_error_response, error_response, \
        http_error_response
    from marketplace.core.errors import DomainError
    from marketplace.extensions import db

    def wants_json():
        return request.path.startswith("/api/")

    @app.errorhandler(DomainError)
    def domain_error(error):
        db.session.rollback()
        if wants_json():
            return domain_error_response(error)
        return render_template("errors/error.html", status=error.status,
                               message=error.message), error.status

    @app.errorhandler(413)
    def too_large(error):
        """A request over MAX_CONTENT_LENGTH (an upload, mostly): say what the limit is."""
        mib = max(1, (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
        message = _("This is too large to send: at most %(mib)s MiB at a time. Please "
                    "send a smaller file.", mib=mib)
        if wants_json():
            return error_response(413, "payload_too_large", message,
                                  {"max_bytes": app.config.get("MAX_CONTENT_LENGTH")})
        return render_template("errors/error.html", status=413, message=message), 413

    @app.errorhandler(HTTPException)
    def http_error(error):
        if wants_json():
            return http_error_response(error)
        status = error.code or 500
        template = f"errors/{status}.html" if status in (403, 404, 429) else "errors/error.html"
        return render_template(template, status=status, message=None), status

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        if _transient_database_error(error):
            # The connection was lost or the transaction chosen as a deadlock victim: it
            # was rolled back whole, so the user may simply send the request again.
            log.warning("transient database error: %s", str(error).splitlines()[0])
            message = _("The service was briefly interrupted and nothing was saved. "
                        "Please try again.")
            if wants_json():
                response = error_response(503, "temporarily_unavailable", message)
            else:
                response = app.make_response((render_template(
                    "errors/error.html", status=503, message=message), 503))
            response.headers["Retry-After"] = "1"
            return response
        log.exception("unhandled error")
        if wants_json():
            return error_response(500, "internal_error", _(
                "Something went wrong on our side. The request id is %(request_id)s.",
                request_id=g.get("request_id", "-")))
        return render_template("errors/500.html", status=500), 500


def register_template_helpers(app):
    from flask_babel import get_locale

    from marketplace.core.money import format_fen

    @app.context_processor
    def inject():
        from marketplace.notifications.services import unread_count
        unread = 0
        if current_user.is_authenticated:
            unread = unread_count(current_user)
        return {"current_locale": str(get_locale() or "zh"), "unread_notifications": unread}

    app.jinja_env.filters["fen"] = format_fen
    from marketplace.core.numerals import fen_to_capital
    app.jinja_env.filters["capital"] = fen_to_capital
    from marketplace.core.labels import label
    app.jinja_env.globals["label"] = label
    from marketplace.core.idempotency import idempotency_token_field
    app.jinja_env.globals["idempotency_token_field"] = idempotency_token_field


def register_commands(app):
    from marketplace.cli import register
    register(app)


def announce_mode(app):
    if app.config.get("TESTING"):
        return
    if app.config.get("REDIS_URL"):
        log.info("Celery tasks go to the broker at REDIS_URL; run `make worker` and `make beat`.")
    else:
        log.info("No REDIS_URL: Celery tasks run in-process (eagerly) and scheduled jobs "
                 "do not run; set REDIS_URL and start `make worker`/`make beat` for those.")
    log.info("Database: %s", app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1])
