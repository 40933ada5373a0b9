"""A reinstatement is a fresh start: only no-shows of invitations sent after the latest
reinstatement count toward the automatic suspension (three within a year), while the pool's
record still shows every no-show of the year and says which ones the rule counts."""
from datetime import timedelta

from marketplace.claims import experts
from marketplace.claims.expert_models import ExpertProfile
from marketplace.core.timeutil import now_utc
from marketplace.experts import profiles as expert_pool
from marketplace.extensions import db
from tests.integration.claims.builders import page_text, person, signed_in
from tests.integration.claims.test_experts import large_claim_at_experts, make_expert


def miss_one_claim(auditor, number):
    """A large claim draws the only expert of the field, who lets it lapse."""
    large_claim_at_experts(auditor, invoice=f"FRESH-{number}")
    experts.expire_silent_experts(at=now_utc() + timedelta(hours=49))
    db.session.commit()


def reloaded(profile):
    db.session.expire_all()
    return db.session.get(ExpertProfile, profile.user_id)


def test_after_a_reinstatement_only_new_no_shows_count_toward_suspension(auditor):
    admin = person("admin")
    expert = make_expert()
    for number in range(3):
        miss_one_claim(auditor, number)
    expert = reloaded(expert)
    assert expert.is_suspended

    expert_pool.reinstate(admin, expert, "已说明缺席原因")
    db.session.commit()
    assert reloaded(expert).reinstated_dt is not None

    miss_one_claim(auditor, 3)
    expert = reloaded(expert)
    assert not expert.is_suspended
    at = now_utc()
    assert experts.no_shows_in_year(expert.user_id, at) == 4
    assert experts.no_shows_toward_suspension(expert, at) == 1
    record = expert_pool.records_of([expert.user_id])[expert.user_id]
    assert (record.no_shows_last_year, record.no_shows_counted) == (4, 1)
    assert record.counts_fewer_no_shows
    page = page_text(signed_in(admin).get(f"/experts/{expert.user_id}"))
    assert "1 since the reinstatement" in page
    assert "only these count toward the automatic suspension" in page

    miss_one_claim(auditor, 4)
    assert not reloaded(expert).is_suspended
    miss_one_claim(auditor, 5)
    expert = reloaded(expert)
    assert expert.is_suspended
    assert expert.suspension_reason == "three no-shows within a year"


def test_an_expert_never_reinstated_counts_every_no_show_of_the_year(auditor):
    expert = make_expert()
    miss_one_claim(auditor, 0)
    record = expert_pool.records_of([expert.user_id])[expert.user_id]
    assert (record.no_shows_last_year, record.no_shows_counted) == (1, 1)
    assert not record.counts_fewer_no_shows
    assert experts.no_shows_toward_suspension(reloaded(expert), now_utc()) == 1
