"""Background jobs: long work (a registry export, recording a disbursement batch as paid)
done by a worker while the page shows a progress bar, never a frozen form.

A view calls :func:`start` in its own transaction: the job row (``queued``) and an outbox
message ``jobs.run`` are written together, so the worker is only asked after the commit
that made the job visible. The worker (:func:`run`) marks the job ``running`` in a commit
of its own, then calls the kind's runner (registered with :func:`job_runner`) and commits
the runner's work together with ``succeeded`` and its result file, or rolls it all back
and records ``failed`` with a readable reason: a failed job leaves no half-state.

Progress must reach the page while the work's transaction is still open, so
:class:`JobContext` writes ``done``/``total`` through a separate short transaction on
its own connection (PostgreSQL). On SQLite (``make run``, tasks in-process) a second
writer would only meet "database is locked", and the job is over before the page loads
anyway, so intermediate progress is not written there.
"""
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, DomainError
from marketplace.core.job_models import ACTIVE, BackgroundJob, JobStatus
from marketplace.core.permissions import predicate
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

log = logging.getLogger(__name__)

TOPIC = "jobs.run"
PROGRESS_INTERVAL_SECONDS = 0.5   # at most two progress writes a second
KEEP_RESULTS_DAYS = 7
# A job runs in a task of its own with these limits (the outbox's tasks have 300 s, too
# short for a million-row workbook); a job still "running" after the hard limit and a
# margin was killed with its worker, and is recorded as failed (nothing was committed).
SOFT_LIMIT_SECONDS = 55 * 60
HARD_LIMIT_SECONDS = 60 * 60
STALE_AFTER = timedelta(seconds=HARD_LIMIT_SECONDS + 5 * 60)

_KINDS = {}


@dataclass(frozen=True)
class JobKind:
    kind: str
    run: object          # runner(job, context) -> JobResult | None
    title: object        # what is being done, for the page
    unit: object         # "%(done)s of %(total)s rows"
    back: object = None  # job -> (url, link text), where the user came from


@dataclass(frozen=True)
class JobResult:
    path: str
    name: str
    mimetype: str


class JobAlreadyRunning(Conflict):
    code = "job_already_running"
    default_message = _l("This work is already under way; wait for it to finish.")


def registered_kinds():
    return tuple(_KINDS.values())


def job_runner(kind, *, title, unit, back=None):
    """Register the runner of ``kind``: ``runner(job, context)`` does the work in the
    session's transaction (flushes, never commits), reports progress through
    ``context`` and returns a :class:`JobResult` for a file to download, or None."""
    def register(func):
        if kind in _KINDS:
            raise RuntimeError(f"job kind {kind!r} already has a runner")
        _KINDS[kind] = JobKind(kind, func, title, unit, back)
        return func
    return register


def kind_of(job):
    return _KINDS.get(job.kind)


def _subject(subject):
    return (type(subject).__name__, subject.id) if subject is not None else (None, None)


def active_job(kind, subject):
    """The queued or running job of ``kind`` on ``subject``, if any."""
    subject_type, subject_id = _subject(subject)
    return db.session.execute(select(BackgroundJob).where(
        BackgroundJob.kind == kind, BackgroundJob.subject_type == subject_type,
        BackgroundJob.subject_id == subject_id, BackgroundJob.status.in_(ACTIVE))
    ).scalars().first()


def latest_job(kind, subject):
    subject_type, subject_id = _subject(subject)
    return db.session.execute(select(BackgroundJob).where(
        BackgroundJob.kind == kind, BackgroundJob.subject_type == subject_type,
        BackgroundJob.subject_id == subject_id).order_by(BackgroundJob.id.desc()).limit(1)
    ).scalar_one_or_none()


def recent_jobs(user, limit=20):
    return db.session.execute(select(BackgroundJob).where(
        BackgroundJob.requested_by_id == user.id).order_by(BackgroundJob.id.desc())
        .limit(limit)).scalars().all()


def start(kind, actor, *, params=None, subject=None, total=None, locale=None):
    """Queue a job in the current transaction (flushes, never commits); the worker is
    asked after the commit. With a ``subject``, a second active job on it is refused
    (lock the subject's row first so that two requests cannot both pass the check)."""
    if kind not in _KINDS:
        raise RuntimeError(f"no runner registered for job kind {kind!r}")
    subject_type, subject_id = _subject(subject)
    if subject is not None and active_job(kind, subject) is not None:
        raise JobAlreadyRunning()
    job = BackgroundJob(kind=kind, requested_by_id=actor.id, status=JobStatus.QUEUED,
                        subject_type=subject_type, subject_id=subject_id, total=total,
                        params=json.dumps(params or {}, sort_keys=True, ensure_ascii=False),
                        locale=locale or str(get_locale() or "zh"))
    db.session.add(job)
    db.session.flush()
    audit.record(job, "queue", actor=actor, after=JobStatus.QUEUED,
                 data={"kind": kind, "params": params or {}})
    outbox.emit(TOPIC, job_id=job.id)
    return job


# --- the worker's side ------------------------------------------------------------------

@outbox.handler(TOPIC)
def _dispatch(job_id):
    # The job row is committed (the message was written with it), so handing the job to
    # a task of its own is safe here; a lost dispatch raises and the outbox retries, and
    # a job delivered twice runs once (only a queued job starts).
    run_job_task.delay(job_id)


@shared_task(name="core.run_job", acks_late=True, soft_time_limit=SOFT_LIMIT_SECONDS,
             time_limit=HARD_LIMIT_SECONDS)
def run_job_task(job_id):
    return run(job_id)


