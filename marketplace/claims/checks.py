"""The automatic integrity checks of a claim (domain.md, Integrity rules). Each returns
(result, evidence); the evidence says which field matched and which contracts counted,
so the auditor can judge the result rather than trust it.

Every check is a lookup on indexed columns of the two parties and this contract's pair,
never a scan of all organisations: normalised keys (Organisation.*_key) are computed
when an organisation is saved."""
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.claims.models import CheckResult
from marketplace import funds
from marketplace.extensions import db
from marketplace.orders.models import Delivery, TechContract
from marketplace.vouchers.models import VoucherStatus

CHECKS = {}
RELATED_PARTY_KEYS = ("legal_representative_key", "registered_address_key",
                      "contact_phone_key", "bank_account_key")
SPLIT_WINDOW_DAYS = 90


def check(name):
    def register(func):
        CHECKS[name] = func
        return func
    return register


@check("related_party")
def related_party(claim):
    firm = db.session.get(Organisation, claim.firm_id)
    agency = db.session.get(Organisation, claim.agency_id)
    shared = [key[:-4] for key in RELATED_PARTY_KEYS
              if getattr(firm, key) and getattr(firm, key) == getattr(agency, key)]
    evidence = {"shared_fields": shared,
                "firm": {key[:-4]: getattr(firm, key[:-4]) for key in RELATED_PARTY_KEYS},
                "agency": {key[:-4]: getattr(agency, key[:-4]) for key in RELATED_PARTY_KEYS}}
    return (CheckResult.BLOCK if shared else CheckResult.PASS), evidence


@check("split_order")
def split_order(claim):
    contract = claim.contract
    rules = contract.voucher.programme.current_rules
    window_start = contract.signed_on - timedelta(days=SPLIT_WINDOW_DAYS)
    window_end = contract.signed_on + timedelta(days=SPLIT_WINDOW_DAYS)
    related = db.session.execute(
        select(TechContract.number, TechContract.signed_on, TechContract.voucher_part_fen)
        .where(TechContract.buyer_id == contract.buyer_id,
               TechContract.seller_id == contract.seller_id,
               TechContract.is_cancelled.is_(False),
               TechContract.voucher_part_fen > 0,
               TechContract.signed_on.between(window_start, window_end))
        .order_by(TechContract.signed_on, TechContract.id)).all()
    total = sum(row.voucher_part_fen for row in related)
    evidence = {"contracts": [{"number": r.number, "signed_on": r.signed_on.isoformat(),
                               "voucher_part_fen": r.voucher_part_fen} for r in related],
                "total_voucher_part_fen": total,
                "single_order_max_fen": rules.single_order_max_fen,
                "window_days": SPLIT_WINDOW_DAYS}
    split = len(related) > 1 and total > rules.single_order_max_fen
    return (CheckResult.FLAG if split else CheckResult.PASS), evidence


@check("duplicate_invoice")
def duplicate_invoice(claim):
    delivery = claim.order.delivery
    if delivery is None:
        return CheckResult.BLOCK, {"reason": "no_delivery"}
    others = db.session.execute(
        select(Delivery.order_id).where(Delivery.invoice_number_key ==
                                        delivery.invoice_number_key,
                                        Delivery.id != delivery.id)).scalars().all()
    evidence = {"invoice_number": delivery.invoice_number, "other_orders": others}
    return (CheckResult.BLOCK if others else CheckResult.PASS), evidence


@check("agency_status")
def agency_status(claim):
    status = db.session.execute(select(AgencyProfile.status).where(
        AgencyProfile.organisation_id == claim.agency_id)).scalar_one()
    ok = status == AgencyStatus.ADMITTED
    return (CheckResult.PASS if ok else CheckResult.BLOCK), {"agency_status": status.value}


@check("voucher_and_reservation")
def voucher_and_reservation(claim):
    voucher = claim.contract.voucher
    reserved = funds.figures.voucher_reserved_fen(voucher.id)
    evidence = {"voucher_status": voucher.status.value,
                "expires_on": voucher.expires_on.isoformat(),
                "reserved_fen": reserved, "claim_fen": claim.amount_fen,
                "contract_cancelled": claim.contract.is_cancelled}
    ok = (voucher.status in (VoucherStatus.ACTIVE, VoucherStatus.EXPIRED)
          and reserved >= claim.amount_fen and not claim.contract.is_cancelled)
    # An expired voucher's reservations stand: expiry returns only the available part.
    return (CheckResult.PASS if ok else CheckResult.BLOCK), evidence


@check("copay_received")
def copay_received(claim):
    contract = claim.contract
    position = funds.copay.position(claim.order_id)
    evidence = {"copay_fen": contract.copay_fen, "received_fen": position.received,
                "refunded_fen": position.refunded}
    ok = position.received >= contract.copay_fen and position.refunded == 0
    return (CheckResult.PASS if ok else CheckResult.BLOCK), evidence


def related_organisations(organisation, limit=20):
    """Other organisations sharing any normalised key with ``organisation`` (for the
    auditor's view): one indexed lookup per key."""
    found = {}
    for key in RELATED_PARTY_KEYS:
        value = getattr(organisation, key)
        if not value:
            continue
        column = getattr(Organisation, key)
        for other in db.session.execute(select(Organisation).where(
                column == value, Organisation.id != organisation.id).limit(limit)).scalars():
            found.setdefault(other.id, (other, []))[1].append(key[:-4])
    return list(found.values())


def count_checks(claim_id, round_):
    from marketplace.claims.models import ClaimCheck

    return db.session.execute(select(func.count(ClaimCheck.id)).where(
        ClaimCheck.claim_id == claim_id, ClaimCheck.round == round_)).scalar_one()
