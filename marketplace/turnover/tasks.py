"""Outbox consumers of the contract registry: who hears of a registration made by hand,
of its decision, and the import of a big file by a worker."""
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.core import outbox
from marketplace.core.money import format_fen
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.notifications.services import active_staff, notify, notify_coalesced
from marketplace.turnover.models import (ContractRegistration, ImportStatus,
                                         RegistrationImportBatch)

# A queued file is imported inside an outbox task (hard limit 300 s). A batch still
# "running" an hour after it was queued lost its worker: the redelivered message finds it
# running and leaves it, so without this it would say "running" for ever and its
# importer could never tell whether to upload again.
ABANDONED_AFTER = timedelta(hours=1)
PENDING_QUEUE_LINK = "/contracts?status=pending"


def _params(row):
    return {"number": row.contract_number, "amount": format_fen(row.technical_amount_fen)}


@outbox.handler("turnover.registration_submitted")
def tell_auditors_of_registration(registration_id):
    row = db.session.get(ContractRegistration, registration_id)
    registrant = db.session.get(User, row.registered_by_id) if row.registered_by_id else None
    # registrations pile up before the year closes: each auditor gets one notice counting them
    for auditor in active_staff(Role.AUDITOR):
        if auditor.id != row.registered_by_id:
            notify_coalesced(auditor, "registration_to_review", link=PENDING_QUEUE_LINK,
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


@outbox.handler("turnover.import_queued", runs_long=True)
def run_queued_import(batch_id):
    from marketplace.turnover.imports.importer import run_batch

    run_batch(batch_id)


@nightly_job
def fail_abandoned_imports(now=None):
    """Record as failed the import batches whose worker died mid-way (nothing of them was
    committed but their progress count); returns how many."""
    from marketplace.turnover.imports.importer import discard_stored_file

    now = now or now_utc()
    abandoned = db.session.execute(select(RegistrationImportBatch).where(
        RegistrationImportBatch.status == ImportStatus.RUNNING,
        RegistrationImportBatch.created_dt < now - ABANDONED_AFTER)).scalars().all()
    for batch in abandoned:
        transition(batch, "fail", actor=batch.imported_by_id,
                   data={"error": "the worker stopped before the import finished"})
        batch.finished_dt = now
        discard_stored_file(batch)
    db.session.flush()
    return len(abandoned)
