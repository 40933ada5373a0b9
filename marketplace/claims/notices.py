"""Who hears of each step of a claim."""
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core.money import format_fen
from marketplace.core.timeutil import bureau_time_text, local_date
from marketplace.extensions import db
from marketplace.notifications.services import active_members, active_staff, notify


def tell_stage_reviewers(claim_id, kind=None):
    kind_override = kind
    claim = db.session.get(Claim, claim_id)
    params = {"claim": claim.id, "amount": format_fen(claim.amount_fen),
              "firm": claim.order.firm.name,
              "since": (local_date(claim.stage_started_dt).isoformat()
                        if claim.stage_started_dt else "-")}
    link = f"/claims/{claim.id}"
    if claim.status == ClaimStatus.FIRST_REVIEW:
        reviewers = ([db.session.get(User, claim.assigned_auditor_id)]
                     if claim.assigned_auditor_id else active_staff(Role.AUDITOR))
        kind = "claim_blocked_to_review" if claim.is_blocked else "claim_to_review"
    elif claim.status == ClaimStatus.FINAL_APPROVAL:
        reviewers = [u for u in active_staff(Role.SUPERVISOR)
                     if u.id != claim.first_reviewer_id]
        kind = "claim_to_approve"
    else:
        return
    for reviewer in reviewers:
        notify(reviewer, kind_override or kind, link=link, **params)


def tell_decision(claim_id, stage, decision):
    claim = db.session.get(Claim, claim_id)
    params = {"claim": claim.id, "amount": format_fen(claim.amount_fen),
              "comment": claim.return_comment or "-"}
    link = f"/claims/{claim.id}"
    if decision == "approve" and claim.status in (ClaimStatus.EXPERT_REVIEW,
                                                  ClaimStatus.FINAL_APPROVAL):
        tell_stage_reviewers(claim_id)
        return
    kind = {"approve": "claim_approved", "reject": "claim_rejected",
            "return": "claim_returned"}[decision]
    for organisation_id in (claim.firm_id, claim.agency_id):
        for member in active_members(organisation_id):
            notify(member, kind, link=link, **params)


def tell_supervisors_of_overdue(claim_id):
    claim = db.session.get(Claim, claim_id)
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "claim_overdue", link=f"/claims/{claim.id}", claim=claim.id,
               stage=claim.status.value, due_on=claim.stage_due_on.isoformat())


def tell_disbursed(claim_id):
    claim = db.session.get(Claim, claim_id)
    for member in active_members(claim.agency_id):
        notify(member, "claim_disbursed", link=f"/claims/{claim.id}", claim=claim.id,
               amount=format_fen(claim.amount_fen))


def tell_expert_invited(invitation_id):
    from marketplace.claims.expert_models import ExpertInvitation

    invitation = db.session.get(ExpertInvitation, invitation_id)
    notify(invitation.expert.user, "expert_invited", link=f"/claims/{invitation.claim_id}",
           claim=invitation.claim_id,
           respond_by=bureau_time_text(invitation.respond_by_dt))


_LINE_NAMES = {"voucher_part": "claim #{claim_id}", "copay": "the co-pay of order #{order_id}",
               "recovery": "the deduction of recovery #{recovery_id}"}


def tell_line_removed(batch_id, line_id):
    from marketplace.claims.models import DisbursementBatch, DisbursementLine

    batch = db.session.get(DisbursementBatch, batch_id)
    line = db.session.get(DisbursementLine, line_id)
    name = _LINE_NAMES[line.kind.value].format(claim_id=line.claim_id, order_id=line.order_id,
                                               recovery_id=line.recovery_id)
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "payout_batch_line_removed", link=f"/disbursements/{batch.id}",
               batch=batch.id, line=name, reason=line.removed_reason or "",
               total=format_fen(batch.total_fen), count=batch.line_count)


def tell_changed_at_bank(batch_id, line_id, change):
    """A refund or a void touched a line of a batch whose file is at the bank: the batch
    stays as the bank has it, and the change (the void's reason, the amount refunded, as
    they were when it happened) is settled by the bank's answer."""
    from marketplace.claims.models import DisbursementLine

    line = db.session.get(DisbursementLine, line_id)
    name = _LINE_NAMES[line.kind.value].format(claim_id=line.claim_id, order_id=line.order_id,
                                               recovery_id=line.recovery_id)
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "payout_changed_at_bank", link=f"/disbursements/{batch_id}",
               batch=batch_id, line=name, change=change)


def tell_bank_not_paid(batch_id, result_id):
    """The bank's answer left payees unpaid: the supervisors put them in a next batch."""
    from marketplace.accounts.models import Organisation
    from marketplace.claims.models import BankOutcome, BankResult, DisbursementLine

    lines = db.session.execute(select(DisbursementLine).where(
        DisbursementLine.bank_result_id == result_id,
        DisbursementLine.bank_outcome != BankOutcome.PAID)
        .order_by(DisbursementLine.agency_id, DisbursementLine.id)).scalars().all()
    if db.session.get(BankResult, result_id) is None or not lines:
        return
    unpaid = {}
    for line in lines:
        unpaid.setdefault(line.agency_id, line)
    names = {o.id: o.name for o in db.session.execute(select(Organisation).where(
        Organisation.id.in_(list(unpaid)))).scalars()}
    # the bank's own words for why (its reason), not our status codes
    payees = "; ".join(names[agency_id] + (f" ({line.bank_reason})" if line.bank_reason
                                           else "")
                       for agency_id, line in unpaid.items())
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "payout_bank_not_paid", link=f"/disbursements/{batch_id}",
               batch=batch_id, count=len(unpaid), payees=payees)


def tell_recovery_owed(recovery_id):
    from marketplace.accounts.models import Organisation
    from marketplace.funds.models import Recovery

    recovery = db.session.get(Recovery, recovery_id)
    agency = db.session.get(Organisation, recovery.agency_id)
    params = {"agency": agency.name, "amount": format_fen(recovery.amount_fen),
              "reason": recovery.reason}
    for person in active_members(recovery.agency_id):
        notify(person, "payout_recovery_owed", link="/", **params)
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "payout_recovery_owed", link="/disbursements/recoveries",
               **params)


def tell_recheck_found(claim_id):
    """A recheck during review found a block or a flag the claim did not have: its
    auditor (or, at final approval, the supervisors who may decide it) should look."""
    claim = db.session.get(Claim, claim_id)
    if claim.status == ClaimStatus.FINAL_APPROVAL:
        readers = [u for u in active_staff(Role.SUPERVISOR) if u.id != claim.first_reviewer_id]
    elif claim.assigned_auditor_id:
        readers = [db.session.get(User, claim.assigned_auditor_id)]
    else:
        readers = active_staff(Role.AUDITOR)
    for reader in readers:
        notify(reader, "claim_recheck_found", link=f"/claims/{claim.id}", claim=claim.id,
               firm=claim.order.firm.name, amount=format_fen(claim.amount_fen))
