"""The integrity checks of a claim that look for what an investigator would: related
parties, split orders, duplicate invoices, prices far above the list, barred parties.

Each compares the facts both parties' versions held when the contract was signed
(pinned) and the ones they hold now, and returns (result, evidence): which field or
person, both values and both normalised forms, so the auditor judges the result rather
than trusting it. Every threshold is the contract's own rule version (the one the
signature applied), never the programme's current rules."""
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts import identity_numbers
from marketplace.accounts.models import Organisation
from marketplace.accounts.version_models import VersionPerson
from marketplace.claims.checks import check
from marketplace.claims.models import CheckResult, Claim
from marketplace.extensions import db
from marketplace.integrity import barred, facts, invoices, related
from marketplace.orders.models import TechContract
from marketplace.vouchers.models import ProgrammeRuleVersion

CATEGORY_SAMPLE = 2000      # the most recent contracts of a category the range is read from


def pinned_rules(contract):
    """The rule version the contract was signed under (its voucher's, for a contract
    older than the column)."""
    rule_id = contract.rule_version_id or contract.voucher.rule_version_id
    return db.session.get(ProgrammeRuleVersion, rule_id)


@check("related_party")
def related_party(claim):
    parties = facts.contract_parties(claim.contract)
    firm, agency = parties["firm"], parties["agency"]
    matches = related.compare_versions([
        ("pinned", firm["pinned"], agency["pinned"]),
        ("current", firm["current"], agency["current"]),
        ("pinned_firm_current_agency", firm["pinned"], agency["current"]),
        ("current_firm_pinned_agency", firm["current"], agency["pinned"]),
    ])
    strong = [m for m in matches if m["strength"] == related.STRONG]
    evidence = {
        "shared_fields": sorted({m["kind"] for m in strong}),
        "matches": matches,
        "firm": {"pinned": firm["pinned"].summary() if firm["pinned"] else None,
                 "current": firm["current"].summary()},
        "agency": {"pinned": agency["pinned"].summary() if agency["pinned"] else None,
                   "current": agency["current"].summary()},
    }
    if strong:
        return CheckResult.BLOCK, evidence
    return (CheckResult.FLAG if matches else CheckResult.PASS), evidence


def _seller_people(version_ids):
    """{version id: {identity hash: (name, role, masked)}} of the people with a number."""
    found = {}
    if not version_ids:
        return found
    for row in db.session.execute(select(
            VersionPerson.version_id, VersionPerson.id_number_hash, VersionPerson.name,
            VersionPerson.role, VersionPerson.id_number_masked).where(
            VersionPerson.version_id.in_(sorted(version_ids)),
            VersionPerson.id_number_hash.is_not(None))).all():
        found.setdefault(row.version_id, {})[row.id_number_hash] = (
            row.name, row.role.value, row.id_number_masked)
    return found


def _seller_group(contract, candidates):
    """The sellers that count as this contract's seller: it, and every seller sharing a
    person (by identity number) with one in the group, on pinned or current facts.
    Returns (seller ids, links as evidence)."""
    sellers = {c.seller_id for c in candidates} | {contract.seller_id}
    if len(sellers) == 1:
        return sellers, []
    current = dict(db.session.execute(select(Organisation.id, Organisation.current_version_id)
                                      .where(Organisation.id.in_(sorted(sellers)))).all())
    versions_of = {seller: {current.get(seller)} - {None} for seller in sellers}
    for c in candidates + [contract]:
        if c.seller_version_id:
            versions_of[c.seller_id].add(c.seller_version_id)
    people = _seller_people({v for vs in versions_of.values() for v in vs})
    hashes = {seller: {} for seller in sellers}
    for seller, version_ids in versions_of.items():
        for version_id in version_ids:
            hashes[seller].update(people.get(version_id, {}))
    # each seller is named by its own credit code's hash too, so a seller holding shares
    # in another (its shareholder by that code) counts as one seller with it
    for seller, name, code in db.session.execute(select(
            Organisation.id, Organisation.name, Organisation.uscc).where(
            Organisation.id.in_(sorted(sellers)))).all():
        hashes[seller][identity_numbers.number_hash(code)] = (name, "organisation", code)
    group, links, frontier = {contract.seller_id}, [], [contract.seller_id]
    while frontier:
        one = frontier.pop()
        for other in sellers - group:
            shared = set(hashes[one]) & set(hashes[other])
            if shared:
                group.add(other)
                frontier.append(other)
                for number_hash in sorted(shared):
                    name, role, masked = hashes[one][number_hash]
                    links.append({"sellers": [one, other], "person": name, "role": role,
                                  "other_role": hashes[other][number_hash][1],
                                  "id_number": masked})
    return group, links


