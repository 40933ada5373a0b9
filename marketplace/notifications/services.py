"""Notifying people: an inbox row now, an e-mail after commit through the outbox."""
import json
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update

from marketplace.core import outbox
from marketplace.core.rows import for_update, insert_unless_present
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.notifications import mail
from marketplace.notifications.messages import (COALESCED_KINDS, MAIL_TEMPLATES,
                                                NOTIFICATION_TEMPLATES, render)
from marketplace.notifications.models import (Notification, NotificationPreference,
                                              NotificationSettings, SentMail)


def notify(user, kind, *, link=None, email=True, **params):
    """Put a message in ``user``'s inbox and, after commit, e-mail it - unless the user
    turned e-mail off for this kind, or reads a daily digest instead (then the nightly
    digest mails it)."""
    if kind not in NOTIFICATION_TEMPLATES:
        raise KeyError(f"unknown notification kind {kind!r}")
    notification = Notification(user_id=user.id, kind=kind, link=link,
                                params=json.dumps(params, ensure_ascii=False, default=str))
    db.session.add(notification)
    db.session.flush()
    if email and mails_now(user, kind):
        outbox.emit("notifications.email", notification_id=notification.id)
    return notification


# pg_advisory_xact_lock(namespace, user id): the two-integer key space does not overlap
# the single-bigint keys of the audit chain and of the imports.
_COALESCE_LOCK_NAMESPACE = 7_100_001
# after a counting notice was read (or its queue opened), a new one is not mailed for this
# long: the reader is at work on that queue
MAIL_QUIET_PERIOD = timedelta(minutes=30)


def notify_coalesced(user, kind, *, link, email=True, **params):
    """Tell ``user`` of one more item in a staff queue without a message per item.

    The first item makes a notification (``count`` 1), mailed exactly as notify() mails.
    While it stays unread, each further item adds one to its count, replaces its params
    with the latest item's and moves it to the top of the inbox, without another mail.
    Once the user has read it, the next item starts a new notification, mailed unless the
    user read one of this queue in the last :data:`MAIL_QUIET_PERIOD`: an auditor working
    through the queue reads its notice at every return to it, and must not get a mail per
    decision."""
    if kind not in COALESCED_KINDS:
        raise KeyError(f"not a coalesced notification kind {kind!r}")
    params.pop("count", None)   # the count is this function's
    _lock_coalesced_notices(user.id)
    waiting = db.session.execute(
        for_update(select(Notification).where(
            Notification.user_id == user.id, Notification.kind == kind,
            Notification.link == link, Notification.read_dt.is_(None))
            .order_by(Notification.id.desc()).limit(1))
        .execution_options(populate_existing=True)).scalars().first()
    if waiting is None:
        return notify(user, kind, link=link, count=1, **params,
                      email=email and not _read_lately(user, kind, link))
    count = int(waiting.params_dict.get("count", 1)) + 1
    waiting.params = json.dumps({**params, "count": count}, ensure_ascii=False, default=str)
    waiting.created_dt = now_utc()
    db.session.flush()
    return waiting


def _read_lately(user, kind, link):
    last_read = db.session.execute(
        select(func.max(Notification.read_dt)).where(
            Notification.user_id == user.id, Notification.kind == kind,
            Notification.link == link)).scalar()
    return last_read is not None and last_read > now_utc() - MAIL_QUIET_PERIOD


def mark_queue_seen(user, kind, link=None):
    """``user`` has opened the queue a coalesced notice counts (``link`` when the page
    shows only that notice's part of it): the notice is read, so the next item starts a
    new one (mailed once the quiet period is over). Without this an auditor who works
    from the mail and the queue, never from the inbox, would hear nothing more of it."""
    if kind not in COALESCED_KINDS:
        raise KeyError(f"not a coalesced notification kind {kind!r}")
    _mark_unread_read(user, Notification.kind == kind,
                      *([] if link is None else [Notification.link == link]))


