"""Notifying people: an inbox row now, an e-mail after commit through the outbox."""
import json

from flask_babel import force_locale
from sqlalchemy import func, select, update

from marketplace.core import outbox
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.notifications import mail
from marketplace.notifications.messages import (MAIL_TEMPLATES, NOTIFICATION_TEMPLATES,
                                                render)
from marketplace.notifications.models import Notification, SentMail


def notify(user, kind, *, link=None, email=True, **params):
    """Put a message in ``user``'s inbox and, after commit, e-mail it."""
    if kind not in NOTIFICATION_TEMPLATES:
        raise KeyError(f"unknown notification kind {kind!r}")
    notification = Notification(user_id=user.id, kind=kind, link=link,
                                params=json.dumps(params, ensure_ascii=False, default=str))
    db.session.add(notification)
    db.session.flush()
    if email:
        outbox.emit("notifications.email", notification_id=notification.id)
    return notification


def send_mail(*, to, template, locale=None, **params):
    """Queue an e-mail (to someone who may have no account yet) for after commit."""
    if template not in MAIL_TEMPLATES:
        raise KeyError(f"unknown mail template {template!r}")
    outbox.emit("mail.send", to=to, template=template, locale=locale, params=params)


def rendered(notification, locale):
    with force_locale(locale or "zh"):
        return render(NOTIFICATION_TEMPLATES, notification.kind, notification.params_dict)


def inbox_page(user, page, per_page=20):
    return db.paginate(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_dt.desc(), Notification.id.desc()),
        page=page, per_page=per_page, error_out=False)


def unread_count(user):
    return db.session.execute(
        select(func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.read_dt.is_(None))
    ).scalar_one()


def mark_read(user, notification_ids=None):
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_dt.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    db.session.execute(query.values(read_dt=now_utc()))


def _send_once(dedupe_key, recipient, subject, body):
    if db.session.execute(select(SentMail.id).where(SentMail.dedupe_key == dedupe_key)).first():
        return False
    mail.deliver(recipient, subject, body)
    db.session.add(SentMail(dedupe_key=dedupe_key, recipient=recipient, subject=subject[:300]))
    db.session.flush()
    return True


@outbox.handler("notifications.email")
def _email_notification(notification_id):
    from marketplace.accounts.models import User

    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.emailed_dt is not None:
        return
    user = db.session.get(User, notification.user_id)
    subject, body = rendered(notification, user.locale)
    _send_once(f"notification:{notification.id}", user.email, subject, body)
    notification.emailed_dt = now_utc()


@outbox.handler("mail.send")
def _send_templated_mail(to, template, locale, params, **_ignored):
    with force_locale(locale or "zh"):
        subject, body = render(MAIL_TEMPLATES, template, params)
    _send_once(f"outbox:{outbox.current_message_id()}", to, subject, body)
