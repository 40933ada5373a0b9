"""The background-job facility (marketplace.core.jobs): a job is queued with the commit
that makes it visible, runs once, shows its progress to another connection while its own
work is still one open transaction, and ends succeeded with its result or failed with a
reason and nothing of its work kept."""
import json
import os
import threading
from datetime import timedelta

import pytest
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from marketplace.accounts.models import Role, User
from marketplace.core import jobs, outbox
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import UserFactory

WAITING = "test.waiting"
SIMPLE = "test.simple"
GATES = {}


@jobs.job_runner(WAITING, title=_l("Test work"), unit=_l("%(done)s of %(total)s rows"))
def _waiting_runner(job, context):
    """Renames the bystander (work in the job's transaction: not the requester, whose row
    signing in updates), reports 3 of 10, then waits for the test to let it go on."""
    db.session.execute(text("UPDATE users SET name = 'renamed by the job' WHERE id = :id"),
                       {"id": job.params_dict["bystander"]})
    context.set_total(10)
    context.advance(3)
    context.flush()
    GATES["started"].set()
    assert GATES["go"].wait(30), "the test never let the job go on"
    if job.params_dict.get("fail"):
        raise ValidationFailed(_l("Broken on purpose."))
    context.advance(7)


@jobs.job_runner(SIMPLE, title=_l("Test work"), unit=_l("%(done)s of %(total)s rows"))
def _simple_runner(job, context):
    params = job.params_dict
    db.session.execute(text("UPDATE users SET name = 'renamed by the job' WHERE id = :id"),
                       {"id": job.requested_by_id})
    path = context.output_path("out.csv")
    with open(path, "w", encoding="utf-8") as out:
        out.write("x\n")
    context.set_total(2)
    context.advance(2)
    if params.get("crash"):
        raise RuntimeError("disk on fire")
    return jobs.JobResult(path=path, name="out.csv", mimetype="text/csv")


@pytest.fixture
def requester():
    user = UserFactory(role=Role.AUDITOR, locale="en", name="Auditor Qian")
    db.session.commit()
    return user


def queued(kind, user, **params):
    job = jobs.start(kind, user, params=params, locale="en")
    db.session.commit()
    outbox._committed_ids.set(None)   # the test runs the job itself, when it wants
    return job.id


def job_of(job_id):
    db.session.expire_all()
    return db.session.get(BackgroundJob, job_id)


def audit_actions(job_id):
    return db.session.execute(select(AuditRecord.action, AuditRecord.after_state).where(
        AuditRecord.object_type == "BackgroundJob", AuditRecord.object_id == str(job_id))
        .order_by(AuditRecord.id)).all()


def test_a_job_is_queued_with_its_outbox_message_and_runs_once(requester):
    job_id = queued(SIMPLE, requester)
    message = db.session.execute(select(outbox.OutboxMessage).where(
        outbox.OutboxMessage.topic == "jobs.run")).scalar_one()
    assert message.payload_dict == {"job_id": job_id}
    assert job_of(job_id).status == JobStatus.QUEUED

    assert jobs.run(job_id) == JobStatus.SUCCEEDED
    job = job_of(job_id)
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    assert job.result_name == "out.csv" and os.path.exists(job.result_path)
    assert job.result_path.startswith(os.path.join(current_app.config["UPLOAD_DIR"], "jobs",
                                                   str(job_id)))
    assert job.started_dt <= job.finished_dt
    assert db.session.get(User, requester.id).name == "renamed by the job"
    assert audit_actions(job_id) == [("queue", "queued"), ("start", "running"),
                                     ("finish", "succeeded")]
    assert jobs.run(job_id) is None          # delivered again: nothing happens


def test_the_outbox_message_runs_the_job_after_commit(requester):
    job = jobs.start(SIMPLE, requester, locale="en")
    db.session.commit()
    outbox.relay_pending()                   # what the request does after its commit
    assert job_of(job.id).status == JobStatus.SUCCEEDED


def test_a_failed_job_keeps_nothing_and_says_why(requester):
    job_id = queued(SIMPLE, requester, crash=True)
    assert jobs.run(job_id) == JobStatus.FAILED
    job = job_of(job_id)
    assert job.error_message.startswith("The work stopped because of an unexpected error")
    assert job.result_path is None and job.finished_dt is not None
    assert not os.path.exists(jobs.job_dir(job_id))     # its file went with it
    assert db.session.get(User, requester.id).name == "Auditor Qian"
    assert audit_actions(job_id) == [("queue", "queued"), ("start", "running"),
                                     ("fail", "failed")]


