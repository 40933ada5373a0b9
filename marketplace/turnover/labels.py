"""Names of the turnover domain's values (registration kinds, sources, states; imports)."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

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