def job_dir(job_id):
    return os.path.join(current_app.config["UPLOAD_DIR"], "jobs", str(int(job_id)))


class JobContext:
    """What a runner reports through: the total, the count done, its output file."""

    def __init__(self, job):
        self.job_id = job.id
        self.total = job.total
        self.done = 0
        self._live = db.session.get_bind().dialect.name == "postgresql"
        self._last_write = 0.0

    def set_total(self, total):
        self.total = int(total)
        self.flush()

    def advance(self, count=1):
        self.done += count
        if time.monotonic() - self._last_write >= PROGRESS_INTERVAL_SECONDS:
            self.flush()

    def flush(self):
        """Write ``done``/``total`` now, in a short transaction of its own, so another
        connection sees them while the work's transaction is still open. The work's
        transaction never touches the job row before it finishes, so this cannot wait
        on it."""
        self._last_write = time.monotonic()
        if not self._live:
            return
        with db.engine.begin() as connection:
            connection.execute(update(BackgroundJob.__table__)
                               .where(BackgroundJob.__table__.c.id == self.job_id)
                               .values(done=self.done, total=self.total))

    def output_path(self, filename):
        folder = job_dir(self.job_id)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, filename)

    def discard_files(self):
        shutil.rmtree(job_dir(self.job_id), ignore_errors=True)


def run(job_id):
    """Run a queued job once. Returns its final status (None if it was not run now)."""
    job = db.session.execute(for_update(
        select(BackgroundJob).where(BackgroundJob.id == job_id))).scalar_one_or_none()
    if job is None:
        return None
    if job.status == JobStatus.RUNNING and job.started_dt < now_utc() - STALE_AFTER:
        _record_failure(job, _("The work was interrupted; nothing of it was saved. "
                               "Please start it again."))
        db.session.commit()
        return job.status
    if job.status != JobStatus.QUEUED:
        return None
    kind = kind_of(job)
    if kind is None:
        _record_failure(job, _("This kind of work is no longer known; nothing was done."))
        db.session.commit()
        return job.status
    transition(job, "start", actor=job.requested_by_id)
    job.started_dt = now_utc()
    db.session.commit()     # "running" is visible before the work begins

    context = JobContext(job)
    try:
        with force_locale(job.locale):
            result = kind.run(job, context)
            db.session.flush()
            _record_success(job, context, result)
            db.session.commit()   # the work and "succeeded" together
    except Exception as error:
        db.session.rollback()
        context.discard_files()
        if not isinstance(error, DomainError):
            log.exception("job %s (%s) failed", job_id, kind.kind)
        job = db.session.get(BackgroundJob, job_id)
        with force_locale(job.locale):
            _record_failure(job, failure_reason(error))
        db.session.commit()
    return job.status


def failure_reason(error):
    """What the page says when a job fails: a broken rule's own message, else a plain
    sentence (the details are in the log)."""
    if isinstance(error, DomainError):
        return str(error.message)
    if isinstance(error, SoftTimeLimitExceeded):
        return _("The work took too long and was stopped; nothing of it was saved. "
                 "Choose fewer rows (filters) and try again.")
    return _("The work stopped because of an unexpected error; nothing of it was saved. "
             "Please try again, or tell the administrator if it fails again.")


def _record_success(job, context, result):
    job.done = context.done
    job.total = context.total if context.total is not None else context.done
    if result is not None:
        job.result_path, job.result_name = result.path, result.name
        job.result_mimetype = result.mimetype
    transition(job, "finish", actor=job.requested_by_id,
               data={"done": job.done, "total": job.total, "file": job.result_name})
    job.finished_dt = now_utc()


def _record_failure(job, reason):
    transition(job, "fail", actor=job.requested_by_id, data={"reason": reason[:500]})
    job.error_message = reason
    job.finished_dt = now_utc()


# --- housekeeping -----------------------------------------------------------------------

@nightly_job
def clean_up_jobs():
    """Delete result files older than a week; record jobs killed with their worker as
    failed. Returns (files removed, jobs failed)."""
    now = now_utc()
    old = db.session.execute(select(BackgroundJob).where(
        BackgroundJob.result_path.is_not(None),
        BackgroundJob.finished_dt < now - timedelta(days=KEEP_RESULTS_DAYS))).scalars().all()
    for job in old:
        shutil.rmtree(job_dir(job.id), ignore_errors=True)
        job.result_path = None
    stale = db.session.execute(select(BackgroundJob).where(
        BackgroundJob.status == JobStatus.RUNNING,
        BackgroundJob.started_dt < now - STALE_AFTER)).scalars().all()
    for job in stale:
        with force_locale(job.locale):
            _record_failure(job, _("The work was interrupted; nothing of it was saved. "
                                   "Please start it again."))
    db.session.flush()
    return len(old), len(stale)


# --- who may see a job --------------------------------------------------------------------

@predicate
def can_see_job(user, job=None):
    """Only the person who asked for the work sees its progress and downloads its file."""
    return user is not None and job is not None and job.requested_by_id == user.id


# --- what the page and its script show ------------------------------------------------------

def progress_text(job):
    """"1,234 of 10,000 rows", in the viewer's language."""
    kind = kind_of(job)
    if job.status == JobStatus.QUEUED:
        return _("Waiting for a worker…")
    if job.total is None:
        return _("%(done)s done so far", done=f"{job.done:,}")
    unit = kind.unit if kind else _l("%(done)s of %(total)s")
    return str(unit) % {"done": f"{job.done:,}", "total": f"{job.total:,}"}


def status_json(job):
    return {"id": job.id, "status": job.status.value, "done": job.done, "total": job.total,
            "percent": job.percent, "finished": not job.is_active,
            "text": progress_text(job)}
