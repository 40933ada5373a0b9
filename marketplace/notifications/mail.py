"""Sending e-mail over SMTP (or to the log when no MAIL_SERVER is configured)."""
import hashlib
import hmac
import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    pass


MESSAGE_ID_DOMAIN = "hongcheng-vouchers.local"


def stable_message_id(*parts):
    """A Message-ID that every attempt at one mail shares, from what names the mail (its
    de-duplication key and when its work was queued) and the installation's secret, so it
    differs between installations and across a database reset."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    name = "|".join(str(p) for p in parts).encode("utf-8")
    return f"<{hmac.new(secret, name, hashlib.sha256).hexdigest()[:40]}@{MESSAGE_ID_DOMAIN}>"


def deliver(recipient, subject, body, message_id=None):
    """Send one mail. ``message_id``: give the same one to every attempt at the same mail
    (:func:`stable_message_id`): a mail sent again because the worker died after the SMTP
    server took it but before its sending was recorded then reaches the reader's mail
    client as the same message, which shows it once."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    message.set_content(body)
    server = config.get("MAIL_SERVER")
    if not server:
        log.info("MAIL_SERVER is not set; e-mail to %s logged instead of sent:\n"
                 "Subject: %s\n\n%s", recipient, subject, body)
        return message
    try:
        with smtplib.SMTP(server, config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent(str(exc)) from exc
    return message
