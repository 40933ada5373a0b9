"""The text of every notification and e-mail kind, in the recipient's language."""
import re

from flask_babel import lazy_gettext as _l

from marketplace.core.labels import label
# kind -> (subject, body): the words are kept in texts.py; other domains add theirs
# through register_templates() below
from marketplace.notifications.texts import MAIL_TEMPLATES, NOTIFICATION_TEMPLATES


# Kinds about a staff queue that notify_coalesced() keeps to one unread notice per user
# and link, counting the items in ``params["count"]``. Their names are the ones the
# per-item notices had, so the e-mail preferences people stored for them still apply.
COALESCED_KINDS = {"application_to_review", "agency_to_review", "identity_change_to_review",
                   "registration_to_review"}


def register_templates(notifications=None, mails=None, coalesced=()):
    """A domain adds its own kinds from its own module (loaded by the domain's
    ``init_app``), so this file does not grow with every domain."""
    notifications, mails = dict(notifications or {}), dict(mails or {})
    taken = (set(notifications) & set(NOTIFICATION_TEMPLATES)) | (set(mails) & set(MAIL_TEMPLATES))
    if taken:
        raise RuntimeError(f"notification kinds registered twice: {sorted(taken)}")
    NOTIFICATION_TEMPLATES.update(notifications)
    MAIL_TEMPLATES.update(mails)
    COALESCED_KINDS.update(coalesced)


# Params stored as codes (a claim's stage) and named by their label in the reader's
# language when the notice is read or mailed: a code is never shown as it is.
LABELLED_PARAMS = ("stage",)


# line breaks, tabs and the other control characters a value may hold
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value):
    """A value as it goes into a notice or an e-mail: on one line. A name, a title or a
    reason typed by someone else ("Ada\n\nPay the fee to account …") must not start a
    paragraph of its own in the bureau's own words."""
    return _CONTROL.sub(" ", value).strip() if isinstance(value, str) else value


def render(templates, kind, params):
    subject, body = templates[kind]
    if kind in COALESCED_KINDS:
        # notices stored before these kinds counted were about one item each
        params = {"count": 1, **params}
    params = {name: one_line(value) for name, value in params.items()}
    params = {**params, **{name: label(params[name]) for name in LABELLED_PARAMS
                           if name in params}}
    return str(subject) % params, str(body) % params


# The groups of kinds a user turns e-mail on or off for on the profile page.
KIND_GROUPS = {
    "account": _l("My account and organisation"),
    "vouchers": _l("Voucher applications and vouchers"),
    "registry": _l("The agency registry and offerings"),
    "orders": _l("Orders"),
    "claims": _l("Claims and expert reviews"),
    "contracts": _l("Technology-contract registration"),
    "exchange": _l("The technology exchange"),
    "money": _l("Payments, payouts and recoveries"),
    "commissioners": _l("Science and technology commissioners"),
    "rewards": _l("Rewards for registering contracts"),
}


def group_of(kind):
    if kind in ("welcome", "member_joined") or kind.startswith("identity_"):
        return "account"
    if kind.startswith(("application_", "voucher_")):
        return "vouchers"
    if kind.startswith("order_"):
        return "orders"
    if kind.startswith(("claim_", "expert_")):
        return "claims"
    if kind.startswith("registration_"):
        return "contracts"
    if kind.startswith("exchange_"):
        return "exchange"
    if kind.startswith(("payment_", "payout_")):
        return "money"
    if kind.startswith("commissioner_"):
        return "commissioners"
    if kind.startswith("reward_"):
        return "rewards"
    return "registry"


def kinds_of_group(group):
    return [kind for kind in NOTIFICATION_TEMPLATES if group_of(kind) == group]
