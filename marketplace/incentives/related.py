"""Whether a contract's two parties are related, for the rewards: the one place this domain
asks. It compares the organisations' facts (current, and for a platform contract those
pinned at signing) as the claims' related-party check does (``integrity.related``: a shared person by identity number, a holding, a shared
registered address, contact phone or bank account, each normalised); only strong matches
exclude a reward, a shared name alone (a lead for an auditor) does not."""
from marketplace.accounts.version_models import OrganisationVersion
from marketplace.extensions import db
from marketplace.integrity import facts, related


def related_party_fields(buyer, seller, pinned=(None, None)):
    """What the two organisations share (the kinds of match), [] when nothing or either is
    not on the platform. ``pinned``: the ids of the versions a platform contract pinned
    at signing (buyer's, seller's); as the claims' check does, the facts pinned and the
    current ones are compared both ways, so parties related when they signed are not made
    unrelated by a change of facts afterwards."""
    if buyer is None or seller is None:
        return []
    if buyer.id == seller.id:
        return ["same_organisation"]
    sides = []
    for organisation, pinned_id in ((buyer, pinned[0]), (seller, pinned[1])):
        current = facts.current_version_of(organisation.id)
        versions = {version.id: version for version in (
            current, db.session.get(OrganisationVersion, pinned_id) if pinned_id else None)
            if version is not None}
        sides.append([facts.party_facts(version) for version in versions.values()])
    found = [match for mine in sides[0] for theirs in sides[1]
             for match in related.compare(mine, theirs)]
    return sorted({match["kind"] for match in found if match["strength"] == related.STRONG})
