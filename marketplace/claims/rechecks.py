"""Checking an open claim again: when a party's facts change (a new version approved)
or a later claim finds that this one belongs to a split order. A recheck is a new round of
every check, on the facts pinned at signing and the current ones; its results replace the
claim's blocked and flagged marks without moving it out of its review stage, and the
reviewer of the stage is told when a round finds what the one before did not."""
from sqlalchemy import select

from marketplace.claims import checks
from marketplace.claims.models import CheckResult, Claim, ClaimCheck, ClaimStatus
from marketplace.core import audit, outbox
from marketplace.extensions import db

REVIEW_STAGES = (ClaimStatus.FIRST_REVIEW, ClaimStatus.EXPERT_REVIEW,
                 ClaimStatus.FINAL_APPROVAL)
# a submitted claim is about to be checked anyway, a returned one is checked again when
# it comes back
RECHECKABLE_STATUSES = (ClaimStatus.CHECKING,) + REVIEW_STAGES


def start(claim_id, reason, **context):
    """A new round of checks for an open claim (none for a claim no longer open)."""
    from marketplace.claims.services import lock_claim

    claim = lock_claim(claim_id)
    if claim.status not in RECHECKABLE_STATUSES:
        return None
    claim.check_round += 1
    audit.record(claim, "recheck", data={"round": claim.check_round, "reason": reason,
                                         **context})
    from marketplace.claims.services import run_round

    run_round(claim, claim.check_round)
    return claim


def request(claim_ids, reason, **context):
    """Ask for rechecks after commit (one outbox message each)."""
    for claim_id in claim_ids:
        outbox.emit("claims.recheck", claim_id=claim_id, reason=reason, **context)


def conclude(claim, round_):
    """The last check of a recheck round of a claim under review: its results become the
    claim's marks (once: a round already concluded is left)."""
    from marketplace.extensions import db

    if claim.status not in REVIEW_STAGES or claim.rechecked_round == round_:
        return claim
    results = db.session.execute(select(ClaimCheck.name, ClaimCheck.result).where(
        ClaimCheck.claim_id == claim.id, ClaimCheck.round == round_)).all()
    if len(results) < len(checks.CHECKS):
        return claim
    blocked = [r.name for r in results if r.result == CheckResult.BLOCK]
    flagged = [r.name for r in results if r.result == CheckResult.FLAG]
    worse = (bool(blocked) and not claim.is_blocked) or (bool(flagged) and not claim.is_flagged)
    claim.is_blocked, claim.is_flagged = bool(blocked), bool(flagged)
    claim.rechecked_round = round_
    audit.record(claim, "rechecks_done",
                 data={"round": round_, "blocked": blocked, "flagged": flagged})
    if worse:
        # told in this transaction (the mail after commit), not by a message of its own
        from marketplace.claims.notices import tell_recheck_found

        tell_recheck_found(claim.id)
    return claim


def latest_result(claim_id, name):
    """The result of check ``name`` in the claim's current round, or None."""

    return db.session.execute(select(ClaimCheck.result).join(
        Claim, (Claim.id == ClaimCheck.claim_id) & (Claim.check_round == ClaimCheck.round))
        .where(ClaimCheck.claim_id == claim_id, ClaimCheck.name == name)).scalar()


def wants_split_recheck(claim_id):
    """An earlier claim of a split not yet flagged as one."""
    return latest_result(claim_id, "split_order") != CheckResult.FLAG


def recheck_open_claims(organisation, *, version):
    """The open claims of a party whose facts just changed are checked again (after
    commit, one outbox message each): a related party hidden by a change after signing is
    found on the pinned facts, one made by the change on the new ones. Hears
    ``accounts.signals.organisation_changed`` (connected by ``claims.init_app``)."""
    claim_ids = db.session.execute(select(Claim.id).where(
        (Claim.firm_id == organisation.id) | (Claim.agency_id == organisation.id),
        Claim.status.in_(RECHECKABLE_STATUSES)).order_by(Claim.id)).scalars().all()
    for claim_id in claim_ids:
        outbox.emit("claims.recheck", claim_id=claim_id, reason="party_changed",
                    organisation_id=organisation.id, version_id=version.id)
    return claim_ids
