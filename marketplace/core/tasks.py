"""Core Celery tasks: the outbox consumer, its sweep, the audit sealer and the nightly
housekeeping hook."""
import logging

from celery import shared_task

from marketplace.core import outbox

log = logging.getLogger(__name__)

NIGHTLY_JOBS = []


def nightly_job(func):
    """Register a function run by the nightly beat task (expiry, reminders...)."""
    NIGHTLY_JOBS.append(func)
    return func


@shared_task(name="core.process_outbox_message", bind=True, max_retries=8,
             acks_late=True)
def process_outbox_message(self, message_id):
    from marketplace.extensions import db

    try:
        return outbox.process_message(message_id)
    except Exception as exc:
        db.session.rollback()
        outbox.record_failure(message_id, exc)
        log.exception("outbox message %s failed", message_id)
        if self.request.is_eager:
            return False
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 300))


# Acknowledged on receipt: a drain lost with its worker is not run again (its messages wait
# for the next writer's drain or the sweep), so a message that kills workers cannot bring
# the same drain back to it.
@shared_task(name="core.drain_outbox", acks_late=False)
def drain_outbox():
    from marketplace.core import outbox_drain

    return outbox_drain.drain(process_outbox_message, drain_outbox)


@shared_task(name="core.sweep_outbox")
def sweep_outbox():
    return outbox.sweep()


@shared_task(name="core.nightly")
def nightly():
    from marketplace.extensions import db

    # the checkpoint last: it anchors the chain's end after the night's own records
    for job in [*NIGHTLY_JOBS, checkpoint_audit_chain]:
        try:
            job()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("nightly job %s failed", job.__name__)


def checkpoint_audit_chain():
    """The audit chain's end is anchored at least daily (marketplace/core/audit.py), once
    what the night wrote is sealed."""
    from marketplace.core.audit import write_checkpoint
    from marketplace.core.audit_seal import seal

    seal()
    return write_checkpoint()


@outbox.handler("audit.seal")
def seal_after_commit():
    """A writer committed audit records: chain them now, in the outbox message's own
    transaction (a bounded run; whatever is left waits for the next ask or the beat)."""
    from marketplace.core.audit_seal import seal

    seal(commit=False, max_batches=4)


@shared_task(name="core.seal_audit_chain")
def seal_audit_chain():
    """The beat's periodic seal: what no ask after a commit sealed (an ask skipped in a
    burst, a writer that was in flight when the last run looked)."""
    from marketplace.core.audit_seal import seal

    return seal().sealed


@nightly_job
def forget_old_idempotency_keys():
    """Keys answer replays for 7 days (Stripe keeps its own for 24 hours)."""
    from datetime import timedelta

    from marketplace.core.idempotency import purge
    from marketplace.core.timeutil import now_utc

    return purge(now_utc() - timedelta(days=7))
