"""Every attempt at one mail carries the same Message-ID, so a mail sent again after a
worker died between the SMTP server's acceptance and the commit that records it is shown
once; different mails, and the same key after a database reset, get different ids."""
from datetime import timedelta

from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.notifications import mail, services


def _attempt(message, key="notification:1"):
    """One delivery of ``message``'s work, its SentMail row rolled back as a killed worker
    would leave it; returns the Message-ID sent."""
    sent = []
    original = mail.deliver

    def capture(recipient, subject, body, message_id=None):
        sent.append(original(recipient, subject, body, message_id=message_id)["Message-ID"])

    mail.deliver = capture
    token = outbox._current_message.set(message.id)
    try:
        assert services._send_once(key, "firm@example.com", "主题", "正文")
    finally:
        outbox._current_message.reset(token)
        mail.deliver = original
        db.session.rollback()
    return sent[0]


def _queued(**payload):
    message = outbox.OutboxMessage(topic="notifications.email", payload="{}")
    db.session.add(message)
    db.session.commit()
    return message


def test_a_resent_mail_keeps_its_message_id_and_other_mails_differ(app):
    first = _queued()
    message_id = _attempt(first)
    assert message_id.startswith("<") and message_id.endswith("@hongcheng-vouchers.local>")
    assert _attempt(first) == message_id                      # the same mail again
    assert _attempt(first, key="notification:2") != message_id   # another mail
    # the same key after a database reset: its outbox message was queued at another time
    second = _queued()
    second.created_dt = first.created_dt + timedelta(days=1)
    db.session.commit()
    assert _attempt(second) != message_id


def test_another_installation_gives_the_same_mail_another_id(app):
    first = _queued()
    message_id = _attempt(first)
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = secret + "-other"
    try:
        assert _attempt(first) != message_id
    finally:
        app.config["SECRET_KEY"] = secret
