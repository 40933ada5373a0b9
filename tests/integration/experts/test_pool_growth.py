"""The expert pool grows: people apply, an auditor admits them (an account, a profile, their
declared ties) or rejects them; the pool's share from outside the province against the
admin's target; a large claim's panel includes an expert from outside the province when the
year's setting asks; the yearly assessment removes the not competent."""
from datetime import date

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.agencies.models import ServiceCategory
from marketplace.claims import experts
from marketplace.claims.expert_models import ExpertConflict, ExpertProfile, ExpertStatus
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import ValidationFailed
from marketplace.experts import assessment, pool, services
from marketplace.core.assessments import Grade
from marketplace.experts.models import ApplicationStatus
from marketplace.extensions import db
from marketplace.notifications.models import Notification, SentMail
from tests.factories import FirmFactory, FirmMemberFactory, staff
from tests.integration.claims.test_claim_workflow import settle
from tests.integration.claims.test_experts import large_claim_at_experts, make_expert


def category_testing():
    return db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == "testing")).scalar_one()


def apply(email="li.hua@sjtu.example.cn", province="31", **changes):
    return services.apply(**{
        "email": email, "name": "李华", "title": "教授", "organisation_name": "上海交通大学",
        "province": province, "category_ids": [category_testing().id], **changes})


def test_an_admitted_applicant_gets_an_account_a_profile_and_the_declared_ties(auditor):
    tied = FirmFactory()
    application = apply(conflict_codes=f"{tied.uscc}\n91310000000000000X",
                        declared_conflicts="曾为该企业顾问")
    assert services.declared_organisations(application)[1] == ["91310000000000000X"]
    profile = services.admit(application, auditor)
    assert application.status == ApplicationStatus.ADMITTED
    assert profile.user.role == Role.EXPERT and profile.user.email == "li.hua@sjtu.example.cn"
    assert (profile.province, [c.code for c in profile.fields]) == ("31", ["testing"])
    assert profile.pool_status == ExpertStatus.ACTIVE
    assert [c.organisation_id for c in db.session.query(ExpertConflict)] == [tied.id]
    settle(application)
    # "application received", then the admission (the inbox's notice, mailed)
    assert db.session.query(SentMail).filter_by(
        recipient="li.hua@sjtu.example.cn").count() == 2
    assert [n.kind for n in db.session.query(Notification).filter_by(
        user_id=profile.user_id)] == ["expert_admitted"]


def _full_width(text):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_credit_codes_typed_in_full_width_name_the_ties_and_the_employer(auditor):
    """A credit code typed with a Chinese input method in its full-width mode is the same
    code: a declared tie written so must still keep the expert out of that firm's draws,
    and the employer's code must find the employer."""
    tied, employer = FirmFactory(), FirmFactory()
    application = apply(conflict_codes=f" {_full_width(tied.uscc.lower())} ",
                        organisation_code=_full_width(employer.uscc))
    assert services.declared_organisations(application) == ([tied], [])
    profile = services.admit(application, auditor)
    assert profile.organisation_id == employer.id
    assert [c.organisation_id for c in db.session.query(ExpertConflict)] == [tied.id]


def test_a_rejection_needs_a_reason_and_tells_the_applicant(auditor):
    application = apply()
    with pytest.raises(ValidationFailed):
        services.reject(application, auditor, "")
    services.reject(application, auditor, "研究方向与专家库需要不符")
    settle(application)
    assert db.session.query(SentMail).filter_by(
        recipient="li.hua@sjtu.example.cn").count() == 2


def test_one_pending_application_per_address_and_no_member_account(auditor):
    apply()
    with pytest.raises(services.AlreadyApplied):
        apply()
    member = FirmMemberFactory()
    with pytest.raises(services.AlreadyInPool):
        apply(email=member.email)
    with pytest.raises(ValidationFailed):
        apply(email="x@example.com", province="99")


