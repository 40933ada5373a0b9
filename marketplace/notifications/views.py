from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from marketplace.core.permissions import access, is_authenticated
from marketplace.core.web import page_argument
from marketplace.extensions import db
from marketplace.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/inbox")


@bp.route("/")
@access(is_authenticated)
def inbox():
    pagination = services.inbox_page(current_user, page_argument())
    locale = str(get_locale())
    items = [(n, *services.rendered(n, locale)) for n in pagination.items]
    return render_template("notifications/inbox.html", pagination=pagination, items=items)


@bp.route("/read", methods=["POST"])
@access(is_authenticated)
def mark_read():
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()]
    services.mark_read(current_user, ids or None)
    db.session.commit()
    return redirect(url_for("notifications.inbox"))
