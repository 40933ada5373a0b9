"""Names of what a reconciliation can find."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "unknown_charge": _l("a charge the platform does not know"),
    "unrecorded_payment": _l("a payment the platform had not recorded"),
    "status": _l("the state differed"),
    "refund": _l("a refund the platform had not recorded"),
    "no_receipt": _l("paid without a posting"),
    "status_disagrees": _l("the gateway and the platform disagree"),
    "not_at_gateway": _l("not known to the gateway"),
})
