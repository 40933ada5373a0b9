"""The parties of a technology contract as the document names them.

One function: a contract pins the versions of both parties' regulated facts at signing
(accounts: versions approved by an auditor), and the document and its verification page
name those, never the facts as they stand later (a firm renamed, or its bank account
changed, after it signed). A contract signed before versions existed pins none: it is
named by the organisations' current facts."""
from dataclasses import dataclass


@dataclass(frozen=True)
class PartyFacts:
    name: str
    uscc: str
    legal_representative: str
    address: str
    phone: str
    bank_account: str | None


def _facts(source):
    """``source``: a pinned ``OrganisationVersion`` or, without one, the organisation."""
    return PartyFacts(name=source.name, uscc=source.uscc,
                      legal_representative=source.legal_representative,
                      address=source.registered_address,
                      phone=source.contact_phone,
                      bank_account=source.bank_account)


def contract_parties(contract):
    """``(buyer, seller)`` facts of the contract as signed: the firm and the agency."""
    order = contract.order
    return (_facts(contract.buyer_version or order.firm),
            _facts(contract.seller_version or order.agency.organisation))
