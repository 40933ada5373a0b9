"""Sending e-mail over SMTP (or to the log when no MAIL_SERVER is configured)."""
import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    pass


def deliver(recipient, subject, body, message_id_domain="hongcheng-vouchers.local"):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=message_id_domain)
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
