"""API of redemption claims and disbursement, over the same services and predicates as
the claim pages. Each party sees its own claims (others get 404), reviewers their queue,
the admin all. Steps that move money take an ``Idempotency-Key``."""
from datetime import date
from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import MAX_ID, Id, Int, named_all_in_body, one_of, operation
from marketplace.api.views import bp
from marketplace.accounts.permissions import is_expert, is_supervisor
from marketplace.claims import disbursement, experts, queries, services
from marketplace.claims import permissions as perms
from marketplace.claims.models import (BatchStatus, CheckResult, Claim, ClaimStatus,
                                       DisbursementBatch, LineKind, LineStatus)
from marketplace.orders.models import Order
from marketplace.orders.permissions import can_view_order
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.permissions import require_visible
from marketplace.extensions import db


# --- the models ---------------------------------------------------------------------------


class CheckOut(BaseModel):
    name: str
    result: one_of(CheckResult)
    evidence: dict | None = Field(description="What the check compared: the matching fields "
                                              "with both parties' values, the contracts "
                                              "counted, the invoice, the balances. Null for "
                                              "the parties (it holds private data).")


class DecisionOut(BaseModel):
    id: int
    stage: str
    decision: Literal["approve", "reject", "return"]
    comment: str
    decided_by_id: int
    created_dt: Timestamp


class PanelOut(BaseModel):
    count: int = Field(description="How many experts have scored.")
    mean_score: float | None = Field(description="The mean of the experts' mean scores "
                                                 "(1 to 5, two decimals); null before any "
                                                 "score.")
    outliers: list[int] = Field(description="The ids of the experts whose mean is 1.5 "
                                            "points or more away from the panel's.")


class OverrideOut(BaseModel):
    checks: list[str]
    reason: str
    overridden_by_id: int
    created_dt: Timestamp


class ClaimOut(BaseModel):
    id: int
    order_id: int
    status: one_of(ClaimStatus)
    stage: str | None = Field(description="What the claim waits for: checks, first_review, "
                                          "expert_review, final_approval, correction (by "
                                          "the firm) or disbursement; null once closed.")
    voucher_part_fen: int
    checks: list[CheckOut] = Field(description="The checks of the current round.")
    decisions: list[DecisionOut]
    panel: PanelOut | None = Field(description="The expert panel's summary, for the "
                                               "bureau's reviewers and the admin; null for "
                                               "the others.")
    override: OverrideOut | None = Field(
        default=None, description="The override of the current round's blocking checks, "
                                  "if one was recorded.")
    void_pending_reason: str | None = Field(
        default=None, description="Voided after its batch's payment file went to the bank: "
                                  "the void is settled when the bank answers (paid: the "
                                  "agency owes the voucher part back).")


class ClaimSummary(BaseModel):
    id: int
    order_id: int
    status: one_of(ClaimStatus)
    stage: str | None
    voucher_part_fen: int
    firm_id: int
    agency_id: int
    is_blocked: bool
    is_flagged: bool
    stage_due_on: date | None


class ClaimList(BaseModel):
    items: list[ClaimSummary]
    total: int
    page: int
    per_page: int


class ClaimQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: one_of(ClaimStatus) | None = None
    problem: Literal["blocked", "flagged", "clean"] | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class ScoresIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    necessity: Int = Field(ge=1, le=5)
    price_reasonableness: Int = Field(ge=1, le=5)
    delivery_quality: Int = Field(ge=1, le=5)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject", "return"] | None = Field(
        default=None, description="Required of the reviewers; experts send scores instead.")
    comment: str = Field(default="", max_length=2000,
                         description="Required to reject or return (422 reason_required), "
                                     "and with scores.")
    scores: ScoresIn | None = Field(default=None, description=(
        "Only from an expert who accepted the claim's invitation, at expert_review: "
        "records the expert's scores (1 to 5 each) with the comment as reasons."))


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim_ids: list[Id] = Field(default_factory=list, max_length=1000,
                                description="Approved claims to pay.")
    copay_order_ids: list[Id] = Field(
        default_factory=list, max_length=1000,
        description="Accepted orders whose co-pay is paid out to their agency.")


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description=(
        "Why the claim may go on despite its blocking checks (at least "
        "OVERRIDE_REASON_MIN_CHARS characters, 15 by default)."))


class PaidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    treasury_reference: str = Field(min_length=1, max_length=100)


class LineOut(BaseModel):
    id: int
    kind: one_of(LineKind)
    status: one_of(LineStatus)
    agency_id: int
    claim_id: int | None
    order_id: int | None
    recovery_id: int | None
    amount_fen: int = Field(description="What the line adds to its payee's payment: a "
                                        "recovery deducted is negative.")
    removed_reason: str | None
    bank_outcome: Literal["paid", "failed", "returned"] | None = Field(
        description="The bank's answer for the line's payee row; null before it.")
    bank_reference: str | None
    bank_reason: str | None
    refunded_at_bank_fen: int = Field(description="Of a co-pay line: refunded to the firm "
                                                  "after the payment file went out; owed "
                                                  "back by the agency if the bank pays it.")


class BatchOut(BaseModel):
    id: int
    status: one_of(BatchStatus)
    claim_ids: list[int]
    line_count: int
    lines: list[LineOut]
    total_fen: int
    export_count: int
    sent_dt: Timestamp | None = Field(description="The first export of the payment file: "
                                                  "from then on the lines no longer change "
                                                  "until the bank or the treasury answers.")
    sent_total_fen: int | None
    treasury_reference: str | None
    paid_dt: Timestamp | None


def claim_summary_json(claim):
    return answer(ClaimSummary, claim, stage=queries.stage_of(claim),
                  voucher_part_fen=claim.amount_fen)


