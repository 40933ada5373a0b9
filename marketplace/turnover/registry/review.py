"""Registrations made by hand: a firm or an agency registers an off-platform contract (its
own organisation is one party), a party or a bureau reviewer registers an amendment or a
cancellation, and an auditor confirms or rejects each of them. Services flush and never
commit; the registrant hears of the decision through the outbox."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.turnover import permissions as perms
from marketplace.turnover.models import (ContractRegistration, RegistrationKind,
                                         RegistrationSource, RegistrationStatus)
from marketplace.turnover.registry import registration


class NotConfirmedYet(Conflict):
    code = "registration_not_confirmed"
    default_message = _l("Only a confirmed registration can be amended or cancelled.")


class FourEyes(PermissionDenied):
    code = "four_eyes"
    default_message = _l("An auditor cannot confirm or reject a registration they made "
                         "themselves.")


def register_by_hand(actor, *, party, counterparty, contract_number, contract_type,
                     contract_amount_fen, technical_amount_fen, seller_district_id,
                     seller_in_city, field_code, signed_on, registered_on=None,
                     voucher_funded=False, counterparty_district_id=None, note=None):
    """Register an off-platform contract of the actor's organisation (``party`` is
    "buyer" or "seller"): pending until an auditor confirms it."""
    if not perms.can_register_contracts(actor):
        raise PermissionDenied(details={"rule": perms.can_register_contracts.name})
    if party not in ("buyer", "seller"):
        raise ValidationFailed(details={"field": "party"})
    own = db.session.get(Organisation, actor.organisation_id)
    own_side = {"name": own.name, "org_id": own.id, "district_id": own.district_id}
    other_side = {"name": counterparty.strip(), "org_id": None,
                  "district_id": counterparty_district_id}
    buyer, seller = (own_side, other_side) if party == "buyer" else (other_side, own_side)
    try:
        created = registration.register_original(
            contract_number=contract_number.strip(), contract_type=contract_type,
            contract_amount_fen=contract_amount_fen, technical_amount_fen=technical_amount_fen,
            buyer_name=buyer["name"], buyer_org_id=buyer["org_id"],
            buyer_district_id=buyer["district_id"], seller_name=seller["name"],
            seller_org_id=seller["org_id"], seller_district_id=seller_district_id,
            seller_in_city=seller_in_city, field_code=field_code, signed_on=signed_on,
            registered_on=registered_on or date.today(), voucher_funded=voucher_funded,
            source=RegistrationSource.MANUAL, actor=actor, note=note)
    except registration.ContractAlreadyRegistered as error:
        error.details = {**error.details, "field": "contract_number"}
        raise
    except registration.RegistrationAmountsInvalid as error:
        error.details = {**error.details, "field": "technical_amount"}
        raise
    outbox.emit("turnover.registration_submitted", registration_id=created.id)
    return created


def register_adjustment_by_hand(actor, original, *, kind, contract_amount_fen=None,
                                technical_amount_fen=None, registered_on=None, note=None):
    """An amendment (the contract's new figures, stored as the signed change) or a
    cancellation of a confirmed registration, by a party or a bureau reviewer: pending
    until an auditor confirms it."""
    if not perms.can_adjust_registration(actor, original):
        raise PermissionDenied(details={"rule": perms.can_adjust_registration.name})
    if original.status != RegistrationStatus.CONFIRMED:
        raise NotConfirmedYet()
    kind = RegistrationKind(kind)
    contract_delta = technical_delta = 0
    remaining_contract, remaining_technical = registration.remaining_amounts(original.id)
    if kind == RegistrationKind.AMENDMENT:
        if contract_amount_fen is None or technical_amount_fen is None:
            raise ValidationFailed(details={"field": "contract_amount"})
        contract_delta = contract_amount_fen - remaining_contract
        technical_delta = technical_amount_fen - remaining_technical
        if contract_delta == 0 and technical_delta == 0:
            raise ValidationFailed(_l("The new figures are the ones the contract already "
                                      "counts."), details={"field": "contract_amount"})
    elif kind != RegistrationKind.CANCELLATION:
        raise ValidationFailed(details={"field": "kind"})
    elif remaining_contract == 0 and remaining_technical == 0:
        raise Conflict(_l("This contract no longer counts anything to cancel."),
                       code="nothing_to_cancel")
    try:
        created = registration.register_adjustment(
            original.contract_number, kind=kind, contract_delta_fen=contract_delta,
            technical_delta_fen=technical_delta, source=RegistrationSource.MANUAL,
            registered_on=registered_on or date.today(), actor=actor, note=note)
    except registration.RegistrationAmountsInvalid as error:
        error.details = {**error.details, "field": "technical_amount"}
        raise
    outbox.emit("turnover.registration_submitted", registration_id=created.id)
    return created


def lock_registration(registration_id):
    return db.session.execute(for_update(
        select(ContractRegistration).where(ContractRegistration.id == registration_id),
        of=ContractRegistration)).scalar_one()


def decide(registration_row, auditor, decision, reason=""):
    """Confirm or reject a pending registration (a reason is needed to reject)."""
    row = lock_registration(registration_row.id)
    if not perms.can_decide_registrations(auditor):
        raise PermissionDenied(details={"rule": perms.can_decide_registrations.name})
    if not perms.can_decide_registration(auditor, row):
        raise FourEyes()
    reason = (reason or "").strip()
    if decision not in ("confirm", "reject"):
        raise ValidationFailed(details={"field": "decision"})
    if decision == "reject" and not reason:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "reason"})
    transition(row, decision, actor=auditor, data={"reason": reason} if reason else None)
    row.decided_by_id = auditor.id
    row.decided_dt = now_utc()
    if decision == "reject":
        row.rejection_reason = reason
    db.session.flush()
    outbox.emit("turnover.registration_decided", registration_id=row.id)
    return row


def pending_query():
    """The registrations waiting for an auditor, the oldest first."""
    return (select(ContractRegistration)
            .where(ContractRegistration.status == RegistrationStatus.PENDING)
            .order_by(ContractRegistration.created_dt, ContractRegistration.id))


def history_of(original):
    """Every registration of the original's number in order: a rejected original (and a
    later, corrected one), then each amendment or cancellation."""
    return db.session.execute(
        select(ContractRegistration)
        .where(ContractRegistration.id.in_(
            registration.rows_of_number(original.contract_number)))
        .order_by(ContractRegistration.sequence, ContractRegistration.id)).scalars().all()


class FieldAlreadyConfirmed(Conflict):
    code = "field_already_confirmed"
    default_message = _l("This contract's technology field is already confirmed.")


def confirm_field(original, auditor, field_code):
    """An auditor confirms (or corrects) the technology field a platform contract was given
    by the migration from its service category: on every registration of the number and
    on the contract itself, so the breakdowns by field agree."""
    from marketplace.orders.models import TechContract
    from marketplace.technology_fields.services import require_field

    row = lock_registration(original.id)
    if not perms.can_confirm_fields(auditor):
        raise PermissionDenied(details={"rule": perms.can_confirm_fields.name})
    if not row.field_unconfirmed:
        raise FieldAlreadyConfirmed()
    require_field(field_code)
    before = row.field_code
    for each in db.session.execute(select(ContractRegistration).where(
            ContractRegistration.contract_number == row.contract_number,
            ContractRegistration.field_unconfirmed.is_(True))).scalars():
        each.field_code, each.field_unconfirmed = field_code, False
    contract = db.session.execute(select(TechContract).where(
        TechContract.number == row.contract_number)).scalar_one_or_none()
    if contract is not None:
        contract.field_code = field_code
    db.session.flush()
    audit.record(row, "confirm_field", actor=auditor, data={
        "contract_number": row.contract_number, "suggested": before, "confirmed": field_code})
    return row
