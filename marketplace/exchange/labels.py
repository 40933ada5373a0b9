"""Names of the exchange's values (statuses, IP kinds, transfer modes)."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "draft": _l("draft"),
    "published": _l("published"),
    "closed": _l("closed"),
    "invention_patent": _l("invention patent"),
    "utility_patent": _l("utility model patent"),
    "software_copyright": _l("software copyright"),
    "know_how": _l("know-how (technical secret)"),
    "mode_transfer": _l("transfer"),
    "mode_licence": _l("licence"),
    "mode_joint_development": _l("joint development"),
    "mode_equity": _l("equity investment"),
    "match_proposed": _l("proposed"),
    "match_accepted": _l("accepted by both"),
    "match_declined": _l("declined"),
    "match_withdrawn": _l("withdrawn"),
    "match_contracted": _l("contract registered"),
    "match_ordered": _l("turned into an order"),
})
