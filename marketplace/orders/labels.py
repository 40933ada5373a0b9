"""Names of the order domain's values (statuses, contract types, document kinds)."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    # order statuses
    "requested": _l("requested"),
    "quoted": _l("quoted"),
    "contracted": _l("contract signed"),
    "paid": _l("co-pay paid"),
    "delivered": _l("delivered"),
    "accepted": _l("accepted"),
    "disputed": _l("disputed"),
    "cancelled": _l("cancelled"),
    # technology contract types
    "development": _l("technology development"),
    "transfer": _l("technology transfer"),
    "licensing": _l("technology licensing"),
    "consulting": _l("technology consulting"),
    "service": _l("technology service"),
    # order documents
    "signed_contract": _l("signed contract"),
    "deliverable": _l("deliverable"),
    "invoice": _l("invoice"),
})
