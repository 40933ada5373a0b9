"""The claim workflow: automatic checks, all of a round in the transaction that starts
it (each with its own result and evidence, each in a savepoint: a check that fails is
handed to an outbox message of its own and retried there, and the last one to finish
moves the claim on), assignment to the least-loaded auditor, review stages with the
four-eyes rule, and the ledger postings of approval and rejection."""
import json
import logging
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from marketplace.accounts.models import Role, User
from marketplace.claims import checks
from marketplace.claims.models import (CheckResult, Claim, ClaimCheck, ClaimDecision,
                                       ClaimOverride, ClaimStatus)
from marketplace import funds
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.workdays import calendar as workdays

log = logging.getLogger(__name__)

REVIEW_STAGES = (ClaimStatus.FIRST_REVIEW, ClaimStatus.EXPERT_REVIEW,
                 ClaimStatus.FINAL_APPROVAL)
OPEN_REVIEW_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.CHECKING) + REVIEW_STAGES
# no review stage follows: no deadline
FINAL_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.DISBURSED, ClaimStatus.REJECTED,
                  ClaimStatus.VOIDED)
EXPERT_THRESHOLD_VOUCHER_FEN = 100_000_00
EXPERT_THRESHOLD_TECHNICAL_FEN = 5_000_000_00


class FourEyes(PermissionDenied):
    code = "four_eyes"
    default_message = _l("A supervisor cannot finalise a claim they reviewed at the first "
                         "stage.")


class BlockNotOverridden(Conflict):
    code = "block_not_overridden"
    default_message = _l("An automatic check blocks this claim: it can be approved only "
                         "after a supervisor other than its first reviewer records a named "
                         "override with a written reason.")


class OverrideRefused(PermissionDenied):
    code = "override_refused"
    default_message = _l("Only a supervisor who is not the claim's first reviewer or its "
                         "auditor may override its blocking checks, while it is under "
                         "review.")


class NotTheStageReviewer(PermissionDenied):
    code = "not_stage_reviewer"
    default_message = _l("This claim waits for another reviewer.")


def lock_claim(claim_id):
    # FOR NO KEY UPDATE: it still serialises the claim's writers, but not against the
    # KEY SHARE lock that inserting a ClaimCheck (its foreign key) takes. With FOR UPDATE,
    # two check tasks of one claim that had each inserted their result deadlocked in
    # finish_checks (bench/RESULTS.md, scenario 5).
    return db.session.execute(for_update(
        select(Claim).where(Claim.id == claim_id)
        .execution_options(populate_existing=True), of=Claim,
        key_share=True)).unique().scalar_one()


def working_days_after(start, days):
    """``days`` working days after ``start``, by the calendar of holidays and make-up
    working days (调休)."""
    return workdays.working_days_after(start, days)


def _enter_stage(claim):
    claim.stage_started_dt = claim.updated_dt = now_utc()
    claim.stage_reminded_dt = claim.stage_escalated_dt = None
    claim.stage_due_on = None if claim.status in FINAL_STATUSES else working_days_after(
        date.today(), current_app.config.get("CLAIM_STAGE_DAYS", 10))


# --- checks ---------------------------------------------------------------------------

def least_loaded_auditor():
    """The active auditor with the fewest open claims (ties: the longest-serving)."""
    load = (select(func.count(Claim.id)).where(Claim.assigned_auditor_id == User.id,
                                               Claim.status.in_(OPEN_REVIEW_STATUSES))
            .correlate(User).scalar_subquery())
    return db.session.execute(select(User).where(
        User.role == Role.AUDITOR, User.is_active_account.is_(True))
        .order_by(load, User.id).limit(1)).scalar_one_or_none()


def start_checks(claim_id):
    """submitted → checking, and this round's checks run here (:func:`run_round`)."""
    claim = lock_claim(claim_id)
    if claim.status != ClaimStatus.SUBMITTED:
        return claim
    claim.check_round += 1
    transition(claim, "start_checks", data={"round": claim.check_round})
    if claim.assigned_auditor_id is None:
        auditor = least_loaded_auditor()
        claim.assigned_auditor_id = auditor.id if auditor else None
        audit.record(claim, "assign", data={"auditor_id": claim.assigned_auditor_id})
    run_round(claim, claim.check_round)
    return claim


