"""The expert pool kept by the bureau: profiles with fields and organisation, each
expert's record, ties to organisations and the expert's own organisation out of the
draws, suspension and a confirmed, audited reinstatement; final decisions leave no stage
deadline; the demo pool draws a full panel."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, Role, User
from marketplace.agencies.models import ServiceCategory
from marketplace.claims import experts, services
from marketplace.claims.expert_models import (ExpertConflict, ExpertInvitation,
                                              ExpertProfile, InvitationState)
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.core.audit import AuditRecord
from marketplace.core.timeutil import now_utc
from marketplace.experts import profiles as expert_pool
from marketplace.extensions import db
from tests.support.copay import record_paid_copay
from tests.factories import FirmFactory
from tests.integration.claims.builders import (checked, claim_at_final_approval,
                                               claim_at_first_review, page_text, person,
                                               quiet, reload, signed_in)


def category(code):
    return db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == code)).scalar_one()


def pool_expert(name, field="testing"):
    user = person("expert", name=name)
    profile = ExpertProfile(user_id=user.id, title="教授", fields=[category(field)])
    db.session.add(profile)
    db.session.commit()
    return profile


@pytest.fixture
def admin():
    found = person("admin")
    db.session.commit()
    return found


def audit_rows(profile, action):
    return db.session.execute(select(AuditRecord).where(
        AuditRecord.object_type == "ExpertProfile",
        AuditRecord.object_id == str(profile.user_id),
        AuditRecord.action == action)).scalars().all()


def test_the_admin_adds_an_expert_and_a_refused_form_keeps_what_was_typed(admin):
    employer = FirmFactory()
    db.session.commit()
    browser = signed_in(admin)
    typed = {"email": "wang.expert@example.com", "name": "王专家", "password": "secret-123",
             "title": "教授级高工", "field_ids": [str(category("ip").id),
                                                   str(category("testing").id)],
             "organisation_code": "91360000000000000X"}
    refused = browser.post("/experts/new", data=typed)
    assert refused.status_code == 422
    shown = page_text(refused)
    assert "wang.expert@example.com" in shown and "教授级高工" in shown
    assert "No organisation on the platform has this credit code." in shown
    assert db.session.execute(select(User).where(
        User.email == "wang.expert@example.com")).first() is None

    response = browser.post("/experts/new", data={**typed,
                                                  "organisation_code": employer.uscc})
    assert response.status_code == 302
    user = db.session.execute(select(User).where(
        User.email == "wang.expert@example.com")).scalar_one()
    profile = reload(ExpertProfile, user.id)
    assert user.role == Role.EXPERT and profile.organisation_id == employer.id
    assert {c.code for c in profile.fields} == {"ip", "testing"}
    assert json.loads(audit_rows(profile, "create")[0].data)["fields"] == ["ip", "testing"]
    # a second profile for the same account is refused on the e-mail field
    again = browser.post("/experts/new", data=typed | {"organisation_code": ""})
    assert again.status_code == 409 and "already in the pool" in page_text(again)


def test_the_list_filters_by_field_and_state_for_a_supervisor(admin):
    tester, lawyer = pool_expert("Expert Tester"), pool_expert("Expert Lawyer", "ip")
    expert_pool.suspend(admin, lawyer, "三次未响应")
    db.session.commit()
    supervisor = person("supervisor")
    db.session.commit()
    browser = signed_in(supervisor)
    by_field = page_text(browser.get(f"/experts?field={category('testing').id}"))
    assert "Expert Tester" in by_field and "Expert Lawyer" not in by_field
    suspended = page_text(browser.get("/experts?status=suspended"))
    assert "Expert Lawyer" in suspended and "Expert Tester" not in suspended
    assert "Add an expert" not in suspended     # supervisors read, the admin keeps
    page = page_text(browser.get(f"/experts/{tester.user_id}"))
    assert "Edit the profile" not in page and "Suspend from draws" not in page


def test_the_record_counts_answers_no_shows_and_scores(admin, auditor):
    panel = [pool_expert(f"Expert {n}") for n in ("Scorer", "Decliner", "Silent")]
    claim = claim_at_first_review(auditor, amount_fen=200_000_00)
    services.decide(claim, auditor, "approve")
    invitations = {i.expert_id: i for i in experts.invitations_of(claim)}
    for invitation in invitations.values():
        invitation.invited_dt = now_utc() - timedelta(hours=10)
    scorer, decliner, silent = (p.user for p in panel)
    experts.respond(invitations[scorer.id], scorer, accept=True)
    experts.score(invitations[scorer.id], scorer, necessity=5, price_reasonableness=4,
                  delivery_quality=3, comment="合理")
    experts.respond(invitations[decliner.id], decliner, accept=False)
    experts.expire_silent_experts(at=now_utc() + timedelta(hours=49))
    db.session.commit()
    quiet()
    records = expert_pool.records_of([p.user_id for p in panel])
    assert (records[scorer.id].invitations, records[scorer.id].accepted,
            records[scorer.id].scored, records[scorer.id].mean_score_x100) == (1, 1, 1, 400)
    assert records[scorer.id].mean_response_hours == pytest.approx(10.0, abs=0.1)
    assert (records[decliner.id].declined, records[decliner.id].accepted) == (1, 0)
    assert (records[silent.id].no_shows_last_year, records[silent.id].accepted,
            records[silent.id].mean_response_hours) == (1, 0, None)
    a_year_on = expert_pool.records_of([silent.id], at=now_utc() + timedelta(days=366))
    assert a_year_on[silent.id].no_shows_last_year == 0
    shown = page_text(signed_in(admin).get("/experts"))
    assert "10.0 h" in shown and "4.00" in shown
    # the supervisor weighing the panel reaches each expert's record from the claim
    supervisor = person("supervisor")
    db.session.commit()
    claim_page = signed_in(supervisor).get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f'href="/experts/{scorer.id}"' in claim_page


def test_suspension_and_a_confirmed_reinstatement_go_through_the_table(admin, auditor):
    profile = pool_expert("Expert Absent")
    browser = signed_in(admin)
    assert browser.post(f"/experts/{profile.user_id}/suspend",
                        data={"reason": "多次无故缺席"}).status_code == 302
    profile = reload(ExpertProfile, profile.user_id)
    assert profile.is_suspended and profile.suspension_reason == "多次无故缺席"
    [row] = audit_rows(profile, "suspend")
    assert (row.before_state, row.after_state, row.actor_id) == ("active", "suspended",
                                                                 admin.id)
    claim = claim_at_first_review(auditor, amount_fen=200_000_00)
    services.decide(claim, auditor, "approve")
    assert experts.invitations_of(claim) == []          # a suspended expert is not drawn
    db.session.commit()
    quiet()

    refused = browser.post(f"/experts/{profile.user_id}/reinstate",
                           data={"reason": "已说明情况"})
    assert refused.status_code == 422 and "已说明情况" in page_text(refused)
    assert reload(ExpertProfile, profile.user_id).is_suspended
    assert browser.post(f"/experts/{profile.user_id}/reinstate",
                        data={"reason": "已说明情况", "confirm": "y"}).status_code == 302
    profile = reload(ExpertProfile, profile.user_id)
    assert not profile.is_suspended and profile.suspension_reason is None
    [row] = audit_rows(profile, "reinstate")
    assert (row.before_state, row.after_state) == ("suspended", "active")
    assert json.loads(row.data) == {"reason": "已说明情况"}
    # the table refuses a second reinstatement
    with pytest.raises(expert_pool.WrongPoolState):
        expert_pool.reinstate(admin, profile, "再次")


def test_a_tie_and_the_experts_own_organisation_keep_them_out_of_the_draw(admin, auditor):
    tied, employee, *free = [pool_expert(f"Expert {n}") for n in range(4)]
    claim = claim_at_first_review(auditor, amount_fen=200_000_00)
    agency_code = db.session.get(Organisation, claim.agency_id).uscc
    firm_code = db.session.get(Organisation, claim.firm_id).uscc
    browser = signed_in(admin)
    refused = browser.post(f"/experts/{tied.user_id}/conflicts",
                           data={"organisation_code": agency_code, "reason": ""})
    assert refused.status_code == 422 and agency_code in page_text(refused)
    assert browser.post(f"/experts/{tied.user_id}/conflicts", data={
        "organisation_code": agency_code, "reason": "曾在该机构任职"}).status_code == 302
    assert browser.post(f"/experts/{employee.user_id}/edit", data={
        "title": "研究员", "field_ids": [str(category("testing").id)],
        "organisation_code": firm_code}).status_code == 302
    assert reload(ExpertProfile, employee.user_id).organisation_id == claim.firm_id

    claim = reload(Claim, claim.id)
    services.decide(claim, auditor, "approve")
    assert {i.expert_id for i in experts.invitations_of(claim)} == \
        {p.user_id for p in free}
    db.session.commit()
    quiet()

    conflict = db.session.execute(select(ExpertConflict).where(
        ExpertConflict.expert_id == tied.user_id)).scalar_one()
    assert browser.post(f"/experts/{tied.user_id}/conflicts/{conflict.id}/remove") \
        .status_code == 302
    assert reload(ExpertConflict, conflict.id) is None
    [row] = audit_rows(tied, "remove_conflict")
    assert json.loads(row.data)["reason"] == "曾在该机构任职"


def test_a_final_decision_leaves_no_stage_deadline(auditor):
    supervisor = person("supervisor")
    approved = claim_at_final_approval(auditor)
    services.decide(approved, supervisor, "approve")
    rejected = claim_at_first_review(auditor)
    services.decide(rejected, auditor, "reject", "关联交易")
    returned = claim_at_first_review(auditor)
    services.decide(returned, auditor, "return", "请补充发票")
    assert (approved.status, approved.stage_due_on) == (ClaimStatus.APPROVED, None)
    assert (rejected.status, rejected.stage_due_on) == (ClaimStatus.REJECTED, None)
    # a return is not final: the claim comes back to review
    assert returned.status == ClaimStatus.RETURNED and returned.stage_due_on > date.today()


def test_after_seed_demo_a_large_claim_draws_the_three_demo_experts():
    from marketplace.accounts import services as accounts
    from marketplace.catalogue.models import Offering
    from marketplace.demo.seed import seed_demo_data
    from marketplace.orders import fulfilment
    from marketplace.orders import services as orders
    from marketplace.vouchers.models import Voucher
    from tests.factories import make_quoted_order

    seed_demo_data()
    db.session.commit()
    assert "0 expert profiles added" in seed_demo_data()    # idempotent
    db.session.commit()
    quiet()
    demo_experts = {accounts.find_user_by_email(f"expert{n}@demo.local").id
                    for n in (1, 2, 3)}
    assert db.session.execute(select(func.count()).select_from(ExpertProfile)).scalar_one() \
        == 3
    firm_member = accounts.find_user_by_email("firm1@demo.local")
    voucher = db.session.execute(select(Voucher).where(
        Voucher.firm_id == firm_member.organisation_id)).scalar_one()
    offering = db.session.execute(select(Offering).where(
        Offering.title == "新材料联合研发")).scalar_one()
    order = make_quoted_order(offering, firm_member, contract_amount_fen=300_000_00)
    contract = orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    assert contract.voucher_part_fen >= services.EXPERT_THRESHOLD_VOUCHER_FEN
    record_paid_copay(order)
    fulfilment.deliver(order, offering.agency.organisation.members[0], summary="交付",
                       invoice_number="DEMO-1", invoice_amount_fen=300_000_00,
                       invoice_date=date.today())
    claim = checked(fulfilment.accept(order, firm_member))
    auditor = db.session.get(User, claim.assigned_auditor_id)
    services.decide(claim, auditor, "approve")
    invitations = experts.invitations_of(claim)
    assert claim.status == ClaimStatus.EXPERT_REVIEW
    assert {i.expert_id for i in invitations} == demo_experts
    assert all(i.status == InvitationState.INVITED for i in invitations)
    assert db.session.execute(select(func.count(ExpertInvitation.id))).scalar_one() == 3
