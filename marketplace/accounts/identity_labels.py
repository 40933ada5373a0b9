"""Names of the regulated facts, people's roles and titles, tiers and version sources, in
the reader's language, for the pages and the claim evidence (``identity_names()`` in every
template)."""
from flask_babel import lazy_gettext as _l

from marketplace.accounts.people import ROLE_NAMES, TITLE_NAMES

FACT_NAMES = {
    "name": _l("Name"),
    "uscc": _l("Unified social credit code"),
    "registered_address": _l("Registered address"),
    "district_id": _l("District"),
    "contact_phone": _l("Contact phone"),
    "bank_name": _l("Bank and branch (开户行)"),
    "bank_cnaps_code": _l("CNAPS code (联行号)"),
    "bank_account": _l("Bank account"),
    "firm_tier": _l("Firm tier"),
    "legal_representative": _l("Legal representative"),
}
TIER_NAMES = {
    "tech_sme": _l("Tech SME"),
    "high_tech": _l("High-tech enterprise"),
    "benchmark_high_tech": _l("Benchmark high-tech enterprise"),
}
SOURCE_NAMES = {
    "registration": _l("registration"),
    "migration": _l("facts kept before versions"),
    "change_request": _l("approved change request"),
    "registry_import": _l("business-registry import"),
}
MATCH_NAMES = {
    "person": _l("The same person"),
    "holding": _l("One holds shares in the other"),
    "registered_address": _l("Registered address"),
    "contact_phone": _l("Contact phone"),
    "bank_account": _l("Bank account"),
}
STATUS_NAMES = {
    "pending": _l("waiting for the auditor"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
}
FOUND_ON = {
    "pinned": _l("facts at signing"),
    "current": _l("current facts"),
    "pinned_firm_current_agency": _l("the firm at signing, the agency now"),
    "current_firm_pinned_agency": _l("the firm now, the agency at signing"),
    "firm_pinned": _l("the firm at signing"), "firm_current": _l("the firm now"),
    "agency_pinned": _l("the agency at signing"), "agency_current": _l("the agency now"),
}


# a seller counted as one with another because it holds shares in it (the split check)
ORGANISATION_ITSELF = _l("The organisation itself")


def names():
    """Every name above as plain strings of the current language."""
    def plain(mapping):
        return {key: str(value) for key, value in mapping.items()}
    return {"facts": plain(FACT_NAMES),
            "roles": plain({**ROLE_NAMES, "organisation": ORGANISATION_ITSELF}),
            "titles": plain(TITLE_NAMES), "tiers": plain(TIER_NAMES),
            "sources": plain(SOURCE_NAMES), "matches": plain(MATCH_NAMES),
            "found_on": plain(FOUND_ON), "statuses": plain(STATUS_NAMES)}