def test_the_transitions_refuse_anything_else(requester):
    job = db.session.get(BackgroundJob, queued(SIMPLE, requester))
    with pytest.raises(InvalidTransition):
        transition(job, "finish")
    jobs.run(job.id)
    job = job_of(job.id)
    for action in ("start", "finish", "fail"):
        with pytest.raises(InvalidTransition):
            transition(job, action)
    db.session.rollback()


def test_a_second_active_job_on_the_same_subject_is_refused(requester):
    other = UserFactory()
    db.session.commit()
    jobs.start(SIMPLE, requester, subject=other)
    with pytest.raises(jobs.JobAlreadyRunning):
        jobs.start(SIMPLE, requester, subject=other)
    db.session.rollback()


@pytest.mark.postgres
def test_progress_is_seen_by_another_connection_while_the_work_is_open(app, client,
                                                                        requester):
    bystander = UserFactory(name="Bystander Sun")
    db.session.commit()
    for fail in (False, True):
        GATES.update(started=threading.Event(), go=threading.Event())
        job_id = queued(WAITING, requester, fail=fail, bystander=bystander.id)

        def work():
            with app.app_context():
                jobs.run(job_id)

        worker = threading.Thread(target=work)
        worker.start()
        try:
            assert GATES["started"].wait(30)
            with db.engine.connect() as other:    # what the page's request reads
                row = other.execute(text("SELECT status, done, total FROM background_jobs "
                                         "WHERE id = :id"), {"id": job_id}).one()
                name = other.execute(text("SELECT name FROM users WHERE id = :id"),
                                     {"id": bystander.id}).scalar_one()
            assert tuple(row) == ("running", 3, 10)
            assert name == "Bystander Sun"       # the work itself is not committed yet
            login(client, requester.email)
            status = client.get(f"/jobs/{job_id}.json").get_json()
            assert status["status"] == "running" and status["finished"] is False
            assert (status["done"], status["total"], status["percent"]) == (3, 10, 30)
            assert status["text"] == "3 of 10 rows"
            page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
            assert 'role="progressbar"' in page and 'aria-valuenow="3"' in page
            assert 'aria-valuemax="10"' in page and "3 of 10 rows" in page
            assert f'data-job-status-url="/jobs/{job_id}.json"' in page
            assert "js/jobs.js" in page and "<noscript>" in page
        finally:
            GATES["go"].set()
            worker.join(30)
        job = job_of(job_id)
        name = db.session.get(User, bystander.id).name
        if fail:
            assert job.status == JobStatus.FAILED and job.error_message == "Broken on purpose."
            assert name == "Bystander Sun"
            status = client.get(f"/jobs/{job_id}.json").get_json()
            assert status["status"] == "failed" and status["finished"] is True
            page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
            assert "Broken on purpose." in page and "jobs.js" not in page
        else:
            assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 10, 10)
            assert name == "renamed by the job"
            db.session.execute(text("UPDATE users SET name = 'Bystander Sun' WHERE id = :id"),
                               {"id": bystander.id})
            db.session.commit()


def test_only_the_requester_sees_the_job_and_its_file(client, requester):
    job_id = queued(SIMPLE, requester)
    jobs.run(job_id)
    stranger = UserFactory(role=Role.AUDITOR)
    db.session.commit()
    login(client, stranger.email)
    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"):
        assert client.get(path).status_code == 404, path
    client.post("/logout")
    login(client, requester.email)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Download out.csv" in page and 'aria-valuenow="2"' in page
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200 and download.get_data() == b"x\n"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    assert json.loads(client.get(f"/jobs/{job_id}.json").get_data()) == {
        "id": job_id, "status": "succeeded", "done": 2, "total": 2, "percent": 100,
        "finished": True, "text": "2 of 2 rows"}
    listed = client.get("/jobs").get_data(as_text=True)
    assert f"/jobs/{job_id}" in listed and "done" in listed


def test_old_files_are_removed_and_dead_jobs_failed(requester):
    finished_id = queued(SIMPLE, requester)
    jobs.run(finished_id)
    stuck_id = queued(SIMPLE, requester)
    db.session.execute(text(
        "UPDATE background_jobs SET finished_dt = :old WHERE id = :id"),
        {"old": now_utc() - timedelta(days=8), "id": finished_id})
    db.session.execute(text(
        "UPDATE background_jobs SET status = 'running', started_dt = :old WHERE id = :id"),
        {"old": now_utc() - timedelta(hours=2), "id": stuck_id})
    db.session.commit()
    assert jobs.clean_up_jobs() == (1, 1)
    db.session.commit()
    assert job_of(finished_id).result_path is None
    assert not os.path.exists(jobs.job_dir(finished_id))
    stuck = job_of(stuck_id)
    assert stuck.status == JobStatus.FAILED and "interrupted" in stuck.error_message
