"""Access-matrix rows of the background-job pages (see access_rows/__init__.py).

Objects, built into ``world.extra`` under ``jobs_*`` keys: ``own`` is a finished job of
the acting user with a result file (the visitor is given firm_owner's), ``other`` one of
the other firm's owner. Only the person who asked sees a job: anybody else gets 404, as
for another organisation's object."""
import os

from marketplace.core import jobs
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.support.access import (FIRM_OWNER, LOGIN, OTHERS, ROLES, VISITOR,  # noqa: F401
                                  by_object)

MINE = {VISITOR: LOGIN, OTHERS: 200}
NOT_MINE = {VISITOR: LOGIN, OTHERS: 404}

EXPECTED = {
    ("jobs.my_jobs", "GET"):                MINE,
    ("jobs.job", "GET"): by_object(
        own=                                MINE,
        other=                              NOT_MINE,
        missing=                            NOT_MINE),
    ("jobs.job_status", "GET"): by_object(
        own=                                MINE,
        other=                              NOT_MINE,
        missing=                            NOT_MINE),
    ("jobs.download", "GET"): by_object(
        own=                                MINE,
        other=                              NOT_MINE,
        missing=                            NOT_MINE),
}


def finished_job(user, kind="turnover.registry_export"):
    """A succeeded job of ``user`` with a small result file under its folder."""
    job = BackgroundJob(kind=kind, requested_by_id=user.id, status=JobStatus.SUCCEEDED,
                        total=1, done=1, locale="en", params="{}", started_dt=now_utc(),
                        finished_dt=now_utc(), result_name="result.csv",
                        result_mimetype="text/csv; charset=utf-8")
    db.session.add(job)
    db.session.flush()
    folder = jobs.job_dir(job.id)
    os.makedirs(folder, exist_ok=True)
    job.result_path = os.path.join(folder, "result.csv")
    with open(job.result_path, "w", encoding="utf-8-sig") as out:
        out.write("a,b\r\n1,2\r\n")
    db.session.commit()
    return job


def _job(world, role, variant):
    if variant == "other":
        key, user = "jobs_other", world.outsider
    else:
        owner = role if world.user(role) is not None else FIRM_OWNER
        key, user = f"jobs_own_{owner}", world.user(owner)
    if key not in world.extra:
        world.extra[key] = finished_job(user)
    return world.extra[key]


def _job_id(world, role, variant):
    from tests.support.access import MISSING_ID
    return {"job_id": MISSING_ID if variant == "missing" else _job(world, role, variant).id}


URL_VALUES = {
    "jobs.job": _job_id,
    "jobs.job_status": _job_id,
    "jobs.download": _job_id,
}
BODIES = {}
PREDICATE_MODULES = (jobs,)
PREDICATE_TABLE = {
    ("can_see_job", "jobs_own"):            set(ROLES) - {VISITOR},
    ("can_see_job", "jobs_other"):          set(),
    ("can_see_job", None):                  set(),
}
PREDICATE_OBJECTS = {
    "jobs_own": lambda world, role: _job(world, role, "own"),
    "jobs_other": lambda world, role: _job(world, role, "other"),
}


def needs(app, endpoint):
    return False    # the jobs are built when a URL or a predicate names them


def build(world):
    pass
