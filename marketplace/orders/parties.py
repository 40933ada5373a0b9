"""The parties of a technology contract as the document names them.

One function, so that when each contract pins the versions of its parties' regulated facts
at signing (accounts: versions approved by an auditor) the document reads those versions
here and nowhere else. Until then it reads the organisations' current facts."""
from dataclasses import dataclass


@dataclass(frozen=True)
class PartyFacts:
    name: str
    uscc: str
    legal_representative: str
    address: str
    phone: str
    bank_account: str | None


def _facts(organisation):
    return PartyFacts(name=organisation.name, uscc=organisation.uscc,
                      legal_representative=organisation.legal_representative,
                      address=organisation.registered_address,
                      phone=organisation.contact_phone,
                      bank_account=organisation.bank_account)


def contract_parties(contract):
    """``(buyer, seller)`` facts of the contract: the firm and the agency."""
    order = contract.order
    return _facts(order.firm), _facts(order.agency.organisation)
