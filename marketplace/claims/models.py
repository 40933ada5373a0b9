"""A redemption claim is created when the firm accepts delivery; it carries the voucher
part of the contract through checks and review stages to disbursement."""
import enum

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index,
                        Integer, String, Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.states import TransitionTable
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db


class ClaimStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    CHECKING = "checking"
    FIRST_REVIEW = "first_review"
    EXPERT_REVIEW = "expert_review"
    FINAL_APPROVAL = "final_approval"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    RETURNED = "returned"
    REJECTED = "rejected"
    VOIDED = "voided"


class Claim(db.Model):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False,
                                          unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("tech_contracts.id"), nullable=False,
                                             unique=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), nullable=False,
                                            index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                         index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                           index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus, name="claim_status"),
                                                nullable=False, default=ClaimStatus.SUBMITTED,
                                                index=True)
    # the programme's claim deadline, counted from acceptance
    file_by: Mapped[object] = mapped_column(Date, nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    submitted_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    # each submission (and resubmission) runs the automatic checks as a new round
    check_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_blocked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # the last round run again during review (claims.rechecks) whose results are in
    rechecked_round: Mapped[int | None] = mapped_column(Integer)
    assigned_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"),
                                                            index=True)
    first_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage_started_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    # a co-pay refund voided the claim while its batch's bank file was out: the void is
    # settled when the bank answers (claims.voiding), the batch left as the bank has it
    void_pending_reason: Mapped[str | None] = mapped_column(Text)
    stage_due_on: Mapped[object | None] = mapped_column(Date, index=True)
    return_comment: Mapped[str | None] = mapped_column(Text)
    # the SLA of the current stage: reminded at day 7, escalated at day 10 (once each)
    stage_reminded_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    stage_escalated_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    disbursement_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("disbursement_batches.id"), index=True)

    order = relationship("Order", lazy="joined", innerjoin=True)
    contract = relationship("TechContract", lazy="joined", innerjoin=True)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)


Claim.TRANSITIONS = TransitionTable({
    ClaimStatus.SUBMITTED: {"start_checks": ClaimStatus.CHECKING, "void": ClaimStatus.VOIDED},
    ClaimStatus.CHECKING: {"checks_done": ClaimStatus.FIRST_REVIEW,
                           "void": ClaimStatus.VOIDED},
    ClaimStatus.FIRST_REVIEW: {"to_experts": ClaimStatus.EXPERT_REVIEW,
                               "to_final": ClaimStatus.FINAL_APPROVAL,
                               "return": ClaimStatus.RETURNED, "reject": ClaimStatus.REJECTED,
                               "void": ClaimStatus.VOIDED},
    ClaimStatus.EXPERT_REVIEW: {"to_final": ClaimStatus.FINAL_APPROVAL,
                                "return": ClaimStatus.RETURNED,
                                "reject": ClaimStatus.REJECTED, "void": ClaimStatus.VOIDED},
    ClaimStatus.FINAL_APPROVAL: {"approve": ClaimStatus.APPROVED,
                                 "return": ClaimStatus.RETURNED,
                                 "reject": ClaimStatus.REJECTED, "void": ClaimStatus.VOIDED},
    # not resubmitted by its deadline: the night after, it lapses (claims/sla.py)
    ClaimStatus.RETURNED: {"resubmit": ClaimStatus.SUBMITTED, "void": ClaimStatus.VOIDED,
                           "lapse": ClaimStatus.REJECTED},
    # a co-pay refunded outside the platform voids even an approved, unpaid claim
    ClaimStatus.APPROVED: {"disburse": ClaimStatus.DISBURSED, "void": ClaimStatus.VOIDED},
    # voided after payout: the agency owes the voucher part back (funds.recoveries)
    ClaimStatus.DISBURSED: {"void": ClaimStatus.VOIDED},
})


class CheckResult(str, enum.Enum):
    PASS = "pass"
    FLAG = "flag"
    BLOCK = "block"


class ClaimCheck(db.Model):
    """One automatic check of one round, with the evidence the auditor sees."""
    __tablename__ = "claim_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), nullable=False, index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    result: Mapped[CheckResult] = mapped_column(enum_column(CheckResult, name="check_result"),
                                                nullable=False)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (UniqueConstraint("claim_id", "round", "name",
                                       name="uq_claim_checks_once_per_round"),)