def _lock_coalesced_notices(user_id):
    """Two workers handling two items at once must not both find no unread notice and
    both insert one. Row locks cannot guard a row that does not exist yet, and a partial
    unique index would need a migration (and a flag telling coalesced rows from the
    others), so the finders take a transaction-scoped advisory lock per user first: the
    second waits for the first to commit, and its SELECT (a new READ COMMITTED snapshot)
    then sees the first one's row. Keyed by user id alone (no hash collisions); callers
    go through staff lists sorted by user id, so two of them take the locks in the same
    order and cannot deadlock. SQLite, for development, serialises writers anyway.
    The FOR UPDATE on the row still matters: mark_read() takes no advisory lock, and a
    notice read meanwhile must not be counted on."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :user_id)"),
                           {"namespace": _COALESCE_LOCK_NAMESPACE, "user_id": user_id})


def active_members(organisation_id):
    """The active users of an organisation, who hear of what happens to it."""
    from marketplace.accounts.models import User

    return db.session.execute(select(User).where(
        User.organisation_id == organisation_id, User.is_active_account.is_(True))
        .order_by(User.id)).scalars().all()


def active_staff(role):
    """The active bureau users of one role (auditors told of new work, ...)."""
    from marketplace.accounts.models import User

    return db.session.execute(select(User).where(
        User.role == role, User.is_active_account.is_(True))
        .order_by(User.id)).scalars().all()


def wants_email(user, kind):
    enabled = db.session.execute(
        select(NotificationPreference.email_enabled)
        .where(NotificationPreference.user_id == user.id, NotificationPreference.kind == kind)
    ).scalar_one_or_none()
    return enabled is None or bool(enabled)


def mails_now(user, kind):
    """Whether a notification of ``kind`` is mailed to ``user`` as it happens: e-mail on
    for the kind (the default) and no daily digest instead. One statement: this runs for
    every notification."""
    preference = (select(NotificationPreference.email_enabled)
                  .where(NotificationPreference.user_id == user.id,
                         NotificationPreference.kind == kind).scalar_subquery())
    digest = (select(NotificationSettings.daily_digest)
              .where(NotificationSettings.user_id == user.id).scalar_subquery())
    enabled, daily = db.session.execute(select(preference, digest)).one()
    return (enabled is None or bool(enabled)) and not daily


def wants_digest(user):
    settings = db.session.get(NotificationSettings, user.id)
    return bool(settings and settings.daily_digest)


def email_preferences(user):
    """{kind: e-mail on?} for every kind, defaults included."""
    stored = dict(db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.email_enabled)
        .where(NotificationPreference.user_id == user.id)).all())
    return {kind: bool(stored.get(kind, True)) for kind in NOTIFICATION_TEMPLATES}


def set_email_preferences(user, enabled_by_kind, *, daily_digest):
    """Store the user's choices: ``enabled_by_kind`` maps kinds to booleans."""
    stored = {p.kind: p for p in db.session.execute(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    ).scalars()}
    for kind, enabled in enabled_by_kind.items():
        if kind not in NOTIFICATION_TEMPLATES:
            raise KeyError(f"unknown notification kind {kind!r}")
        if kind in stored:
            stored[kind].email_enabled = bool(enabled)
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind,
                                                  email_enabled=bool(enabled)))
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id, daily_digest=bool(daily_digest))
        db.session.add(settings)
    settings.daily_digest = bool(daily_digest)
    db.session.flush()


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
    _mark_unread_read(user, *([] if notification_ids is None
                              else [Notification.id.in_(notification_ids)]))


def _mark_unread_read(user, *conditions):
    db.session.execute(update(Notification)
                       .where(Notification.user_id == user.id,
                              Notification.read_dt.is_(None), *conditions)
                       .values(read_dt=now_utc()))


def _send_once(dedupe_key, recipient, subject, body):
    """Send unless a mail of ``dedupe_key`` was sent. The key is claimed before the
    sending, in the same statement that finds it taken: a mail that cannot be sent raises,
    and the rollback gives the key back; a second worker on the same mail waits for the
    first one's commit and then sends nothing."""
    if not insert_unless_present(SentMail.__table__, ("dedupe_key",), dedupe_key=dedupe_key,
                                 recipient=recipient, subject=subject[:300]):
        return False
    mail.deliver(recipient, subject, body, message_id=_message_id(dedupe_key))
    return True