def claim_json(claim, user):
    evidence = perms.can_view_check_evidence(user, claim)
    override = services.override_of(claim)
    return answer(
        ClaimOut, claim, stage=queries.stage_of(claim), voucher_part_fen=claim.amount_fen,
        checks=[{"name": c.name, "result": c.result,
                 "evidence": queries.evidence_of(c) if evidence else None}
                for c in services.checks_of(claim)],
        decisions=services.decisions_of(claim),
        panel=panel_json(claim) if perms.can_view_panel(user, claim) else None,
        override=None if override is None else answer(OverrideOut, override,
                                                       checks=override.check_names))


def panel_json(claim):
    summary = experts.panel_summary(claim)
    mean = summary["mean_x100"]
    return answer(PanelOut, count=summary["count"],
                  mean_score=round(mean / 100, 2) if mean is not None else None,
                  outliers=summary["outliers"])


def batch_json(batch):
    lines = disbursement.lines_of(batch)
    return answer(BatchOut, batch,
                  claim_ids=[line.claim_id for line in lines
                             if line.claim_id and line.status.value != "removed"],
                  lines=[answer(LineOut, line, amount_fen=line.signed_amount_fen)
                         for line in lines])


def _visible_claim(claim_id):
    claim = db.session.get(Claim, claim_id) if claim_id <= MAX_ID else None
    require_visible(perms.can_view_claim, claim, user=g.api_user)
    return claim


# --- claims ---------------------------------------------------------------------------------

@operation(bp, "/claims", "GET", tag="claims",
           summary="Claims: each party its own, reviewers their queue, the admin all",
           query=ClaimQuery, responses={200: ClaimList}, rule=perms.can_list_claims)
def list_claims(query):
    statement = queries.claims_for(g.api_user,
                                   ClaimStatus(query.status) if query.status else None,
                                   query.problem)
    page = db.paginate(statement, page=query.page, per_page=query.per_page,
                       error_out=False)
    return jsonify(answer(ClaimList, items=[claim_summary_json(c) for c in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/claims/<int:claim_id>", "GET", tag="claims",
           summary="A claim with the checks of its current round and its decisions",
           responses={200: ClaimOut}, rule=perms.can_open_claims)
def get_claim(claim_id):
    return jsonify(claim_json(_visible_claim(claim_id), g.api_user))


@operation(bp, "/claims/<int:claim_id>/decisions", "POST", tag="claims",
           summary="Decide a claim at its current stage (its auditor at first review, a "
                   "supervisor who did not review it first at final approval), or score it "
                   "(an expert who accepted its invitation, at expert review)",
           body=DecisionIn, responses={200: ClaimOut},
           rule=perms.can_decide_claim | is_expert, errors=(409,), idempotency_key=True)
def decide_claim(claim_id, body):
    claim = _visible_claim(claim_id)
    user = g.api_user
    if is_expert(user):
        if body.scores is None or body.decision is not None:
            raise ValidationFailed(details={"field": "scores"})
        if not perms.can_score_claim(user, claim):
            raise PermissionDenied(details={"rule": perms.can_score_claim.name})
        invitation = next(i for i in experts.invitations_of(claim)
                          if i.expert_id == user.id)
        experts.score(invitation, user, comment=body.comment, **body.scores.model_dump())
        db.session.commit()
        return jsonify(claim_json(db.session.get(Claim, claim_id), user))
    if body.scores is not None or body.decision is None:
        raise ValidationFailed(details={"field": "scores" if body.scores else "decision"})
    services.decide(claim, user, body.decision, body.comment)
    db.session.commit()
    return jsonify(claim_json(db.session.get(Claim, claim_id), g.api_user))


@operation(bp, "/claims/<int:claim_id>/override", "POST", tag="claims",
           summary="Override a claim's blocking checks with a written reason (a supervisor "
                   "who is neither its first reviewer nor its auditor)",
           body=OverrideIn, responses={200: ClaimOut}, rule=is_supervisor,
           errors=(409,), idempotency_key=True)
def override_claim(claim_id, body):
    claim = _visible_claim(claim_id)
    services.override_block(claim, g.api_user, body.reason)
    db.session.commit()
    return jsonify(claim_json(db.session.get(Claim, claim_id), g.api_user))


# --- disbursement ---------------------------------------------------------------------------

@operation(bp, "/disbursements", "POST", tag="claims",
           summary="Gather approved claims and accepted co-pays into a disbursement batch, "
                   "what the agencies owe back deducted (supervisors)",
           body=BatchIn, responses={201: BatchOut}, rule=perms.can_manage_disbursements,
           errors=(404, 409), idempotency_key=True)
def create_disbursement(body):
    named_all_in_body(Claim, body.claim_ids, field="claim_ids", rule=perms.can_view_claim)
    named_all_in_body(Order, body.copay_order_ids, field="copay_order_ids",
                      rule=can_view_order)
    batch = disbursement.create_batch(g.api_user, body.claim_ids, body.copay_order_ids)
    db.session.commit()
    return jsonify(batch_json(batch)), 201


@operation(bp, "/disbursements/<int:batch_id>/paid", "POST", tag="claims",
           summary="Record the treasury's payment of a batch, once (supervisors)",
           body=PaidIn, responses={200: BatchOut}, rule=perms.can_manage_disbursements,
           errors=(409,), idempotency_key=True)
def mark_disbursement_paid(batch_id, body):
    batch = db.session.get(DisbursementBatch, batch_id) if batch_id <= MAX_ID else None
    if batch is None:
        raise NotFound()
    disbursement.mark_paid(batch, g.api_user, body.treasury_reference)
    db.session.commit()
    return jsonify(batch_json(db.session.get(DisbursementBatch, batch_id)))