def run_round(claim, round_):
    """Every check of the round not yet run, in this transaction, then the round's end.

    Each check writes its own result and evidence inside a savepoint: one that raises is
    undone alone and handed to a ``claims.run_check`` message of its own, which the
    outbox retries with its backoff like any message (:func:`run_check`), while the
    others' results stay. One transaction for the round instead of a message per check:
    the messages cost more than the checks' own lookups."""
    done = set(db.session.execute(select(ClaimCheck.name).where(
        ClaimCheck.claim_id == claim.id, ClaimCheck.round == round_)).scalars())
    for name in checks.CHECKS:
        if name in done:
            continue
        try:
            with db.session.begin_nested():
                _record_check(claim, round_, name)
        except Exception:
            log.exception("claim %s check %s failed; retried in a message of its own",
                          claim.id, name)
            outbox.emit("claims.run_check", claim_id=claim.id, round=round_, name=name)
    finish_checks(claim.id, round_)


def _record_check(claim, round_, name):
    result, evidence = checks.CHECKS[name](claim)
    db.session.add(ClaimCheck(claim_id=claim.id, round=round_, name=name, result=result,
                              evidence=json.dumps(evidence, ensure_ascii=False,
                                                  default=str)))
    db.session.flush()


def run_check(claim_id, round_, name):
    """Run one check once per round (a check that failed in :func:`run_round`, retried);
    the last of the round moves the claim on."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.check_round != round_:
        return None
    done = db.session.execute(select(ClaimCheck.id).where(
        ClaimCheck.claim_id == claim_id, ClaimCheck.round == round_,
        ClaimCheck.name == name)).first()
    if done is None:
        _record_check(claim, round_, name)
    finish_checks(claim_id, round_)
    return name


def finish_checks(claim_id, round_):
    claim = lock_claim(claim_id)   # serialises the last two finishers of a round
    if claim.check_round != round_:
        return claim
    if claim.status != ClaimStatus.CHECKING:   # a round run again during review
        from marketplace.claims import rechecks

        return rechecks.conclude(claim, round_)
    results = db.session.execute(select(ClaimCheck.name, ClaimCheck.result).where(
        ClaimCheck.claim_id == claim_id, ClaimCheck.round == round_)).all()
    if len(results) < len(checks.CHECKS):
        return claim
    claim.is_blocked = any(r.result == CheckResult.BLOCK for r in results)
    claim.is_flagged = any(r.result == CheckResult.FLAG for r in results)
    transition(claim, "checks_done",
               data={"round": round_, "blocked": [r.name for r in results
                                                  if r.result == CheckResult.BLOCK],
                     "flagged": [r.name for r in results if r.result == CheckResult.FLAG]})
    _enter_stage(claim)
    # the reviewer's notice in this transaction, not a message of its own (its mail still
    # goes after commit through the outbox)
    from marketplace.claims.notices import tell_stage_reviewers

    tell_stage_reviewers(claim.id)
    return claim


def checks_of(claim, round_=None):
    round_ = claim.check_round if round_ is None else round_
    return db.session.execute(select(ClaimCheck).where(
        ClaimCheck.claim_id == claim.id, ClaimCheck.round == round_)
        .order_by(ClaimCheck.id)).scalars().all()


# --- decisions ------------------------------------------------------------------------

def needs_experts(claim):
    return (claim.amount_fen >= EXPERT_THRESHOLD_VOUCHER_FEN
            or claim.contract.technical_amount_fen >= EXPERT_THRESHOLD_TECHNICAL_FEN)


def _may_decide(claim, user):
    if claim.status == ClaimStatus.FIRST_REVIEW:
        if user.role != Role.AUDITOR or (claim.assigned_auditor_id not in (None, user.id)):
            raise NotTheStageReviewer()
    elif claim.status == ClaimStatus.FINAL_APPROVAL:
        if user.role != Role.SUPERVISOR:
            raise NotTheStageReviewer()
        if claim.first_reviewer_id == user.id:
            raise FourEyes()
    else:
        raise NotTheStageReviewer()


def decide(claim, reviewer, decision, comment=""):
    claim = lock_claim(claim.id)
    comment = (comment or "").strip()
    _may_decide(claim, reviewer)   # the wrong reviewer hears so before any form error
    if decision not in ("approve", "reject", "return"):
        raise ValidationFailed(details={"field": "decision"})
    if decision != "approve" and not comment:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "comment"})
    if decision == "approve" and claim.is_blocked and override_of(claim) is None:
        raise BlockNotOverridden(details={"checks": blocking_checks(claim)})
    stage = claim.status
    db.session.add(ClaimDecision(claim_id=claim.id, stage=stage, decision=decision,
                                 comment=comment, decided_by_id=reviewer.id))
    if stage == ClaimStatus.FIRST_REVIEW:
        claim.first_reviewer_id = reviewer.id
    if decision == "approve":
        if stage == ClaimStatus.FIRST_REVIEW:
            action = "to_experts" if needs_experts(claim) else "to_final"
        else:
            action = "approve"
        transition(claim, action, actor=reviewer, data={"comment": comment})
        if action == "approve":
            _post_approval(claim, reviewer)
        elif action == "to_experts":
            from marketplace.claims.experts import _finish_if_scored, draw_panel

            if not draw_panel(claim):
                _finish_if_scored(claim)   # nobody to draw: straight to the supervisor
    elif decision == "reject":
        transition(claim, "reject", actor=reviewer, data={"comment": comment})
        funds.voucher_parts.release_reservation(claim, actor=reviewer, key="claim-release")
    else:
        transition(claim, "return", actor=reviewer, data={"comment": comment})
        claim.return_comment = comment
    _enter_stage(claim)
    db.session.flush()
    outbox.emit("claims.decided", claim_id=claim.id, stage=stage.value, decision=decision)
    return claim


def _post_approval(claim, actor):
    """reserved → the agency's payable: the bureau now owes the voucher part."""
    funds.voucher_parts.approve(claim, actor=actor)


