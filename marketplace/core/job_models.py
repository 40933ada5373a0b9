"""The row of a background job (an export, a disbursement batch...): what it does, for
whom, how far it has got and what it produced. The service is :mod:`marketplace.core.jobs`.
"""
import enum
import json

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class JobStatus(str, enum.Enum):
    QUEUED = "queued"          # committed, its outbox message waits for a worker
    RUNNING = "running"        # a worker does the work (one transaction)
    SUCCEEDED = "succeeded"    # the work is committed; a result file may be downloaded
    FAILED = "failed"          # nothing of the work was kept; error_message says why


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
_ACTIVE_SQL = "status IN ('queued', 'running')"


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"

    TRANSITIONS = TransitionTable({
        JobStatus.QUEUED: {"start": JobStatus.RUNNING, "fail": JobStatus.FAILED},
        JobStatus.RUNNING: {"finish": JobStatus.SUCCEEDED, "fail": JobStatus.FAILED},
    })

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, name="job_status"),
                                              nullable=False, default=JobStatus.QUEUED)
    # what the job works on (a disbursement batch...), so a second job on it is refused
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # the requester's language when asked: file headers and messages are written in it
    locale: Mapped[str] = mapped_column(String(8), nullable=False, default="zh")
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    total: Mapped[int | None] = mapped_column(Integer)      # None: not known (yet)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(255))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    started_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("done >= 0 AND (total IS NULL OR total >= 0)",
                        name="counts_not_negative"),
        CheckConstraint("(status IN ('succeeded', 'failed')) = (finished_dt IS NOT NULL)",
                        name="finished_when_over"),
        CheckConstraint("status <> 'failed' OR error_message IS NOT NULL",
                        name="failure_has_reason"),
        Index("ix_background_jobs_requester", "requested_by_id", "created_dt"),
        # at most one queued or running job per kind and subject (a second confirmation
        # of a disbursement batch while the first runs cannot slip in)
        Index("uq_background_jobs_active_subject", "kind", "subject_type", "subject_id",
              unique=True, postgresql_where=db.text(_ACTIVE_SQL),
              sqlite_where=db.text(_ACTIVE_SQL)),
    )

    @property
    def params_dict(self):
        return json.loads(self.params or "{}")

    @property
    def is_active(self):
        return self.status in ACTIVE

    @property
    def percent(self):
        """A whole percentage for the bar, or None while the total is unknown."""
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return max(0, min(100, self.done * 100 // self.total))
