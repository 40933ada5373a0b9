"""The reward list as a pure function of the year's registered contracts and the rules
(testable without a database).

Each contract counts with its net technical transaction amount (the original with its
amendments and cancellations). A contract earns nothing when it was cancelled, when its
amendments bring it to zero, or (unless the rules say otherwise) when its parties are
related. Otherwise, per role: the seller and the buyer get ``per_contract_fen`` plus
``rate_bp`` of the net technical amount, rounded down to the fen; the broker agency the
same when the contract was brokered; the registration office of the seller's district
``office_per_registration_fen`` for each registration (original or amendment) in the year,
also of a contract registered in an earlier year (which earns its parties nothing again).
Each beneficiary's total in a role is then capped (``*_cap_fen``; 0 means no cap)."""
from dataclasses import dataclass, field

from marketplace.core import normalise
from marketplace.core.money import share_of
from marketplace.incentives.models import ExclusionReason, RewardRole


@dataclass(frozen=True)
class Party:
    """Who a reward goes to: an organisation on the platform (``organisation_id``), else
    one known by its name only; a registration office by its district."""
    name: str
    organisation_id: int | None = None
    district_id: int | None = None

    @property
    def key(self):
        if self.organisation_id is not None:
            return ("organisation", self.organisation_id)
        if self.district_id is not None:
            return ("district", self.district_id)
        # normalised: one seller spelt with full- or half-width brackets or stray spaces
        # in the registry's rows is one beneficiary under one cap
        return ("name", normalise.name_key(self.name) or self.name)


@dataclass(frozen=True)
class Contract:
    number: str
    technical_fen: int            # net of amendments and cancellations
    seller: Party
    buyer: Party
    registrations: int = 1        # rows of the contract registered in the year
    cancelled: bool = False
    broker: Party | None = None
    office: Party | None = None
    related_fields: tuple = ()    # the facts the parties share (related-party check)
    # registered in an earlier year, with an amendment or cancellation in this one: only
    # this year's registrations of it count (the office's); its parties were rewarded in
    # its own year
    earlier_year: bool = False


@dataclass
class Line:
    role: RewardRole
    party: Party
    contracts: int = 0
    registrations: int = 0
    basis_fen: int = 0
    computed_fen: int = 0
    cap_fen: int | None = None
    items: list = field(default_factory=list)

    @property
    def amount_fen(self):
        return self.computed_fen if self.cap_fen is None else min(self.computed_fen,
                                                                  self.cap_fen)


@dataclass(frozen=True)
class Exclusion:
    contract: Contract
    reason: ExclusionReason


def exclusion_of(contract, rules):
    if contract.cancelled:
        return ExclusionReason.CANCELLED
    if contract.technical_fen <= 0:
        return ExclusionReason.AMENDED_TO_ZERO
    if contract.related_fields and rules.excludes_related_parties:
        return ExclusionReason.RELATED_PARTY
    return None


def _role_terms(rules, role):
    prefix = {RewardRole.SELLER: "seller", RewardRole.BUYER: "buyer",
              RewardRole.BROKER: "broker"}[role]
    return (getattr(rules, f"{prefix}_per_contract_fen"), getattr(rules, f"{prefix}_rate_bp"),
            getattr(rules, f"{prefix}_cap_fen"))


def compute(contracts, rules):
    """``(lines, exclusions)``: lines earning something, by role and beneficiary, in the
    order the contracts came; the excluded contracts with their reason."""
    lines, exclusions = {}, []

    def add(role, party, amount, contract, registrations=1):
        if amount <= 0:
            return
        line = lines.get((role, party.key))
        if line is None:
            cap = rules.office_cap_fen if role == RewardRole.REGISTRATION_OFFICE \
                else _role_terms(rules, role)[2]
            line = lines[(role, party.key)] = Line(role, party, cap_fen=cap or None)
        line.contracts += 1
        line.registrations += registrations
        line.basis_fen += contract.technical_fen
        line.computed_fen += amount
        line.items.append([contract.number, contract.technical_fen, amount])

    for contract in contracts:
        reason = exclusion_of(contract, rules)
        if reason is not None:
            exclusions.append(Exclusion(contract, reason))
            continue
        for role, party in ((RewardRole.SELLER, contract.seller),
                            (RewardRole.BUYER, contract.buyer),
                            (RewardRole.BROKER, contract.broker)):
            if party is None or contract.earlier_year:
                continue
            if role == RewardRole.BROKER and party.key in (contract.seller.key,
                                                           contract.buyer.key):
                # a broker stands between the parties: one of them "brokering" its own
                # contract would earn the broker's reward on top of its own
                continue
            per_contract, rate_bp, _cap = _role_terms(rules, role)
            add(role, party, per_contract + share_of(contract.technical_fen, rate_bp),
                contract)
        if contract.office is not None:
            add(RewardRole.REGISTRATION_OFFICE, contract.office,
                rules.office_per_registration_fen * contract.registrations, contract,
                registrations=contract.registrations)
    return list(lines.values()), exclusions
