"""The review SLA: each stage has ``CLAIM_STAGE_DAYS`` working days (default 10, counted by
the calendar of holidays and make-up working days, marketplace/workdays); the
reviewer is reminded at day ``CLAIM_REMIND_DAY`` (7) and the supervisors are told at the
deadline. Each happens once per stage, however often the job runs."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from marketplace.claims.models import Claim
from marketplace.claims.services import REVIEW_STAGES
from marketplace.core import audit, outbox
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import local_date, now_utc
from marketplace.extensions import db
from marketplace.workdays import calendar as workdays


def working_days_between(start, end):
    """Working days after ``start`` up to and including ``end``, by the calendar."""
    return workdays.working_days_between(start, end)


@nightly_job
def watch_review_deadlines(today=None):
    today = today or date.today()
    remind_day = current_app.config.get("CLAIM_REMIND_DAY", 7)
    reminded, escalated = [], []
    claims = db.session.execute(select(Claim).where(
        Claim.status.in_(REVIEW_STAGES), Claim.stage_started_dt.is_not(None))).scalars().all()
    for claim in claims:
        elapsed = working_days_between(local_date(claim.stage_started_dt), today)
        if claim.stage_due_on and today >= claim.stage_due_on \
                and claim.stage_escalated_dt is None:
            claim.stage_escalated_dt = now_utc()
            audit.record(claim, "escalate", data={"stage": claim.status.value,
                                                  "working_days": elapsed})
            outbox.emit("claims.overdue", claim_id=claim.id)
            escalated.append(claim.id)
        elif elapsed >= remind_day and claim.stage_reminded_dt is None:
            claim.stage_reminded_dt = now_utc()
            outbox.emit("claims.reminder", claim_id=claim.id)
            reminded.append(claim.id)
    return {"reminded": reminded, "escalated": escalated}


def overdue_query(today=None):
    """Claims at a review stage whose deadline has come, the longest overdue first."""
    today = today or date.today()
    return select(Claim).where(Claim.status.in_(REVIEW_STAGES), Claim.stage_due_on <= today) \
        .order_by(Claim.stage_due_on, Claim.id)


def overdue_claims(today=None):
    return db.session.execute(overdue_query(today)).scalars().all()
