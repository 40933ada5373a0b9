"""Suggestions with reasons: for a demand, results, offerings and agencies; for a result,
demands. Each kind is ranked by one SQL query (matching.rank); only the listings returned
are loaded and checked for visibility."""
from dataclasses import dataclass, field

from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.catalogue.models import Offering
from marketplace.catalogue.services import is_visible as offering_visible
from marketplace.exchange import matching
from marketplace.exchange.models import ListingStatus, TechDemand, TechResult
from marketplace.exchange.services import is_result_visible
from marketplace.extensions import db

OVERFETCH = 3     # rows ranked per row shown, for listings hidden since they were indexed
RELATIVE_FLOOR = 0.1   # a suggestion scoring under a tenth of the best is noise (技术 alone)


@dataclass
class Suggestion:
    kind: str
    listing: object
    score: float
    same_field: bool
    shared_terms: list = field(default_factory=list)

    @property
    def reasons(self):
        return {"shared_terms": self.shared_terms, "same_field": self.same_field}


_MODELS = {"result": TechResult, "demand": TechDemand, "offering": Offering,
           "agency": AgencyProfile}
_VISIBLE = {
    "result": is_result_visible,
    "demand": lambda d: d.status == ListingStatus.PUBLISHED,
    "offering": offering_visible,
    "agency": lambda a: a.status == AgencyStatus.ADMITTED,
}


def _suggest(kind, text, terms, field_code, limit):
    found = []
    ranking = matching.rank(kind, terms, field_code=field_code, limit=limit * OVERFETCH)
    floor = ranking[0].score * RELATIVE_FLOOR if ranking else 0
    for ranked in ranking:
        if ranked.score < floor:
            break
        listing = db.session.get(_MODELS[kind], ranked.listing_id)
        if listing is None or not _VISIBLE[kind](listing):
            continue
        found.append(Suggestion(kind, listing, round(ranked.score, 4), ranked.same_field,
                                matching.phrases(text, ranked.shared_terms)))
        if len(found) == limit:
            break
    return found


def for_demand(demand, limit=5, kinds=("result", "offering", "agency")):
    text = f"{demand.title} {demand.description}"
    terms = matching.query_terms(demand.title, demand.description)
    return {kind: _suggest(kind, text, terms, demand.field_code, limit) for kind in kinds}


def for_result(result, limit=5):
    text = f"{result.title} {result.summary}"
    terms = matching.query_terms(result.title, result.summary)
    return {"demand": _suggest("demand", text, terms, result.field_code, limit)}
