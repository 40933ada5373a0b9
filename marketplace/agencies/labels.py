from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    # agency types
    "local_intermediary": _l("local intermediary"),
    "university": _l("university"),
    "institute": _l("research institute"),
    "other": _l("other"),
    # registry statuses ("submitted", "returned", "rejected" are shared with vouchers)
    "draft": _l("draft"),
    "public_notice": _l("on public notice"),
    "admitted": _l("admitted"),
    "suspended": _l("suspended"),
    "removed": _l("removed from the registry"),
    # documents
    "business_licence": _l("business licence / registration certificate"),
    "accreditation": _l("accreditation certificate"),
    # objections
    "open": _l("open (not settled)"),
    "upheld": _l("upheld"),
    "dismissed": _l("dismissed"),
    # offerings
    "fixed": _l("fixed price"),
    "quotation": _l("on quotation"),
    "published": _l("published"),
    "taken_down": _l("taken down"),
    "in_city": _l("in the city"),
    "out_of_town": _l("out of town"),
})
