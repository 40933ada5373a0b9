from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from marketplace.core.normalise import typed_id
from marketplace.core.permissions import access, is_authenticated
from marketplace.core.web import page_argument
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.messages import KIND_GROUPS, kinds_of_group

# no url_prefix: the e-mail preferences are saved under /profile, next to the profile
# page (accounts) that shows them
bp = Blueprint("notifications", __name__)


@bp.route("/inbox/")
@access(is_authenticated)
def inbox():
    pagination = services.inbox_page(current_user, page_argument())
    locale = str(get_locale())
    items = [(n, *services.rendered(n, locale)) for n in pagination.items]
    return render_template("notifications/inbox.html", pagination=pagination, items=items)


@bp.route("/inbox/read", methods=["POST"])
@access(is_authenticated)
def mark_read():
    # no id at all: the page's "mark all as read"; ids given: only those, and a form of
    # only ids that are no notice's (not a number, past any id) marks nothing
    sent = request.form.getlist("id")
    ids = [number for number in (typed_id(value) for value in sent)
           if number is not None]
    if ids or not sent:
        services.mark_read(current_user, ids or None)
    db.session.commit()
    return redirect(url_for("notifications.inbox"))


def preferences_on_profile_page(user):
    """The e-mail preferences' section of the profile page (the answer to accounts'
    ``profile_page`` signal): one box per group of kinds, ticked when every kind of the
    group is mailed, and the daily digest."""
    enabled = services.email_preferences(user)
    groups = [(group, label, all(enabled[kind] for kind in kinds_of_group(group)))
              for group, label in KIND_GROUPS.items()]
    choices = {"groups": groups, "daily_digest": services.wants_digest(user)}
    return Markup(render_template("notifications/_profile_section.html",
                                  notification_choices=choices))


@bp.route("/profile/notifications", methods=["POST"])
@access(is_authenticated)
def notification_settings():
    chosen = set(request.form.getlist("email_group"))
    enabled = {kind: group in chosen
               for group in KIND_GROUPS for kind in kinds_of_group(group)}
    services.set_email_preferences(current_user, enabled,
                                   daily_digest=bool(request.form.get("daily_digest")))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("accounts.profile") + "#notifications-heading")
