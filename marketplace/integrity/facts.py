"""The parties' facts as the integrity checks compare them: from the versions a contract
pinned at signing and from the parties' current versions."""
from marketplace.accounts import identity_numbers
from marketplace.accounts.models import Organisation
from marketplace.accounts.version_models import OrganisationVersion
from marketplace.core import normalise
from marketplace.extensions import db
from marketplace.integrity.related import PartyFacts, PersonFact


def party_facts(version):
    """The version's facts with their comparison keys made by today's rules from the
    values as written: the keys a version stored were made by the rules of its day, and
    a spelling those did not know (中国江西省…) would pass the comparison for good."""
    if version is None:
        return None
    return PartyFacts(
        organisation_id=version.organisation_id, version_id=version.id,
        version_number=version.number, name=version.name, uscc=version.uscc,
        uscc_hash=identity_numbers.number_hash(version.uscc), address=version.registered_address,
        address_key=normalise.address_key(version.registered_address),
        phone=version.contact_phone, phone_key=normalise.phone_key(version.contact_phone),
        bank_account=version.bank_account,
        bank_key=normalise.digits_key(version.bank_account),
        people=tuple(PersonFact(role=p.role.value, title=p.title.value if p.title else None,
                                name=p.name, name_key=p.name_key, id_hash=p.id_number_hash,
                                masked=p.id_number_masked, share_bp=p.share_bp,
                                id_kind=p.id_kind)
                     for p in version.people))


def current_version_of(organisation_id):
    from marketplace.accounts.versions import current_version

    return current_version(db.session.get(Organisation, organisation_id))


def contract_parties(contract):
    """{"firm": {"pinned": facts, "current": facts}, "agency": {...}}; a contract signed
    before versions existed pins none (its pinned facts are then None)."""
    found = {}
    for side, organisation_id, pinned_id in (
            ("firm", contract.buyer_id, contract.buyer_version_id),
            ("agency", contract.seller_id, contract.seller_version_id)):
        current = current_version_of(organisation_id)
        pinned = db.session.get(OrganisationVersion, pinned_id) if pinned_id else None
        found[side] = {"pinned": party_facts(pinned), "current": party_facts(current),
                       "pinned_version": pinned, "current_version": current}
    return found
