"""Names of the expert pool's states and assessment terms (grades and "proposed" are
named by the commissioners' domain, with the same words)."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "removed_from_pool": _l("removed from the pool"),
    "too_many_no_shows": _l("too many no-shows"),
    "conflict_found_later": _l("a tie to a party found after the draw"),
    "answers_late": _l("too few invitations answered in time"),
    "scores_far_from_panel": _l("scores far from the panel's"),
})
