"""Human names of enum values (states, kinds), translatable and shared by templates.

Templates call ``label(value)``; a value without a registered name is shown as it is,
which the label test catches.
"""
LABELS = {}


def register_labels(mapping):
    LABELS.update(mapping)


def label(value):
    key = getattr(value, "value", value)
    found = LABELS.get(key)
    return str(found) if found is not None else str(key)

