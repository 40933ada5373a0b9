"""Registering technology contracts. Every function flushes and never commits.

A registration is never edited: an amendment or a cancellation is a further row of the same
contract number carrying the signed change, so the year's turnover stays one SUM. A rejected
registration stays as history; its number may be registered again.

An original is inserted with ON CONFLICT DO NOTHING on the index of live numbers, so two
registrations of one number at once end in one row and one clear refusal. A single
registration never waits for an import (a contract is signed with its voucher locked): an
import that meets a number registered after its look-up starts its look-up and COPY again
(turnover.imports), so the number stays registered once.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, union_all

from marketplace.core import audit
from marketplace.core.rows import as_inserted, insert_on_conflict_do_nothing
from marketplace.core.errors import DomainError
from marketplace.core.normalise import nfkc
from marketplace.extensions import db
from marketplace.turnover.models import (LIVE_SQL, ContractRegistration, RegistrationKind,
                                         RegistrationSource, RegistrationStatus)


class ContractAlreadyRegistered(DomainError):
    code = "contract_already_registered"
    status = 409
    default_message = _l("This contract number is already registered.")


class ContractNotRegistered(DomainError):
    code = "contract_not_registered"
    status = 404
    default_message = _l("No registration exists for this contract number.")


class RegistrationAmountsInvalid(DomainError):
    code = "registration_amounts_invalid"
    status = 422
    default_message = _l("The technical transaction amount must be between zero and the "
                         "contract amount.")


def register_original(*, contract_number, contract_type, contract_amount_fen,
                      technical_amount_fen, buyer_name, seller_name, seller_in_city,
                      field_code, signed_on, source, registered_on=None, buyer_org_id=None,
                      buyer_district_id=None, seller_org_id=None, seller_district_id=None,
                      voucher_funded=False, tech_contract_id=None, broker_user_id=None,
                      actor=None, note=None):
    """Register a contract for the first time. Manual registrations wait for an auditor;
    the others count at once."""
    if not 0 <= technical_amount_fen <= contract_amount_fen:
        raise RegistrationAmountsInvalid()
    # ２０２６… typed in full width is the same number: stored plain, so it is found
    contract_number = nfkc(contract_number)
    registered_on = registered_on or date.today()
    registration = _insert_unless_live(dict(
        contract_number=contract_number, sequence=0, kind=RegistrationKind.ORIGINAL,
        source=source, status=_initial_status(source), contract_type=contract_type,
        contract_amount_fen=contract_amount_fen, technical_amount_fen=technical_amount_fen,
        buyer_name=buyer_name, buyer_org_id=buyer_org_id, buyer_district_id=buyer_district_id,
        seller_name=seller_name, seller_org_id=seller_org_id,
        seller_district_id=seller_district_id, seller_in_city=seller_in_city,
        field_code=field_code, signed_on=signed_on, registered_on=registered_on,
        registered_year=registered_on.year, registered_month=registered_on.month,
        voucher_funded=voucher_funded, tech_contract_id=tech_contract_id,
        broker_user_id=broker_user_id, registered_by_id=_actor_id(actor), note=note))
    if registration is None:
        raise ContractAlreadyRegistered(details={"contract_number": contract_number})
    audit.record(registration, "register", actor=actor, after=registration.status,
                 data={"contract_number": contract_number, "source": source.value,
                       "technical_amount_fen": technical_amount_fen})
    return registration


def register_platform_contract(contract, actor=None):
    """Register a contract signed through an order (the seller's location decides the city)."""
    seller = contract.order.agency.organisation
    buyer = contract.order.firm
    return register_original(
        contract_number=contract.number, contract_type=contract.contract_type,
        contract_amount_fen=contract.contract_amount_fen,
        technical_amount_fen=contract.technical_amount_fen,
        buyer_name=buyer.name, buyer_org_id=buyer.id, buyer_district_id=buyer.district_id,
        seller_name=seller.name, seller_org_id=seller.id,
        seller_district_id=contract.seller_district_id,
        seller_in_city=contract.seller_in_city, field_code=contract.field_code,
        signed_on=contract.signed_on, registered_on=contract.signed_on,
        source=RegistrationSource.PLATFORM, voucher_funded=contract.voucher_part_fen > 0,
        tech_contract_id=contract.id, actor=actor)


def register_adjustment(contract_number, *, kind, contract_delta_fen, technical_delta_fen,
                        source, registered_on=None, actor=None, note=None):
    """Register an amendment (signed change) or a cancellation (deltas are computed: the
    negative of what the contract still counts)."""
    original = _original(contract_number)
    remaining_contract, remaining_technical = remaining_amounts(original.id)
    if kind == RegistrationKind.CANCELLATION:
        contract_delta_fen, technical_delta_fen = -remaining_contract, -remaining_technical
    elif kind != RegistrationKind.AMENDMENT:
        raise ValueError(f"not an adjustment: {kind}")
    new_contract = remaining_contract + contract_delta_fen
    new_technical = remaining_technical + technical_delta_fen
    if not 0 <= new_technical <= new_contract:
        raise RegistrationAmountsInvalid()
    registered_on = registered_on or date.today()
    registration = ContractRegistration(
        contract_number=contract_number, sequence=_next_sequence(contract_number), kind=kind,
        original_id=original.id, source=source, status=_initial_status(source),
        contract_type=original.contract_type, contract_amount_fen=contract_delta_fen,
        technical_amount_fen=technical_delta_fen, buyer_name=original.buyer_name,
        buyer_org_id=original.buyer_org_id, buyer_district_id=original.buyer_district_id,
        seller_name=original.seller_name, seller_org_id=original.seller_org_id,
        seller_district_id=original.seller_district_id,
        seller_in_city=original.seller_in_city, field_code=original.field_code,
        signed_on=original.signed_on, registered_on=registered_on,
        registered_year=registered_on.year, registered_month=registered_on.month,
        voucher_funded=original.voucher_funded, broker_user_id=original.broker_user_id,
        registered_by_id=_actor_id(actor), note=note)
    db.session.add(registration)
    db.session.flush()
    audit.record(registration, kind.value, actor=actor, after=registration.status,
                 data={"contract_number": contract_number,
                       "technical_delta_fen": technical_delta_fen})
    return registration


def cancel_platform_contract(contract, actor=None):
    """An order cancelled after signing takes its contract out of the turnover."""
    if _exists(contract.number):
        return register_adjustment(contract.number, kind=RegistrationKind.CANCELLATION,
                                   contract_delta_fen=0, technical_delta_fen=0,
                                   source=RegistrationSource.PLATFORM, actor=actor)
    return None


def remaining_amounts(original_id):
    """What a contract still counts: the confirmed original and confirmed adjustments, plus
    pending ones (so two pending cancellations cannot both be accepted)."""
    row = db.session.execute(
        select(func.coalesce(func.sum(ContractRegistration.contract_amount_fen), 0),
               func.coalesce(func.sum(ContractRegistration.technical_amount_fen), 0))
        .where((ContractRegistration.id == original_id)
               | (ContractRegistration.original_id == original_id))
        .where(ContractRegistration.status != RegistrationStatus.REJECTED)).one()
    return int(row[0]), int(row[1])


def _initial_status(source):
    return (RegistrationStatus.PENDING if source == RegistrationSource.MANUAL
            else RegistrationStatus.CONFIRMED)


def state_of_platform_contract(contract):
    """``(state, field_code)`` of a platform contract's registration, for the public
    verification page (marketplace/orders/verification.py asks through a signal)."""
    original = live_original_of(contract.number)
    if original is None:
        return "not_registered", contract.field_code
    if original.status.value == "pending":
        return "pending", original.field_code
    remaining_contract, _technical = remaining_amounts(original.id)
    return ("registered" if remaining_contract > 0 else "cancelled"), original.field_code


def live_original_of(contract_number, *, for_update=False):
    """The pending or confirmed original of a number (at most one), or None."""
    query = (select(ContractRegistration)
             .where(ContractRegistration.contract_number == contract_number,
                    ContractRegistration.sequence == 0, ContractRegistration.is_live()))
    if for_update:
        query = query.with_for_update(of=ContractRegistration)
    return db.session.scalar(query)


def rows_of_number(contract_number):
    """The ids of every registration of a number, rejected ones included: the live rows
    and the rejected rows are looked up apart, each through its own partial index."""
    row = ContractRegistration
    return union_all(
        select(row.id).where(row.contract_number == contract_number, row.is_live()),
        select(row.id).where(row.contract_number == contract_number, row.is_rejected()))


def _exists(contract_number):
    return live_original_of(contract_number) is not None


def _original(contract_number):
    original = live_original_of(contract_number, for_update=True)
    if original is None:
        raise ContractNotRegistered(details={"contract_number": contract_number})
    return original


def _next_sequence(contract_number):
    """After every sequence the number has used, rejected ones included, so the history
    reads in order."""
    return db.session.scalar(
        select(func.max(ContractRegistration.sequence))
        .where(ContractRegistration.id.in_(rows_of_number(contract_number)))) + 1


def _insert_unless_live(values):
    """INSERT … ON CONFLICT DO NOTHING on the live-number index, RETURNING the row: one
    statement checks and writes, and a registration of the same number still in flight on
    another connection is waited for (then found) rather than failing on the duplicate
    key. None when the number has a live original already."""
    statement, parameters = insert_on_conflict_do_nothing(
        ContractRegistration.__table__, values,
        target=f"(contract_number, sequence) WHERE {LIVE_SQL}", returning="id")
    new_id = db.session.execute(statement, parameters).scalar()
    if new_id is None:
        return None
    return as_inserted(ContractRegistration, parameters, id=new_id)



# --- the imports' lock (PostgreSQL; SQLite, for development, serialises writers itself) ---

REGISTRY_LOCK_KEY = 7_000_007   # one bigint key for the whole registry


def lock_registry_for_import():
    """Held to the end of the transaction: one import at a time. Single registrations do
    not take it (they must not wait for a long import); the import copes with a number
    registered meanwhile by trying again."""
    if _on_postgresql():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": REGISTRY_LOCK_KEY})


def _on_postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def _actor_id(actor):
    return actor if isinstance(actor, int) or actor is None else actor.id
