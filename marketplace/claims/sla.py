"""The review SLA: each stage has ``CLAIM_STAGE_DAYS`` working days (default 10, counted by
the calendar of holidays and make-up working days, marketplace/workdays); the
reviewer is reminded at day ``CLAIM_REMIND_DAY`` (7) and the supervisors are told at the
deadline. Each happens once per stage, however often the job runs."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from marketplace import funds
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.services import REVIEW_STAGES, lock_claim
from marketplace.core import audit, outbox
from marketplace.core.states import transition
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


@nightly_job
def lapse_unanswered_returns(today=None):
    """A claim returned for correction and not resubmitted by its deadline (``file_by``,
    the last day ``resubmit`` accepts) is rejected as lapsed, and its reservation is
    released (on to the programme's pool when the voucher is no longer active): else the
    voucher part stays reserved for good, out of the firm's reach and the programme's.
    Once per claim, however often the job runs. Returns how many lapsed."""
    today = today or date.today()
    due = db.session.execute(select(Claim.id).where(
        Claim.status == ClaimStatus.RETURNED, Claim.file_by < today)
        .order_by(Claim.id)).scalars().all()
    lapsed = 0
    for claim_id in due:
        claim = lock_claim(claim_id)
        if claim.status != ClaimStatus.RETURNED or claim.file_by >= today:
            continue   # resubmitted (or voided) since it was read
        transition(claim, "lapse", data={"file_by": claim.file_by.isoformat()})
        funds.voucher_parts.release_reservation(claim, key="claim-lapse-release")
        claim.updated_dt = now_utc()
        claim.stage_due_on = None
        outbox.emit("claims.decided", claim_id=claim.id, stage=ClaimStatus.RETURNED.value,
                    decision="reject")
        lapsed += 1
    return lapsed
