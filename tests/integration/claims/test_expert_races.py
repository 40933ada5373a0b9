"""Issue 18, item 10 and found item 12: an expert's answer and score are read and written
under the claim's and the invitation's row locks. Two declines of one invitation at once
drew two replacements; a second score at once overwrote the first. Raced ROUNDS times on
PostgreSQL, each thread having loaded the invitation before any of them acts."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from marketplace.accounts.models import User
from marketplace.claims import experts
from marketplace.claims.expert_models import ExpertInvitation, InvitationState
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core.audit import AuditRecord
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import staff
from tests.integration.claims.test_experts import large_claim_at_experts, make_expert
from tests.support.races import at_once

pytestmark = pytest.mark.postgres
ROUNDS = 10


def _loader(invitation_id):
    def load():
        invitation = db.session.get(ExpertInvitation, invitation_id)
        return invitation, db.session.get(User, invitation.expert_id)
    return load


def _audited(invitation_id, action):
    return db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.object_type == "ExpertInvitation",
        AuditRecord.object_id == str(invitation_id), AuditRecord.action == action))


def _live(claim_id):
    return db.session.scalar(select(func.count()).select_from(ExpertInvitation).where(
        ExpertInvitation.claim_id == claim_id,
        ExpertInvitation.status.in_(experts.LIVE_STATES)))


def test_two_declines_at_once_draw_one_replacement(app):
    for _ in range(3 + ROUNDS + 2):
        make_expert()
    claim_id = large_claim_at_experts(staff("auditor")).id
    db.session.commit()

    def decline(invitation, expert):
        experts.respond(invitation, expert, accept=False)

    for round_ in range(ROUNDS):
        invitation_id = db.session.scalars(select(ExpertInvitation.id).where(
            ExpertInvitation.claim_id == claim_id,
            ExpertInvitation.status == InvitationState.INVITED)
            .order_by(ExpertInvitation.id)).first()
        outcomes = at_once(app, [(_loader(invitation_id), decline)] * 2)
        db.session.expire_all()
        assert sorted(outcomes) == ["invalid_transition", "ok"], (round_, outcomes)
        assert _audited(invitation_id, "decline") == 1
        assert _live(claim_id) == 3, f"round {round_}: a decline drew two replacements"
        assert db.session.scalar(select(func.count()).select_from(ExpertInvitation).where(
            ExpertInvitation.claim_id == claim_id)) == 3 + round_ + 1


def test_a_second_score_at_once_does_not_overwrite_the_first(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLAIM_EXPERT_PANEL", ROUNDS + 1)
    for _ in range(ROUNDS + 1):
        make_expert()
    claim = large_claim_at_experts(staff("auditor"))
    for invitation in experts.invitations_of(claim):
        experts.respond(invitation, invitation.expert.user, accept=True)
    db.session.commit()
    invitation_ids = [i.id for i in experts.invitations_of(claim)]
    marks = [(1, 2, 1), (5, 4, 5)]

    def scorer(values):
        def act(invitation, expert):
            experts.score(invitation, expert, necessity=values[0],
                          price_reasonableness=values[1], delivery_quality=values[2],
                          comment=f"scored {values}")
        return act

    for round_, invitation_id in enumerate(invitation_ids[:ROUNDS]):
        outcomes = at_once(app, [(_loader(invitation_id), scorer(m)) for m in marks])
        db.session.expire_all()
        assert sorted(outcomes) == ["invalid_transition", "ok"], (round_, outcomes)
        winner = marks[outcomes.index("ok")]
        scored = db.session.get(ExpertInvitation, invitation_id)
        assert (scored.necessity, scored.price_reasonableness, scored.delivery_quality,
                scored.comment) == (*winner, f"scored {winner}"), round_
        assert _audited(invitation_id, "score") == 1
    assert db.session.get(Claim, claim.id).status == ClaimStatus.EXPERT_REVIEW


def _waiting_for_a_lock():
    db.session.rollback()
    return db.session.scalar(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.datname = current_database()"))


def test_a_no_show_is_not_recorded_over_an_answer_given_meanwhile(app):
    """The nightly expiry lists the overdue invitations, then waits for a claim's lock
    while the expert's acceptance commits: it must read the invitation again, not record
    a no-show over the answer."""
    for _ in range(4):
        make_expert()
    claim = large_claim_at_experts(staff("auditor"))
    db.session.commit()
    claim_id, late = claim.id, now_utc() + timedelta(hours=49)
    answered = experts.invitations_of(claim)[0].id
    holder = db.engine.connect()      # holds the claim, as an answer in progress does
    holding = holder.begin()
    expired = []
    try:
        holder.execute(select(Claim.id).where(Claim.id == claim_id).with_for_update())
        nightly = threading.Thread(target=lambda: expired.append(_expire(app, late)))
        nightly.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_a_lock():
            assert time.monotonic() < deadline, "the expiry never reached the claim"
            time.sleep(0.05)
        holder.execute(update(ExpertInvitation).where(ExpertInvitation.id == answered)
                       .values(status=InvitationState.ACCEPTED, responded_dt=now_utc()))
        holding.commit()
        nightly.join(timeout=30)
    finally:
        if holding.is_active:
            holding.rollback()
        holder.close()
    [expired_ids] = expired
    assert answered not in expired_ids and len(expired_ids) == 2
    db.session.expire_all()
    assert db.session.get(ExpertInvitation, answered).status == InvitationState.ACCEPTED
    assert _audited(answered, "expire") == 0


def _expire(app, at):
    with app.app_context():
        try:
            expired = experts.expire_silent_experts(at=at)
            db.session.commit()
            return expired
        finally:
            db.session.remove()
