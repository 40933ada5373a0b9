from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "submitted": _l("submitted"),
    "returned": _l("returned for correction"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
    "active": _l("active"),
    "expired": _l("expired"),
    "revoked": _l("revoked"),
    "voucher_issue": _l("voucher issued"),
    "voucher_reserve": _l("reserved for a contract"),
    "voucher_release": _l("reservation released"),
    "voucher_expiry": _l("expired, returned to the programme"),
    "voucher_revoke": _l("revoked, returned to the programme"),
    "claim_approval": _l("paid to the agency (claim approved)"),
    "claim_clawback": _l("clawed back"),
})
