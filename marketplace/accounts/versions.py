"""Versions of an organisation's regulated facts: made at registration (or by the
migration for organisations older than versions), then only from an approved change
request or the bureau's import of a business-registry export.

A new version copies its facts onto the organisation row (what most pages read),
records old → new in the audit log (identity numbers only masked), and has the open
claims of the organisation checked again on the pinned and the new facts."""
from sqlalchemy import func, select

from marketplace.accounts import people as people_rules
from marketplace.accounts import signals
from marketplace.accounts.models import FirmTier, Organisation
from marketplace.accounts.version_models import (FACT_FIELDS, OrganisationVersion,
                                                 VersionSource)
from marketplace.core import audit, normalise
from marketplace.extensions import db

# the organisation row's copy of its current version
MIRRORED = ("name", "uscc", "legal_representative", "registered_address", "district_id",
            "contact_phone", "bank_account", "firm_tier")


def current_version(organisation):
    """The organisation's current version (made now if an organisation somehow has none,
    from the facts on its row: only organisations made outside the services lack one)."""
    if organisation.current_version_id is None:
        return first_version(organisation, people=None, actor=None,
                             source=VersionSource.MIGRATION)
    return organisation.current_version


def facts_of(organisation):
    """The facts on the organisation row, as a version would hold them."""
    return {"name": organisation.name, "uscc": organisation.uscc,
            "registered_address": organisation.registered_address,
            "district_id": organisation.district_id,
            "contact_phone": organisation.contact_phone, "bank_name": None,
            "bank_cnaps_code": None, "bank_account": organisation.bank_account,
            "firm_tier": organisation.firm_tier.value if organisation.firm_tier else None}


def first_version(organisation, *, people, actor, source, tier_certificate=None, **extra):
    """Version 1, of the facts on the organisation row (and ``extra`` facts the row does
    not hold: the bank's name and CNAPS code). Without ``people`` the legal
    representative is taken from the row, by name only (an organisation registered before
    people were recorded)."""
    if people is None:
        people = [{"role": "legal_representative", "title": None,
                   "name": organisation.legal_representative, "id_kind": None,
                   "id_number_hash": None, "id_number_masked": None, "share_bp": None}]
    return record_version(organisation, {**facts_of(organisation), **extra}, people,
                          actor=actor, source=source, tier_certificate=tier_certificate)


def record_version(organisation, facts, people, *, actor, source, change_request=None,
                   tier_certificate=None):
    """Make ``facts`` and ``people`` the organisation's next version. Returns it."""
    people = people_rules.checked_people(people)
    previous = organisation.current_version if organisation.current_version_id else None
    number = (db.session.execute(select(func.max(OrganisationVersion.number)).where(
        OrganisationVersion.organisation_id == organisation.id)).scalar() or 0) + 1 \
        if organisation.id is not None else 1
    tier = facts.get("firm_tier") if organisation.is_firm else None
    version = OrganisationVersion(
        organisation_id=organisation.id, number=number, source=VersionSource(source),
        name=facts["name"], uscc=facts["uscc"],
        legal_representative=people_rules.legal_representative_of(people)["name"],
        registered_address=facts["registered_address"], district_id=facts["district_id"],
        contact_phone=facts["contact_phone"], bank_name=facts.get("bank_name"),
        bank_cnaps_code=facts.get("bank_cnaps_code"), bank_account=facts.get("bank_account"),
        firm_tier=FirmTier(tier) if tier else None,
        tier_certificate_id=tier_certificate.id if tier_certificate is not None else None,
        name_key=normalise.name_key(facts["name"]),
        address_key=normalise.address_key(facts["registered_address"]),
        phone_key=normalise.phone_key(facts["contact_phone"]),
        bank_account_key=normalise.digits_key(facts.get("bank_account")),
        change_request_id=change_request.id if change_request is not None else None,
        created_by_id=getattr(actor, "id", actor),
        people=people_rules.version_people(people))
    db.session.add(version)
    db.session.flush()
    for name in MIRRORED:
        setattr(organisation, name, getattr(version, name))
    organisation.current_version_id = version.id
    organisation.current_version = version
    organisation.refresh_keys()
    db.session.flush()
    audit.record(organisation, "version", actor=actor, after=f"v{number}",
                 before=f"v{previous.number}" if previous is not None else None,
                 data={"version": number, "source": VersionSource(source).value,
                       "change_request_id": version.change_request_id,
                       **differences(previous, facts, people)})
    if previous is not None:
        signals.organisation_changed.send(organisation, version=version)
    return version


def proposal_of(version):
    """A version's facts and people in the form a change request stores."""
    return {"facts": version.facts(), "people": [p.as_dict() for p in version.people]}


def differences(previous, facts, people):
    """{"changes": {field: [old, new]}, "people_removed": [...], "people_added": [...]}
    between a version and proposed facts and people (identity numbers masked)."""
    before = previous.facts() if previous is not None else {}
    changes = {field: [before.get(field), facts.get(field)] for field in FACT_FIELDS
               if before.get(field) != facts.get(field)}
    old_people = [p.as_dict() for p in previous.people] if previous is not None else []
    removed = [people_rules.label(p) for p in old_people
               if not any(people_rules.same_person(p, q) for q in people)]
    added = [people_rules.label(p) for p in people
             if not any(people_rules.same_person(p, q) for q in old_people)]
    return {"changes": changes, "people_removed": removed, "people_added": added}


def versions_of(organisation):
    return db.session.execute(select(OrganisationVersion).where(
        OrganisationVersion.organisation_id == organisation.id)
        .order_by(OrganisationVersion.number.desc())).scalars().all()


def organisation_of_version(version_id):
    return db.session.execute(select(Organisation).join(
        OrganisationVersion, OrganisationVersion.organisation_id == Organisation.id)
        .where(OrganisationVersion.id == version_id)).scalar_one_or_none()
