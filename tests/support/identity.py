"""Identity helpers for tests: valid identity numbers, an organisation's first version as
registration would make it, certificates on the lists, and a new version as an approved
change request would make it (without the request, for tests of what follows)."""
from datetime import date, timedelta

from marketplace.accounts import people, versions
from marketplace.accounts.version_models import VersionSource
from marketplace.extensions import db
from marketplace.core.normalise import resident_id_check


def resident_id(serial, region="360102"):
    """A valid 18-character resident identity number, one per ``serial``."""
    born = date(1960, 1, 1) + timedelta(days=serial % 15000)
    first17 = f"{region}{born:%Y%m%d}{(serial // 15000) % 1000:03d}"
    return first17 + resident_id_check(first17)


def certify(organisation, tier=None, *, valid_from=None, valid_to=None, number=None):
    """A certificate of ``tier`` (the organisation's) on the bureau's lists."""
    from marketplace.integrity.models import CertificationEntry, CertificationSource

    tier = tier or organisation.firm_tier
    entry = CertificationEntry(
        tier=tier, uscc=organisation.uscc, organisation_name=organisation.name,
        certificate_number=number or f"GR{organisation.uscc[-8:]}{getattr(tier, 'value', tier)[:2]}",
        valid_from=valid_from or date.today() - timedelta(days=365),
        valid_to=valid_to or date.today() + timedelta(days=3 * 365),
        source=CertificationSource.LIST)
    db.session.add(entry)
    db.session.flush()
    return entry


def give_first_version(organisation, id_number=None):
    """Version 1 with the legal representative's identity number, and for a firm with a
    tier a certificate of it on the lists (as the factories' firms are certified)."""
    certificate = certify(organisation) if organisation.is_firm and organisation.firm_tier \
        else None
    representative = people.person(
        "legal_representative", organisation.legal_representative, id_kind="resident_id",
        id_number=id_number or resident_id(organisation.id))
    bank = {"bank_name": "中国工商银行南昌分行", "bank_cnaps_code": "102421000011"} \
        if organisation.bank_account else {}
    return versions.first_version(organisation, people=[representative], actor=None,
                                  source=VersionSource.REGISTRATION,
                                  tier_certificate=certificate, **bank)


def person(role, name, serial=None, *, title=None, share_bp=None, id_number=None):
    """A person entry (with a valid identity number from ``serial``, unless given)."""
    number = id_number if id_number is not None else (
        resident_id(serial) if serial is not None else None)
    return people.person(role, name, title=title, id_kind="resident_id" if number else None,
                         id_number=number, share_bp=share_bp)


def change_facts(organisation, *, actor=None, people_list=None, **facts):
    """The organisation's next version with ``facts`` changed (and its people replaced by
    ``people_list``), as an approved change request makes it."""
    current = versions.current_version(organisation)
    proposal = versions.proposal_of(current)
    proposal["facts"].update(facts)
    version = versions.record_version(
        organisation, proposal["facts"],
        people_list if people_list is not None else proposal["people"], actor=actor,
        source=VersionSource.CHANGE_REQUEST)
    db.session.flush()
    return version


def add_people(organisation, *added, actor=None):
    """The next version with ``added`` people besides the current ones."""
    current = versions.proposal_of(versions.current_version(organisation))["people"]
    return change_facts(organisation, actor=actor, people_list=current + list(added))
