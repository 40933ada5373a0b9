"""The pages of background jobs: progress while a worker runs one, then its download or
the reason it failed. Only the person who asked sees a job (404 for anybody else, as for
another organisation's object)."""
import os

from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.core import jobs
from marketplace.core.job_models import BackgroundJob, JobStatus
from marketplace.core.permissions import access, is_authenticated, require_visible
from marketplace.extensions import db

bp = Blueprint("jobs", __name__)

# the states in words (job states are not in core.labels: "running" is named there for
# imports already, as "importing")
STATUS_LABELS = {JobStatus.QUEUED: _l("waiting"), JobStatus.RUNNING: _l("under way"),
                 JobStatus.SUCCEEDED: _l("done"), JobStatus.FAILED: _l("failed")}


@bp.app_template_global("job_status_label")
def job_status_label(status):
    return str(STATUS_LABELS[JobStatus(status)])


def _job(job_id):
    found = db.session.get(BackgroundJob, job_id)
    require_visible(jobs.can_see_job, found)
    return found


def result_available(job):
    return (job.status == JobStatus.SUCCEEDED and job.result_path is not None
            and os.path.exists(job.result_path))


@bp.route("/jobs")
@access(is_authenticated)
def my_jobs():
    return render_template("site/jobs.html", jobs=jobs.recent_jobs(current_user),
                           kind_of=jobs.kind_of)


@bp.route("/jobs/<int:job_id>")
@access(is_authenticated)
def job(job_id):
    found = _job(job_id)
    kind = jobs.kind_of(found)
    return render_template("site/job.html", job=found, kind=kind,
                           back=kind.back(found) if kind and kind.back else None,
                           available=result_available(found),
                           text=jobs.progress_text(found))


@bp.route("/jobs/<int:job_id>.json")
@access(is_authenticated)
def job_status(job_id):
    response = jsonify(jobs.status_json(_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/jobs/<int:job_id>/download")
@access(is_authenticated)
def download(job_id):
    found = _job(job_id)
    if not result_available(found):
        abort(404)
    response = send_file(found.result_path, mimetype=found.result_mimetype,
                         as_attachment=True, download_name=found.result_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
