"""What organisations are told of their rewards for registering contracts."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications.messages import register_templates

register_templates(notifications={
    "reward_published": (
        _l("Your reward for registering contracts in %(year)s: %(amount)s"),
        _l("The bureau approved the %(year)s rewards for registering technology contracts. "
           "Your organisation receives %(amount)s as %(role)s; the page shows how it was "
           "computed."),
    ),
    "reward_paid": (
        _l("Your %(year)s reward for registering contracts is paid"),
        _l("The bureau paid the %(year)s rewards (reference %(reference)s): %(amount)s to "
           "your organisation as %(role)s."),
    ),
})
