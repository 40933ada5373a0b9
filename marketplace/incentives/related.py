"""Whether a contract's two parties are related, for the rewards: the one place this domain
asks. Today it compares the organisations' normalised keys as the claims' related-party
check does (legal representative, registered address, contact phone, bank account); the
rebuilt detection (people, better normalisation) can take over here without the rewards
changing."""
from marketplace.claims.checks import RELATED_PARTY_KEYS


def related_party_fields(buyer, seller):
    """The facts the two organisations share (field names), [] when they share none or
    either is not on the platform."""
    if buyer is None or seller is None or buyer.id == seller.id:
        return [] if buyer is None or seller is None else ["same_organisation"]
    return [key[:-len("_key")] for key in RELATED_PARTY_KEYS
            if getattr(buyer, key) and getattr(buyer, key) == getattr(seller, key)]