def test_the_share_from_outside_the_province_against_the_years_target(app, auditor):
    for province in ("36", "36", None, "42"):
        make_expert().province = province
    removed = make_expert()
    removed.province = "44"
    services.remove_from_pool(removed, auditor, "不称职")
    share = pool.pool_share(2026)
    assert (share.total, share.out_of_province) == (4, 1)
    assert share.share_bp == 2500 and share.target_bp == \
        app.config["EXPERT_OUT_OF_PROVINCE_TARGET_BP"]
    pool.set_setting(2026, staff("admin"), out_of_province_target_bp=4000,
                     require_out_of_province=True)
    assert pool.pool_share(2027).target_bp == 4000          # carried into the next year
    assert pool.requires_out_of_province(2027)


def test_a_large_claims_panel_includes_an_expert_from_outside_the_province(auditor):
    home = [make_expert() for _ in range(6)]
    for profile in home:
        profile.province = "36"
    outside = make_expert()
    outside.province = "31"
    pool.set_setting(date.today().year, staff("admin"), out_of_province_target_bp=3000,
                     require_out_of_province=True)
    for invoice in ("FP-1", "FP-2", "FP-3"):
        claim = large_claim_at_experts(auditor, invoice=invoice)
        drawn = {i.expert_id for i in experts.invitations_of(claim)}
        assert outside.user_id in drawn and len(drawn) == 3


def test_without_an_outside_expert_the_panel_is_drawn_and_the_claim_says_so(auditor):
    for _ in range(3):
        make_expert().province = "36"
    pool.set_setting(date.today().year, staff("admin"), out_of_province_target_bp=3000,
                     require_out_of_province=True)
    claim = large_claim_at_experts(auditor)
    assert len(experts.invitations_of(claim)) == 3
    db.session.commit()
    assert db.session.query(AuditRecord).filter_by(
        object_type="Claim", object_id=str(claim.id),
        action="panel_without_outside_expert").count() == 1


def test_an_expert_who_declined_the_claim_of_a_party_they_are_tied_to_is_no_late_conflict(
        auditor):
    """Declining is how an expert steps aside from a party they are tied to; the tie the
    bureau records afterwards (so the draw avoids it) is a disclosure, not a conflict
    found later: the expert is not graded not competent nor removed for it."""
    panel = [make_expert() for _ in range(4)]
    claim = large_claim_at_experts(auditor)
    invited = experts.invitations_of(claim)
    honest = next(p for p in panel if p.user_id == invited[0].expert_id)
    experts.respond(invited[0], honest.user, accept=False)
    db.session.add(ExpertConflict(expert_id=honest.user_id, organisation_id=claim.firm_id,
                                  note="专家回避：曾任该企业顾问"))
    db.session.flush()
    year = date.today().year
    assert experts.assessment_inputs(year)[honest.user_id]["late_conflicts"] == 0
    rows = {row.expert_id: row for row in assessment.compute(year, auditor)}
    assert rows[honest.user_id].grade != Grade.NOT_COMPETENT


def test_a_tie_found_after_the_draw_removes_the_expert_once_confirmed(auditor):
    panel = [make_expert() for _ in range(3)]
    claim = large_claim_at_experts(auditor)
    for invitation in experts.invitations_of(claim):
        experts.respond(invitation, invitation.expert.user, accept=True)
    late = panel[0]
    db.session.add(ExpertConflict(expert_id=late.user_id, organisation_id=claim.firm_id,
                                  note="后来发现是该企业股东"))
    year = date.today().year
    inputs = experts.assessment_inputs(year)
    assert inputs[late.user_id]["late_conflicts"] == 1
    assert inputs[panel[1].user_id] == {"invitations": 1, "answered_in_time": 1,
                                        "no_shows": 0, "scored": 0, "distances_x100": [],
                                        "late_conflicts": 0}
    rows = {row.expert_id: row for row in assessment.compute(year, auditor)}
    assert rows[late.user_id].grade == Grade.NOT_COMPETENT
    assert rows[panel[1].user_id].grade == Grade.COMPETENT
    assessment.confirm(rows[late.user_id], staff("supervisor"))
    assert late.pool_status == ExpertStatus.REMOVED and "1" in late.removal_reason
    settle(claim)
    assert db.session.query(Notification).filter_by(
        user_id=late.user_id, kind="expert_removed").count() == 1
    # a removed expert may apply again and be admitted afresh
    application = apply(email=late.user.email)
    assert services.admit(application, auditor).pool_status == ExpertStatus.ACTIVE
    assert db.session.get(ExpertProfile, late.user_id).removal_reason is None


