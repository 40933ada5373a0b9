"""Outbox consumers of the claim workflow."""
from marketplace.claims import services
from marketplace.core import outbox


@outbox.handler("claims.submitted")
def start_claim_checks(claim_id):
    services.start_checks(claim_id)


@outbox.handler("claims.run_check")
def run_claim_check(claim_id, round, name):
    services.run_check(claim_id, round, name)


@outbox.handler("claims.stage_entered")
def tell_reviewer_of_stage(claim_id):
    from marketplace.claims.notices import tell_stage_reviewers

    tell_stage_reviewers(claim_id)


@outbox.handler("claims.decided")
def tell_parties_of_decision(claim_id, stage, decision):
    from marketplace.claims.notices import tell_decision

    tell_decision(claim_id, stage, decision)
