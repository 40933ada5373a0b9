"""Names of the rewards' roles, states and exclusion reasons."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "seller": _l("seller"),
    "buyer": _l("buyer"),
    "broker": _l("broker agency"),
    "registration_office": _l("registration office"),
    "computed": _l("computed, to be reviewed"),
    "rewards_paid": _l("paid"),
    "discarded": _l("replaced by a newer computation"),
    "related_party": _l("related parties"),
    "cancelled_contract": _l("cancelled contract"),
    "amended_to_zero": _l("amended to zero"),
    "legal_representative": _l("legal representative"),
    "registered_address": _l("registered address"),
    "contact_phone": _l("contact phone"),
    "bank_account": _l("bank account"),
    "same_organisation": _l("the same organisation"),
})
