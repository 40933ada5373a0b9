"""Technology fields (技术领域) of a registered contract, and names of the registry's values.

Off-platform registrations (by hand, imported, brokered on the exchange) use the fields of
the national technology-contract registration system; a contract signed through an order
carries its offering's service category code instead. ``field_label`` names either.
"""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

# (code, Chinese name as in the registration system's exports, English name)
TECH_FIELDS = (
    ("electronic_information", "电子信息", "Electronic information"),
    ("advanced_manufacturing", "先进制造", "Advanced manufacturing"),
    ("aerospace", "航空航天", "Aerospace"),
    ("modern_transport", "现代交通", "Modern transport"),
    ("biomedicine", "生物、医药和医疗器械", "Biology, medicine and medical devices"),
    ("new_materials", "新材料及其应用", "New materials and their applications"),
    ("new_energy", "新能源与高效节能", "New energy and energy efficiency"),
    ("environment", "环境保护与资源综合利用", "Environmental protection and resources"),
    ("nuclear", "核应用技术", "Nuclear applications"),
    ("agriculture", "农业", "Agriculture"),
    ("urban_social", "城市建设与社会发展", "Urban construction and social development"),
)
# the English names again as literals, for extraction into the catalogue
FIELD_LABELS = {
    "electronic_information": _l("Electronic information"),
    "advanced_manufacturing": _l("Advanced manufacturing"),
    "aerospace": _l("Aerospace"),
    "modern_transport": _l("Modern transport"),
    "biomedicine": _l("Biology, medicine and medical devices"),
    "new_materials": _l("New materials and their applications"),
    "new_energy": _l("New energy and energy efficiency"),
    "environment": _l("Environmental protection and resources"),
    "nuclear": _l("Nuclear applications"),
    "agriculture": _l("Agriculture"),
    "urban_social": _l("Urban construction and social development"),
}
FIELD_CODES = tuple(code for code, _zh, _en in TECH_FIELDS)

register_labels(FIELD_LABELS)
register_labels({
    "original": _l("original registration"),
    "amendment": _l("amendment"),
    "cancellation": _l("cancellation"),
    "platform": _l("signed on the platform"),
    "manual": _l("registered by hand"),
    "import": _l("imported"),
    "exchange": _l("technology exchange"),
    "pending": _l("awaiting confirmation"),
    "confirmed": _l("confirmed"),
    "rejected": _l("rejected"),
    "queued": _l("queued"),
    "running": _l("importing"),
    "imported": _l("imported"),
    "refused": _l("refused"),
    "failed": _l("failed"),
})


def field_label(code):
    """The name (in the current language) of a technology field or, for a platform
    contract, of its service category."""
    from marketplace.core.labels import label
    return label(code)


def resolve_field(text):
    """The field code for a code, a Chinese or an English name; None if unknown."""
    value = (text or "").strip()
    lowered = value.lower()
    for code, zh, en in TECH_FIELDS:
        if value in (code, zh) or lowered == en.lower() or lowered == code:
            return code
    return None


def field_choices():
    return [(code, str(FIELD_LABELS[code])) for code in FIELD_CODES]
