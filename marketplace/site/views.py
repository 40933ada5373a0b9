from flask import (Blueprint, current_app, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user
from sqlalchemy import text

from marketplace.accounts.models import Role
from marketplace.core.page_cache import cached_for_visitors
from marketplace.core import throttle
from marketplace.core.permissions import access, anyone
from marketplace.core.redirects import local_target
from marketplace.extensions import db
from marketplace.site import home as pages

bp = Blueprint("site", __name__)


@bp.route("/")
@cached_for_visitors()
@access(anyone)
def home():
    if not current_user.is_authenticated:
        return render_template("site/landing.html")
    if current_user.role == Role.FIRM_MEMBER:
        return render_template("site/home_firm.html", **pages.firm_context(current_user))
    if current_user.role == Role.AGENCY_MEMBER:
        return render_template("site/home_agency.html", **pages.agency_context(current_user))
    if current_user.role == Role.ADMIN:
        return render_template("site/home_admin.html")
    queue, waiting = pages.review_queue(current_user)
    return render_template("site/home_staff.html", queue=queue, waiting=waiting)


@bp.route("/language", methods=["GET", "POST"])
@access(anyone)
def set_language():
    """Visitors switch with a GET form: their pages are cached and the same for everyone,
    so they carry no CSRF token; a GET changes nothing but this browser's session. The
    signed-in switch with a POST form (CSRF-checked), which also saves the choice."""
    values = request.form if request.method == "POST" else request.args
    locale = values.get("locale")
    if locale in current_app.config["SUPPORTED_LOCALES"]:
        session["locale"] = locale
        if current_user.is_authenticated and request.method == "POST":
            current_user.locale = locale
            db.session.commit()
    return redirect(local_target(values.get("next"), url_for("site.home")))


@bp.route("/healthz")
@access(anyone)
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@access(anyone)
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is the probe
        checks["database"] = f"error: {type(exc).__name__}"
    finally:
        db.session.rollback()
    redis_url = current_app.config.get("REDIS_URL")
    degraded = {}
    if redis_url:
        try:
            import redis
            redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            # Without Redis the site still serves and signs in (rate limits in process
            # memory, tasks swept from the outbox later): degraded, not unavailable, or a
            # Redis outage would take every web process out of the load balancer at once.
            degraded["redis"] = f"error: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (tasks run in-process)"
    limits = throttle.storage_state()
    if limits == "ok":
        checks["rate_limits"] = limits
    else:
        degraded["rate_limits"] = limits
    ready = checks["database"] == "ok"
    status = "unavailable" if not ready else "degraded" if degraded else "ok"
    return jsonify(status=status, checks={**checks, **degraded}), 200 if ready else 503
