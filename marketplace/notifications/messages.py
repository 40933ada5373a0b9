"""The text of every notification and e-mail kind, in the recipient's language."""
from flask_babel import lazy_gettext as _l

# kind -> (subject, body); bodies are format strings over the notification's params.
MAIL_TEMPLATES = {
    "password_reset": (
        _l("Reset your password"),
        _l("Hello %(name)s,\n\nSomeone asked to reset the password of your account on the "
           "Hongcheng innovation voucher platform. Open this link within one hour to choose "
           "a new password:\n\n%(link)s\n\nIf it was not you, ignore this message; your "
           "password stays as it is."),
    ),
    "invitation": (
        _l("You are invited to join %(organisation)s"),
        _l("%(inviter)s invites you to join %(organisation)s on the Hongcheng innovation "
           "voucher platform. Open this link to create your account:\n\n%(link)s\n\nThe "
           "link is valid for 7 days."),
    ),
}

NOTIFICATION_TEMPLATES = {
    "welcome": (
        _l("Welcome to the Hongcheng innovation voucher platform"),
        _l("Your organisation %(organisation)s is registered. Your home page shows what to "
           "do next."),
    ),
    "member_joined": (
        _l("A new member joined"),
        _l("%(name)s joined %(organisation)s."),
    ),
    "application_received": (
        _l("Voucher application received"),
        _l("Your application to %(programme)s for %(amount)s is with the bureau's "
           "auditors."),
    ),
    "application_to_review": (
        _l("A voucher application waits for review"),
        _l("%(firm)s applied to %(programme)s for %(amount)s."),
    ),
    "application_approved": (
        _l("Your voucher is issued"),
        _l("Your application to %(programme)s is approved: a voucher of %(amount)s is "
           "issued, valid until %(expires_on)s."),
    ),
    "application_rejected": (
        _l("Your voucher application is rejected"),
        _l("Your application to %(programme)s is rejected. Reason: %(comment)s"),
    ),
    "application_returned": (
        _l("Your voucher application needs correction"),
        _l("The auditor returned your application to %(programme)s: %(comment)s. Correct "
           "it and submit it again."),
    ),
    "voucher_expiring": (
        _l("Your voucher expires in %(days)s days"),
        _l("Your innovation voucher expires on %(expires_on)s with ¥%(available).2f still "
           "available. Unspent value returns to the programme."),
    ),
}


def render(templates, kind, params):
    subject, body = templates[kind]
    return str(subject) % params, str(body) % params
