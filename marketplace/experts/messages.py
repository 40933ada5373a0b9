"""What applicants to the expert pool, its experts and the auditors are told."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications.messages import register_templates

register_templates(notifications={
    "expert_application_to_review": (   # coalesced: one unread notice for the queue
        _l("Applications to the expert pool waiting for review: %(count)s new"),
        _l("Applications to join the expert pool received since you last read this notice "
           "or opened the queue: %(count)s. The latest is from %(name)s (%(province)s)."),
    ),
    "expert_admitted": (
        _l("You are admitted to the expert pool"),
        _l("Welcome to the bureau's expert pool. Choose your password on the page \"Forgot "
           "your password?\" with this e-mail address (%(address)s), then sign in to answer "
           "the claims you are drawn for."),
    ),
    "expert_removed": (
        _l("You are removed from the expert pool"),
        _l("The bureau removed you from the expert pool. Reason: %(reason)s"),
    ),
    "expert_assessed": (
        _l("Your %(year)s assessment as an expert: %(grade)s"),
        _l("The bureau confirmed your %(year)s assessment: %(grade)s (%(in_time)s of "
           "%(invitations)s invitations answered in time, %(no_shows)s no-shows)."),
    ),
}, mails={
    "expert_application_received": (
        _l("Your application to the expert pool is received"),
        _l("Hello %(name)s,\n\nYour application to join the expert pool of the Hongcheng "
           "innovation voucher platform is with the bureau's auditors. You will hear of "
           "their decision by e-mail."),
    ),
    "expert_application_rejected": (
        _l("Your application to the expert pool is rejected"),
        _l("Hello %(name)s,\n\nThe bureau rejected your application to join the expert "
           "pool. Reason: %(reason)s"),
    ),
}, coalesced=("expert_application_to_review",))
