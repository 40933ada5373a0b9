"""Names of the commissioners' states and assessment terms (the shared ones, such as
submitted, returned, rejected, confirmed and disputed, are named by other domains)."""
from flask_babel import lazy_gettext as _l

from marketplace.core.labels import register_labels

register_labels({
    "recognised": _l("recognised"),
    "recognition_withdrawn": _l("recognition withdrawn"),
    # pairings
    "firm": _l("firm"),
    "village": _l("village"),
    "park": _l("industrial park"),
    "asked": _l("asked, waiting for the commissioner"),
    "paired": _l("paired"),
    "declined": _l("declined"),
    "ended": _l("ended"),
    # services
    "logged": _l("waiting for confirmation"),
    # the yearly assessment
    "excellent": _l("excellent"),
    "competent": _l("competent"),
    "not_competent": _l("not competent"),
    "proposed": _l("proposed, to be confirmed"),
    "minimum_met": _l("minimum met"),
    "on_track": _l("on track"),
    "behind": _l("behind the minimum's pace"),
    "silent": _l("silent"),
    "too_few_services": _l("too few confirmed services"),
    "too_few_served": _l("too few firms, villages or parks served"),
    "too_few_confirmed": _l("too few of the services confirmed"),
    "above_excellent": _l("at or above every threshold of \"excellent\""),
    "meets_minimum": _l("meets the minimum"),
})
