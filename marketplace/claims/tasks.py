"""Outbox consumers of the claim workflow."""
from marketplace.claims import services
from marketplace.core import outbox


@outbox.handler("claims.submitted")
def start_claim_checks(claim_id):
    services.start_checks(claim_id)


@outbox.handler("claims.run_check")
def run_claim_check(claim_id, round, name):
    services.run_check(claim_id, round, name)


@outbox.handler("claims.recheck")
def recheck_claim(claim_id, reason, **context):
    from marketplace.claims import rechecks

    rechecks.start(claim_id, reason, **context)


@outbox.handler("claims.rechecked")
def tell_reviewer_of_recheck(claim_id):
    from marketplace.claims.notices import tell_recheck_found

    tell_recheck_found(claim_id)


@outbox.handler("claims.stage_entered")
def tell_reviewer_of_stage(claim_id):
    from marketplace.claims.notices import tell_stage_reviewers

    tell_stage_reviewers(claim_id)


@outbox.handler("claims.decided")
def tell_parties_of_decision(claim_id, stage, decision):
    from marketplace.claims.notices import tell_decision

    tell_decision(claim_id, stage, decision)


@outbox.handler("claims.reminder")
def remind_stage_reviewer(claim_id):
    from marketplace.claims.notices import tell_stage_reviewers

    tell_stage_reviewers(claim_id, kind="claim_review_reminder")


@outbox.handler("claims.overdue")
def escalate_overdue_claim(claim_id):
    from marketplace.claims.notices import tell_supervisors_of_overdue

    tell_supervisors_of_overdue(claim_id)


@outbox.handler("claims.disbursed")
def tell_agency_of_disbursement(claim_id):
    from marketplace.claims.notices import tell_disbursed

    tell_disbursed(claim_id)


@outbox.handler("claims.expert_invited")
def tell_expert_of_invitation(invitation_id):
    from marketplace.claims.notices import tell_expert_invited

    tell_expert_invited(invitation_id)


@outbox.handler("claims.batch_line_removed")
def tell_supervisors_of_removed_line(batch_id, line_id):
    from marketplace.claims.notices import tell_line_removed

    tell_line_removed(batch_id, line_id)


@outbox.handler("claims.changed_at_bank")
def tell_supervisors_of_change_at_bank(batch_id, line_id, change=""):
    from marketplace.claims.notices import tell_changed_at_bank

    tell_changed_at_bank(batch_id, line_id, change)


@outbox.handler("claims.bank_not_paid")
def tell_supervisors_of_unpaid_payees(batch_id, result_id):
    from marketplace.claims.notices import tell_bank_not_paid

    tell_bank_not_paid(batch_id, result_id)


@outbox.handler("claims.recovery_owed")
def tell_of_recovery(recovery_id):
    from marketplace.claims.notices import tell_recovery_owed

    tell_recovery_owed(recovery_id)
