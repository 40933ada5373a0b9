"""Outbox consumers of the contract registry: who hears of a registration made by hand,
of its decision, and the import of a big file by a worker."""
from marketplace.accounts.models import Role, User
from marketplace.core import outbox
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.notifications.services import active_staff, notify
from marketplace.turnover.models import ContractRegistration


def _params(row):
    return {"number": row.contract_number, "amount": format_fen(row.technical_amount_fen)}


@outbox.handler("turnover.registration_submitted")
def tell_auditors_of_registration(registration_id):
    row = db.session.get(ContractRegistration, registration_id)
    registrant = db.session.get(User, row.registered_by_id) if row.registered_by_id else None
    for auditor in active_staff(Role.AUDITOR):
        if auditor.id != row.registered_by_id:
            notify(auditor, "registration_to_review", link=f"/contracts/{row.id}",
                   registrant=registrant.name if registrant else "-", **_params(row))


@outbox.handler("turnover.registration_decided")
def tell_registrant_of_decision(registration_id):
    row = db.session.get(ContractRegistration, registration_id)
    if row.registered_by_id is None:
        return
    registrant = db.session.get(User, row.registered_by_id)
    decided = "registration_confirmed" if row.status.value == "confirmed" \
        else "registration_rejected"
    notify(registrant, decided, link=f"/contracts/{row.id}", reason=row.rejection_reason or "-",
           **_params(row))


@outbox.handler("turnover.import_queued")
def run_queued_import(batch_id):
    from marketplace.turnover.imports import run_batch

    run_batch(batch_id)