def _message_id(dedupe_key):
    """The same for every attempt at the mail named ``dedupe_key``: the SentMail row that
    stops a second sending is committed after the SMTP server took the mail, so a worker
    killed in between sends it again, and then it must be the same message. The outbox
    message's creation time (the same on every delivery of it) keeps ids apart after a
    database reset reuses the key's numbers."""
    message_id = outbox.current_message_id()
    queued = db.session.get(outbox.OutboxMessage, message_id) if message_id else None
    return mail.stable_message_id(dedupe_key,
                                  queued.created_dt.isoformat() if queued else "")


@outbox.handler("notifications.email")
def _email_notification(notification_id):
    from marketplace.accounts.models import User

    found = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.id == notification_id)).first()
    if found is None or found.Notification.emailed_dt is not None:
        return
    notification, user = found
    subject, body = rendered(notification, user.locale)
    _send_once(f"notification:{notification.id}", user.email, subject, body)
    notification.emailed_dt = now_utc()


@outbox.handler("mail.send")
def _send_templated_mail(to, template, locale, params, **_ignored):
    with force_locale(locale or "zh"):
        subject, body = render(MAIL_TEMPLATES, template, params)
    _send_once(f"outbox:{outbox.current_message_id()}", to, subject, body)


@outbox.handler("audit.checkpoint_written")
def _mail_audit_checkpoint(checkpoint_id):
    """Each supervisor keeps a copy of the audit chain's checkpoint outside the database,
    whatever their notification settings: it is what shows a shortened chain."""
    from marketplace.accounts.models import Role
    from marketplace.core.audit import AuditCheckpoint

    checkpoint = db.session.get(AuditCheckpoint, checkpoint_id)
    if checkpoint is None:
        return
    for supervisor in active_staff(Role.SUPERVISOR):
        send_mail(to=supervisor.email, template="audit_checkpoint", locale=supervisor.locale,
                  checkpoint=checkpoint.id, sequence=checkpoint.sequence,
                  head_hash=checkpoint.head_hash,
                  time=checkpoint.created_dt.isoformat(timespec="seconds"))


@nightly_job
def send_daily_digests(at=None):
    """One mail a day to each digest reader, listing the notifications not yet e-mailed
    (of kinds with e-mail on), and marks them e-mailed. The SentMail key (one per user
    and day) makes a rerun on the same day send nothing; what came in after the day's
    digest waits for the next one."""
    from marketplace.accounts.models import User

    at = at or now_utc()
    sent = 0
    readers = db.session.execute(
        select(NotificationSettings).where(NotificationSettings.daily_digest.is_(True))
        .order_by(NotificationSettings.user_id)).scalars().all()
    for settings in readers:
        user = db.session.get(User, settings.user_id)
        query = select(Notification).where(Notification.user_id == user.id,
                                           Notification.emailed_dt.is_(None),
                                           Notification.created_dt <= at)
        if settings.last_digest_dt is not None:
            query = query.where(Notification.created_dt > settings.last_digest_dt)
        pending = db.session.execute(
            query.order_by(Notification.created_dt, Notification.id)).scalars().all()
        preferences = email_preferences(user)
        items = [n for n in pending if preferences.get(n.kind, True)]
        if items:
            locale = user.locale or "zh"
            with force_locale(locale):
                subject = str(_l("Your notifications of the day (%(count)s)")) % {
                    "count": len(items)}
            parts = []
            for notification in items:
                item_subject, item_body = rendered(notification, locale)
                parts.append(f"{item_subject}\n{item_body}")
            body = "\n\n".join(parts)
            if not _send_once(f"digest:{user.id}:{at.date().isoformat()}", user.email,
                              subject, body):
                continue  # today's digest went out already: these wait for tomorrow's
            sent += 1
            for notification in items:
                notification.emailed_dt = at
        settings.last_digest_dt = at
        db.session.flush()
    return sent