@check("split_order")
def split_order(claim):
    contract = claim.contract
    rules = pinned_rules(contract)
    window = timedelta(days=rules.split_window_days)
    candidates = db.session.execute(select(TechContract).where(
        TechContract.buyer_id == contract.buyer_id, TechContract.is_cancelled.is_(False),
        TechContract.voucher_part_fen > 0, TechContract.id != contract.id,
        TechContract.signed_on.between(contract.signed_on - window,
                                       contract.signed_on + window))
        .order_by(TechContract.signed_on, TechContract.id)).scalars().all()
    group, links = _seller_group(contract, candidates)
    counted = sorted([c for c in candidates if c.seller_id in group] + [contract],
                     key=lambda c: (c.signed_on, c.id))
    claims = dict(db.session.execute(select(Claim.contract_id, Claim.id).where(
        Claim.contract_id.in_([c.id for c in counted]))).all())
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(sorted(group)))).all())
    total = sum(c.voucher_part_fen for c in counted)
    split = len(counted) > 1 and total > rules.single_order_max_fen
    evidence = {"contracts": [{"number": c.number, "signed_on": c.signed_on.isoformat(),
                               "voucher_part_fen": c.voucher_part_fen,
                               "seller": names.get(c.seller_id), "claim_id": claims.get(c.id)}
                              for c in counted],
                "sellers_counted_as_one": links,
                "total_voucher_part_fen": total,
                "single_order_max_fen": rules.single_order_max_fen,
                "window_days": rules.split_window_days, "rule_version": rules.version}
    if split:
        _recheck_earlier_claims(claim, [claims[c.id] for c in counted if c.id in claims])
    return (CheckResult.FLAG if split else CheckResult.PASS), evidence


def _recheck_earlier_claims(claim, claim_ids):
    """The other open claims of the split are flagged too: each is checked again (once:
    one already flagged as a split is left)."""
    from marketplace.claims import rechecks

    others = [i for i in claim_ids if i != claim.id]
    if not others:
        return
    open_ids = db.session.execute(select(Claim.id).where(
        Claim.id.in_(others), Claim.status.in_(rechecks.RECHECKABLE_STATUSES))
    ).scalars().all()
    rechecks.request([i for i in open_ids if rechecks.wants_split_recheck(i)],
                     "split_order", found_by_claim=claim.id)


@check("duplicate_invoice")
def duplicate_invoice(claim):
    delivery = claim.order.delivery
    if delivery is None:
        return CheckResult.BLOCK, {"reason": "no_delivery"}
    key = invoices.invoice_key(delivery.invoice_number)
    uses = invoices.uses_of(key, except_delivery_id=delivery.id,
                            except_contract_id=claim.contract_id)
    evidence = {"invoice_number": delivery.invoice_number, "normalised": key,
                "other_uses": uses,
                "other_orders": [u["order_id"] for u in uses if u["source"] == "delivery"]}
    return (CheckResult.BLOCK if uses else CheckResult.PASS), evidence


def _percentile(values, share):
    """The ``share`` (0..1) percentile of ``values`` by linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


@check("price")
def price(claim):
    contract = claim.contract
    rules = pinned_rules(contract)
    offering = claim.order.offering
    amount = contract.contract_amount_fen
    listed_top = offering.price_fen if offering.price_fen else offering.guide_max_fen
    listed = {"price_model": offering.price_model.value, "price_fen": offering.price_fen,
              "guide_min_fen": offering.guide_min_fen, "guide_max_fen": offering.guide_max_fen,
              "limit_fen": listed_top * rules.price_ratio_max_bp // 10000 if listed_top else None}
    above_list = listed_top is not None and amount * 10000 > listed_top * rules.price_ratio_max_bp
    amounts = db.session.execute(select(TechContract.contract_amount_fen).where(
        TechContract.field_code == contract.field_code, TechContract.is_cancelled.is_(False),
        TechContract.id != contract.id)
        .order_by(TechContract.signed_on.desc(), TechContract.id.desc())
        .limit(CATEGORY_SAMPLE)).scalars().all()
    category = {"code": contract.field_code, "contracts": len(amounts),
                "min_contracts": rules.category_min_contracts, "p90_fen": None,
                "limit_fen": None}
    above_category = False
    if len(amounts) >= rules.category_min_contracts:
        p90 = _percentile(amounts, 0.9)
        category.update(p90_fen=p90, limit_fen=p90 * rules.category_ratio_max_bp // 10000)
        above_category = amount * 10000 > p90 * rules.category_ratio_max_bp
    evidence = {"contract_amount_fen": amount, "listed": listed, "category": category,
                "above_list": above_list, "above_category": above_category,
                "price_ratio_max_bp": rules.price_ratio_max_bp,
                "category_ratio_max_bp": rules.category_ratio_max_bp,
                "rule_version": rules.version}
    return (CheckResult.FLAG if above_list or above_category else CheckResult.PASS), evidence


@check("integrity_list")
def integrity_list(claim):
    parties = facts.contract_parties(claim.contract)
    versions = {"firm_pinned": parties["firm"]["pinned_version"],
                "firm_current": parties["firm"]["current_version"],
                "agency_pinned": parties["agency"]["pinned_version"],
                "agency_current": parties["agency"]["current_version"]}
    found = barred.version_hits(versions, date.today())
    entries = {}
    for entry, where in found:
        kept = entries.setdefault(entry.id, barred.entry_evidence(entry, {"found_on": []}))
        kept["found_on"].append(where)
    evidence = {"entries": list(entries.values())}
    return (CheckResult.BLOCK if entries else CheckResult.PASS), evidence