@pytest.mark.postgres
def test_the_years_expert_assessments_computed_twice_at_once_are_one_each(app, auditor):
    """A double click on "compute" (or two auditors at once): both found no row of an
    expert and the second insert broke its unique key, a 500. The second now waits."""
    from marketplace.accounts.models import User
    from marketplace.experts.models import ExpertAssessment
    from tests.support.races import at_once

    [make_expert() for _ in range(3)]
    claim = large_claim_at_experts(auditor)
    for invitation in experts.invitations_of(claim):
        experts.respond(invitation, invitation.expert.user, accept=True)
    db.session.commit()
    year, auditor_id = date.today().year, auditor.id
    outcomes = at_once(app, [(lambda: (db.session.get(User, auditor_id),),
                              lambda user: assessment.compute(year, user))] * 2)
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(ExpertAssessment).filter_by(year=year).count() == 3


@pytest.mark.postgres
def test_an_application_to_the_pool_sent_twice_at_once_is_one_application(app):
    """A double click on "apply": both found no waiting application of the address and
    both were made, two rows in the auditors' queue for one person."""
    from marketplace.experts.models import ExpertApplication
    from tests.support.races import at_once

    category_id = category_testing().id
    db.session.commit()

    def act():
        services.apply(email="twice@example.cn", name="王五", title="教授",
                       organisation_name="南昌大学", province="36",
                       category_ids=[category_id])

    outcomes = at_once(app, [(lambda: (), act)] * 2)
    assert sorted(outcomes) == ["already_applied", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(ExpertApplication).filter_by(email="twice@example.cn").count() == 1


@pytest.mark.postgres
def test_the_years_pool_setting_saved_twice_at_once_is_one_row(app):
    from marketplace.accounts.models import User
    from marketplace.experts.models import PoolSetting
    from tests.support.races import at_once

    admin = staff("admin")
    db.session.commit()
    admin_id = admin.id
    outcomes = at_once(app, [(lambda: (db.session.get(User, admin_id),),
                              lambda user: pool.set_setting(
                                  2031, user, out_of_province_target_bp=4000,
                                  require_out_of_province=True))] * 2)
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(PoolSetting).filter_by(year=2031).count() == 1


def test_declared_ties_are_read_as_typed_full_width_lower_case_or_on_one_line(auditor):
    """A tie declared with a Chinese input method (full-width characters), in lower case,
    with spaces inside or several on one line separated by commas is still a tie: the
    expert is never drawn for that organisation's claims."""
    def full_width(text):
        return "".join(chr(ord(c) + 0xFEE0) for c in text)

    first, second, third = FirmFactory(), FirmFactory(), FirmFactory()
    spaced = " ".join(third.uscc[i:i + 6] for i in range(0, 18, 6)).lower()
    application = apply(conflict_codes=f"{full_width(first.uscc)}，{second.uscc.lower()}；"
                                       f"91310000000000000X\n{spaced}")
    assert services.declared_organisations(application)[1] == ["91310000000000000X"]
    services.admit(application, auditor)
    assert sorted(c.organisation_id for c in db.session.query(ExpertConflict)) == sorted(
        [first.id, second.id, third.id])


def test_the_employer_and_a_recorded_tie_are_found_by_a_code_typed_full_width(auditor):
    employer, tied = FirmFactory(), FirmFactory()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in employer.uscc)
    application = apply(organisation_code=full_width)
    profile = services.admit(application, auditor)
    assert profile.organisation_id == employer.id
    from marketplace.experts import profiles
    profiles.record_conflict(staff("admin"), profile, reason="曾任顾问",
                             organisation_code=" ".join(tied.uscc[i:i + 6]
                                                        for i in range(0, 18, 6)))
    assert [c.organisation_id for c in db.session.query(ExpertConflict)] == [tied.id]
