"""Human names of enum values (states, kinds), translatable and shared by templates.

Templates call ``label(value)``; a value without a registered name is shown as it is,
which the label test catches.
"""
from flask_babel import lazy_gettext as _l

LABELS = {}


def register_labels(mapping):
    LABELS.update(mapping)


def label(value):
    key = getattr(value, "value", value)
    found = LABELS.get(key)
    return str(found) if found is not None else str(key)


# The values of ``marketplace.accounts.models.Role`` (core imports no domain, so the keys
# are spelled out; a test checks that every role has its name).
ROLE_LABELS = {
    "firm_member": _l("Firm member"),
    "agency_member": _l("Agency member"),
    "auditor": _l("Auditor"),
    "supervisor": _l("Supervisor"),
    "expert": _l("Expert"),
    "admin": _l("Administrator"),
}
register_labels(ROLE_LABELS)
