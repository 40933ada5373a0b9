"""Whether two parties are related, compared as an investigator would: a person in both
(legal representative, officer or shareholder, the same identity number), one holding
shares in the other, or a shared registered address, contact phone or bank account, each
compared by its normalised key. Pure: it compares two snapshots of facts, whichever
versions they come from.

A person is the same person when both sides give an identity number and the keyed hashes
are equal. Two people of the same name whose numbers differ are two people; when one side
has no number, a shared name is only a lead for the auditor (``name_only``)."""
from dataclasses import dataclass, field

from marketplace.core import normalise

# strength of a match: "strong" blocks the claim, "name_only" flags it
STRONG, NAME_ONLY = "strong", "name_only"


@dataclass(frozen=True)
class PersonFact:
    role: str
    title: str | None
    name: str
    name_key: str
    id_hash: str | None
    masked: str | None
    share_bp: int | None
    id_kind: str | None = None


@dataclass(frozen=True)
class PartyFacts:
    """One organisation's facts as one version holds them."""
    organisation_id: int
    version_id: int | None
    version_number: int | None
    name: str
    uscc: str
    uscc_hash: str | None
    address: str
    address_key: str | None
    phone: str
    phone_key: str | None
    bank_account: str | None
    bank_key: str | None
    people: tuple = field(default_factory=tuple)

    def summary(self):
        """The facts as the auditor reads them (people with masked numbers)."""
        return {"version": self.version_number, "name": self.name,
                "registered_address": self.address, "contact_phone": self.phone,
                "bank_account": self.bank_account,
                "people": [{"role": p.role, "title": p.title, "name": p.name,
                            "id_number": p.masked, "share_bp": p.share_bp}
                           for p in self.people]}


def _person(p):
    return {"role": p.role, "title": p.title, "name": p.name, "id_number": p.masked,
            "share_bp": p.share_bp}


def compare(firm, agency):
    """The matches between two parties' facts: a list of dicts, each with ``kind``
    (person, holding, registered_address, contact_phone, bank_account), ``strength`` and
    both sides' values and normalised forms."""
    found = []
    for f in firm.people:
        for a in agency.people:
            if f.id_hash and a.id_hash:
                if f.id_hash == a.id_hash:
                    found.append({"kind": "person", "strength": STRONG,
                                  "firm": _person(f), "agency": _person(a),
                                  "normalised": {"identity_number": f.masked}})
            elif f.name_key and f.name_key == a.name_key:
                found.append({"kind": "person", "strength": NAME_ONLY,
                              "firm": _person(f), "agency": _person(a),
                              "normalised": {"name": f.name_key}})
    for holder, held, side in ((firm, agency, "firm"), (agency, firm, "agency")):
        for p in holder.people:
            if p.role == "shareholder" and p.id_hash and p.id_hash == held.uscc_hash:
                found.append({"kind": "holding", "strength": STRONG, "holder": side,
                              side: _person(p),
                              ("agency" if side == "firm" else "firm"): {"name": held.name,
                                                                         "uscc": held.uscc},
                              "normalised": {"uscc": held.uscc}})
    for kind, value, key in (("registered_address", "address", "address_key"),
                             ("contact_phone", "phone", "phone_key"),
                             ("bank_account", "bank_account", "bank_key")):
        firm_key, agency_key = getattr(firm, key), getattr(agency, key)
        if kind == "registered_address" and not normalise.same_place(firm.address,
                                                                     agency.address):
            continue        # one street and number in two cities are two places
        if firm_key and firm_key == agency_key:
            found.append({"kind": kind, "strength": STRONG,
                          "firm": {"value": getattr(firm, value)},
                          "agency": {"value": getattr(agency, value)},
                          "normalised": {"value": firm_key}})
    return found


def _identity(match):
    """What makes two matches the same finding, whichever versions showed it."""
    sides = tuple(sorted((side, tuple(sorted((k, str(v)) for k, v in values.items())))
                         for side, values in match.items()
                         if side in ("firm", "agency")))
    return match["kind"], match["strength"], sides


def compare_versions(pairs):
    """Matches over several (label, firm facts, agency facts): each finding once, with
    the labels of the pairs it was found in (``found_on``)."""
    merged = {}
    for label, firm, agency in pairs:
        if firm is None or agency is None:
            continue
        for match in compare(firm, agency):
            kept = merged.setdefault(_identity(match), {**match, "found_on": []})
            if label not in kept["found_on"]:
                kept["found_on"].append(label)
    order = {"person": 0, "holding": 1, "registered_address": 2, "contact_phone": 3,
             "bank_account": 4}
    return sorted(merged.values(), key=lambda m: (m["strength"] != STRONG,
                                                  order[m["kind"]]))


def shared_people(a, b):
    """The people two parties share by identity number (for counting sister agencies as
    one seller)."""
    hashes = {p.id_hash: p for p in a.people if p.id_hash}
    return [(hashes[p.id_hash], p) for p in b.people if p.id_hash in hashes]
