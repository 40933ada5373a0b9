"""The automatic checks of a claim (domain.md, Integrity rules). Each returns
(result, evidence); the evidence says what was compared, so the auditor can judge the
result rather than trust it. The checks of the parties' integrity (related party, split
order, duplicate invoice, price, integrity list) are in ``integrity_checks``, registered
here by its import at the end of this module.

Every check is a lookup on indexed columns, never a scan of all organisations."""
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace import funds
from marketplace.claims.models import CheckResult
from marketplace.extensions import db
from marketplace.vouchers.models import VoucherStatus

CHECKS = {}
RELATED_PARTY_KEYS = ("legal_representative_key", "registered_address_key",
                      "contact_phone_key", "bank_account_key")


def check(name):
    def register(func):
        CHECKS[name] = func
        return func
    return register


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


from marketplace.claims import integrity_checks  # noqa: E402,F401  (registers its checks)