def blocking_checks(claim):
    return [c.name for c in checks_of(claim) if c.result == CheckResult.BLOCK]


def override_of(claim):
    """The override of the current round's blocking checks, or None."""
    return db.session.execute(select(ClaimOverride).where(
        ClaimOverride.claim_id == claim.id, ClaimOverride.round == claim.check_round)
    ).scalar_one_or_none()


def override_block(claim, actor, reason):
    """Record a named override of the current round's blocking checks with its written
    reason. Refused to the claim's first reviewer and its auditor (four eyes), outside the
    review stages, for a claim nothing blocks, and with a reason of less than
    OVERRIDE_REASON_MIN_CHARS characters. A new round of checks needs a new override."""
    from marketplace.claims.permissions import can_override_block

    claim = lock_claim(claim.id)
    if not can_override_block(actor, claim):
        raise OverrideRefused()
    reason = " ".join((reason or "").split())
    minimum = current_app.config["OVERRIDE_REASON_MIN_CHARS"]
    if len(reason) < minimum:
        raise ValidationFailed(_l("Write the reason for the override in at least "
                                  "%(count)s characters.", count=minimum),
                               code="reason_required", details={"field": "reason"})
    if override_of(claim) is not None:
        raise Conflict(_l("These checks are already overridden."), code="already_overridden")
    checks_overridden = blocking_checks(claim)
    db.session.add(ClaimOverride(claim_id=claim.id, round=claim.check_round,
                                 checks=json.dumps(checks_overridden), reason=reason,
                                 overridden_by_id=actor.id))
    claim.updated_dt = now_utc()
    audit.record(claim, "override_block", actor=actor,
                 data={"round": claim.check_round, "checks": checks_overridden,
                       "reason": reason})
    db.session.flush()
    outbox.emit("claims.stage_entered", claim_id=claim.id)   # the reviewer can go on
    return claim


def resubmit(claim, actor, note=""):
    """The firm answers a return; the checks run again as a new round."""
    claim = lock_claim(claim.id)
    if claim.firm_id != actor.organisation_id:
        raise PermissionDenied()
    if date.today() > claim.file_by:
        raise Conflict(_l("The claim deadline has passed."), code="claim_deadline_passed")
    transition(claim, "resubmit", actor=actor, data={"note": (note or "").strip()})
    claim.submitted_dt = claim.updated_dt = now_utc()
    claim.return_comment = None
    outbox.emit("claims.submitted", claim_id=claim.id)
    return claim


def decisions_of(claim):
    return db.session.execute(select(ClaimDecision).where(
        ClaimDecision.claim_id == claim.id).order_by(ClaimDecision.id)).scalars().all()


def queue_for(user, status=None):
    """A reviewer's queue: an auditor's assigned claims at first review, a supervisor's
    claims at final approval (not their own first reviews), oldest stage first."""
    query = select(Claim)
    if user.role == Role.AUDITOR:
        query = query.where(Claim.assigned_auditor_id == user.id,
                            Claim.status == (status or ClaimStatus.FIRST_REVIEW))
    elif user.role == Role.SUPERVISOR:
        query = query.where(Claim.status == (status or ClaimStatus.FINAL_APPROVAL),
                            or_(Claim.first_reviewer_id.is_(None),
                                Claim.first_reviewer_id != user.id))
    elif status:
        query = query.where(Claim.status == status)
    return query.order_by(Claim.stage_started_dt, Claim.id)
