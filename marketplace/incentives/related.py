"""Whether a contract's two parties are related, for the rewards: the one place this domain
asks. It compares the organisations' current facts as the claims' related-party check
does (``integrity.related``: a shared person by identity number, a holding, a shared
registered address, contact phone or bank account, each normalised); only strong matches
exclude a reward, a shared name alone (a lead for an auditor) does not."""
from marketplace.integrity import facts, related


def related_party_fields(buyer, seller):
    """What the two organisations share (the kinds of match), [] when nothing or either is
    not on the platform."""
    if buyer is None or seller is None:
        return []
    if buyer.id == seller.id:
        return ["same_organisation"]
    mine = facts.party_facts(facts.current_version_of(buyer.id))
    theirs = facts.party_facts(facts.current_version_of(seller.id))
    if mine is None or theirs is None:
        return []
    found = related.compare(mine, theirs)
    return sorted({match["kind"] for match in found if match["strength"] == related.STRONG})