class ClaimDecision(db.Model):
    """A reviewer's decision at one stage (approval records, after indico's requests)."""
    __tablename__ = "claim_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), nullable=False, index=True)
    stage: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus, name="claim_status"),
                                               nullable=False)
    decision: Mapped[str] = mapped_column(String(10), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    decided_by = relationship("User", lazy="joined")

    __table_args__ = (CheckConstraint("decision IN ('approve', 'reject', 'return')",
                                      name="decision_known"),)


class BatchStatus(str, enum.Enum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"   # every line was taken out before the treasury paid it


class DisbursementBatch(db.Model):
    """What the treasury pays together: lines of approved claims' voucher parts, accepted
    orders' co-pays and, deducted, what the same agencies owe back (recoveries). Exported
    as a bank-payment file as often as needed, marked paid once with the treasury's
    confirmation. A line taken out while the batch waits (a claim voided by a co-pay
    refund) leaves the rest payable."""
    __tablename__ = "disbursement_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus, name="batch_status"),
                                                nullable=False, default=BatchStatus.OPEN)
    # the net the treasury pays: payout lines less recovery deductions (kept in step with
    # the lines by claims.disbursement)
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    line_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    export_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    treasury_reference: Mapped[str | None] = mapped_column(String(100))
    # the first export of its payment file: from then on the bank may pay the file as it
    # was, so the lines no longer change until the bank or the treasury answers
    sent_dt: Mapped[object | None] = mapped_column(UTCDateTime)
    sent_total_fen: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_at_the_bank(self):
        return self.status == BatchStatus.OPEN and self.sent_dt is not None

    __table_args__ = (
        CheckConstraint("total_fen >= 0 AND line_count >= 0", name="not_negative"),
        CheckConstraint("(sent_dt IS NULL) = (sent_total_fen IS NULL)",
                        name="sent_has_total"),
        CheckConstraint("(status = 'paid') = (paid_dt IS NOT NULL AND "
                        "treasury_reference IS NOT NULL)", name="paid_has_confirmation"),
    )


DisbursementBatch.TRANSITIONS = TransitionTable({
    BatchStatus.OPEN: {"mark_paid": BatchStatus.PAID, "cancel": BatchStatus.CANCELLED},
})


class LineKind(str, enum.Enum):
    VOUCHER_PART = "voucher_part"     # an approved claim, paid from the voucher budget
    COPAY = "copay"                   # an accepted order's co-pay, paid from what firms paid
    RECOVERY = "recovery"             # deducted: what the agency owes back


class LineStatus(str, enum.Enum):
    INCLUDED = "included"
    REMOVED = "removed"
    PAID = "paid"


class BankOutcome(str, enum.Enum):
    """What the bank's result file (回单) says of a payee's row of the bank file."""
    PAID = "paid"
    FAILED = "failed"        # the bank did not pay (a wrong account, a closed account)
    RETURNED = "returned"    # paid, and sent back by the payee's bank (退汇)


class BankResult(db.Model):
    """One bank result file read back into a batch: its hash makes a second import of the
    same file change nothing; the outcome of each payee row is on the batch's lines."""
    __tablename__ = "bank_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("disbursement_batches.id"),
                                          nullable=False, index=True)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)
    paid_count: Mapped[int] = mapped_column(Integer, nullable=False)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        UniqueConstraint("batch_id", "file_sha256", name="uq_bank_results_batch_file"),
        CheckConstraint("row_count >= 0 AND paid_count >= 0 AND failed_count >= 0",
                        name="counts_not_negative"),
    )


class DisbursementLine(db.Model):
    __tablename__ = "disbursement_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("disbursement_batches.id"),
                                          nullable=False, index=True)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, name="disbursement_line_kind"),
                                           nullable=False)
    status: Mapped[LineStatus] = mapped_column(
        enum_column(LineStatus, name="disbursement_line_status"), nullable=False,
        default=LineStatus.INCLUDED)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False,
                                           index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    recovery_id: Mapped[int | None] = mapped_column(ForeignKey("recoveries.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # of a co-pay line: refunded to the firm after the bank file went out; the bank pays
    # the whole line, so this much is owed back once it has (claims.disbursement)
    refunded_at_bank_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0,
                                                      server_default="0")
    removed_reason: Mapped[str | None] = mapped_column(Text)
    # the bank's answer for the line's payee row (a failed or returned line is removed,
    # and what it paid is payable again)
    bank_outcome: Mapped[BankOutcome | None] = mapped_column(
        enum_column(BankOutcome, name="bank_outcome"))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    bank_reason: Mapped[str | None] = mapped_column(String(200))
    bank_result_id: Mapped[int | None] = mapped_column(ForeignKey("bank_results.id"))
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_at_bank_fen >= 0 AND refunded_at_bank_fen <= amount_fen",
                        name="refunded_at_bank_within_amount"),
        CheckConstraint("bank_outcome IS NULL OR (bank_outcome = 'paid') = "
                        "(status = 'paid')", name="bank_outcome_matches_status"),
        CheckConstraint("(kind = 'voucher_part') = (claim_id IS NOT NULL)",
                        name="voucher_part_names_claim"),
        CheckConstraint("kind <> 'copay' OR order_id IS NOT NULL",
                        name="copay_names_order"),
        CheckConstraint("(kind = 'recovery') = (recovery_id IS NOT NULL)",
                        name="recovery_names_recovery"),
        CheckConstraint("(status = 'removed') = (removed_reason IS NOT NULL)",
                        name="removed_has_reason"),
        # a claim, or an order's co-pay, is paid by one live line at most
        Index("uq_disbursement_lines_live_claim", "claim_id", unique=True,
              postgresql_where=text("status <> 'removed' AND kind = 'voucher_part'"),
              sqlite_where=text("status <> 'removed' AND kind = 'voucher_part'")),
        Index("uq_disbursement_lines_live_copay", "order_id", unique=True,
              postgresql_where=text("status <> 'removed' AND kind = 'copay'"),
              sqlite_where=text("status <> 'removed' AND kind = 'copay'")),
    )

    @property
    def signed_amount_fen(self):
        """What the line adds to its payee's payment: recoveries are deducted."""
        return -self.amount_fen if self.kind == LineKind.RECOVERY else self.amount_fen


DisbursementLine.TRANSITIONS = TransitionTable({
    LineStatus.INCLUDED: {"remove": LineStatus.REMOVED, "pay": LineStatus.PAID},
})


class ClaimOverride(db.Model):
    """A named override of the blocking checks of one round of a claim's checks, with the
    written reason, recorded by someone other than the claim's first reviewer. Without it
    a blocked claim cannot be approved at any stage (domain.md, Integrity rules)."""
    __tablename__ = "claim_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), nullable=False, index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    checks: Mapped[str] = mapped_column(Text, nullable=False)      # JSON list of check names
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    overridden_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    overridden_by = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("claim_id", "round",
                                       name="uq_claim_overrides_once_per_round"),)

    @property
    def check_names(self):
        import json
        return json.loads(self.checks or "[]")
