"""The voucher pages' POST flows through the test client: a firm applies, corrects and
withdraws; an auditor decides; the admin creates and edits programmes."""
import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from marketplace import funds
from marketplace.accounts.models import Role
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import services
from marketplace.vouchers.models import (ApplicationStatus, Programme, ProgrammeRuleVersion,
                                         Voucher, VoucherApplication)
from tests.conftest import login
from tests.factories import FirmMemberFactory, UserFactory, make_application, make_programme

PURPOSE = "Materials testing and a process study for our new coating line"


def person(role):
    """A user of ``role`` who reads the pages in English."""
    if role == "firm":
        return FirmMemberFactory(locale="en")
    return UserFactory(role=Role(role), locale="en")


def page_text(response):
    return unescape(response.get_data(as_text=True))


def applications_of(firm_id):
    return db.session.execute(select(VoucherApplication).where(
        VoucherApplication.firm_id == firm_id)).scalars().all()


def reload(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


@pytest.fixture
def programme():
    found = make_programme(budget_fen=1_000_000_00)
    db.session.commit()
    return found


@pytest.fixture
def firm_member():
    member = person("firm")
    db.session.commit()
    return member


def apply_form(**changes):
    form = {"requested": "120,000", "purpose": PURPOSE,
            "planned_categories": ["testing", "rnd_design"],
            "declares_no_double_funding": "y"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


# --- the firm applies -------------------------------------------------------------------

def test_an_eligible_application_is_stored_and_the_firm_lands_on_it(client, programme,
                                                                    firm_member):
    login(client, firm_member.email)
    response = client.post(f"/programmes/{programme.id}/apply", data=apply_form())

    [stored] = applications_of(firm_member.organisation_id)
    assert response.status_code == 302
    assert response.location == f"/vouchers/applications/{stored.id}"
    assert stored.status == ApplicationStatus.SUBMITTED
    assert stored.requested_fen == 120_000_00
    assert stored.applicant_id == firm_member.id
    assert stored.purpose == PURPOSE
    assert stored.planned_categories == ["testing", "rnd_design"]
    assert stored.rule_version.version == 1
    shown = page_text(client.get(response.location))
    assert "Your application is submitted." in shown
    assert "¥120,000.00" in shown


def test_an_ineligible_application_is_refused_citing_the_clauses_and_keeps_the_input(
        client, programme, firm_member):
    services.update_programme(programme, actor=None, rules={"cap_fen_tech_sme": 150_000_00})
    db.session.commit()
    login(client, firm_member.email)
    response = client.post(f"/programmes/{programme.id}/apply",
                           data=apply_form(requested="200,000",
                                           declares_no_double_funding=None))

    assert response.status_code == 422
    shown = page_text(response)
    assert "The application cannot be submitted:" in shown
    assert "Rule 3.2 (v2): per-firm cap for tech SMEs is ¥150,000.00" in shown
    assert ("Rule 3.3 (v2): the firm declares the services receive no other public "
            "funding") in shown
    assert 'value="200,000"' in shown
    assert PURPOSE in shown
    assert applications_of(firm_member.organisation_id) == []


@pytest.mark.parametrize("typed, message", [
    ("twelve thousand", "Enter an amount in yuan, such as 200000 or 1234.50."),
    ("12.345", "Enter an amount in yuan, such as 200000 or 1234.50."),
    ("0", "The amount must be at least ¥0.01."),
    ("1e999999", "The amount is too large."),
    ("   ", "This field is required."),
])
def test_an_amount_that_is_not_one_is_a_form_error_keeping_the_typed_text(
        client, programme, firm_member, typed, message):
    login(client, firm_member.email)
    response = client.post(f"/programmes/{programme.id}/apply",
                           data=apply_form(requested=typed))

    assert response.status_code == 422
    shown = page_text(response)
    assert message in shown
    assert f'value="{typed}"' in shown
    assert PURPOSE in shown
    assert applications_of(firm_member.organisation_id) == []


# --- the auditor decides ------------------------------------------------------------------

def decide(client, application, **form):
    return client.post(f"/review/voucher-applications/{application.id}", data=form)


def test_the_decision_form_asks_before_it_issues_or_rejects(client, programme, firm_member,
                                                           auditor):
    # approving issues the voucher from the budget and rejecting is final, like a claim's or
    # an identity change's decision, whose forms already ask "are you sure?"
    application = make_application(programme, firm_member)
    db.session.commit()
    login(client, auditor.email)
    page = client.get(f"/review/voucher-applications/{application.id}").get_data(as_text=True)
    form = re.findall(r'<form [^>]*>', page[:page.index('name="decision"')])[-1]
    assert 'data-confirm="Record this decision? It cannot be undone."' in form


def test_approving_a_lower_amount_issues_that_voucher_from_a_balanced_ledger(
        client, programme, firm_member, auditor):
    application = make_application(programme, firm_member, requested_fen=150_000_00)
    db.session.commit()
    login(client, auditor.email)
    response = decide(client, application, decision="approve", amount="80,000",
                      comment="Issued for the testing part only.")

    assert response.status_code == 302
    assert response.location == "/review/voucher-applications"
    decided = reload(VoucherApplication, application.id)
    assert decided.status == ApplicationStatus.APPROVED
    assert decided.approved_fen == 80_000_00 and decided.decided_by_id == auditor.id
    voucher = db.session.execute(select(Voucher).where(
        Voucher.application_id == application.id)).scalar_one()
    assert voucher.face_value_fen == 80_000_00
    assert voucher.firm_id == firm_member.organisation_id
    assert funds.figures.voucher_balances(voucher)["available_fen"] == 80_000_00
    figures = budget_use.budget_figures(decided.programme)
    assert figures["issued_fen"] == 80_000_00
    assert figures["available_fen"] == 1_000_000_00 - 80_000_00
    assert ledger.violations() == []

    client.post("/logout")
    login(client, firm_member.email)
    mine = page_text(client.get("/vouchers"))
    assert "¥80,000.00" in mine


def test_an_approval_above_the_request_is_refused_on_the_form(client, programme,
                                                              firm_member, auditor):
    application = make_application(programme, firm_member, requested_fen=100_000_00)
    db.session.commit()
    login(client, auditor.email)
    response = decide(client, application, decision="approve", amount="100,000.01")

    assert response.status_code == 422
    shown = page_text(response)
    assert "The approved amount must be positive and at most the amount requested" in shown
    assert 'value="100,000.01"' in shown
    assert reload(VoucherApplication, application.id).status == ApplicationStatus.SUBMITTED
    assert db.session.query(Voucher).count() == 0


def test_a_rejection_needs_a_reason_and_then_tells_it_to_the_firm(client, programme,
                                                                  firm_member, auditor):
    application = make_application(programme, firm_member)
    db.session.commit()
    login(client, auditor.email)

    refused = decide(client, application, decision="reject", comment="  ")
    assert refused.status_code == 422
    assert "Give the reason, so the firm knows what to do." in page_text(refused)
    assert reload(VoucherApplication, application.id).status == ApplicationStatus.SUBMITTED

    accepted = decide(client, application, decision="reject",
                      comment="The services are funded by another programme.")
    assert accepted.status_code == 302
    rejected = reload(VoucherApplication, application.id)
    assert rejected.status == ApplicationStatus.REJECTED
    assert rejected.decision_comment == "The services are funded by another programme."
    assert db.session.query(Voucher).count() == 0

    client.post("/logout")
    login(client, firm_member.email)
    shown = page_text(client.get(f"/vouchers/applications/{application.id}"))
    assert "The services are funded by another programme." in shown


def test_a_returned_application_is_corrected_by_the_firm_and_comes_back(
        client, programme, firm_member, auditor):
    application = make_application(programme, firm_member, requested_fen=150_000_00)
    db.session.commit()
    login(client, auditor.email)
    returned = decide(client, application, decision="return",
                      comment="Name the services you plan to buy.")
    assert returned.status_code == 302
    assert reload(VoucherApplication, application.id).status == ApplicationStatus.RETURNED

    client.post("/logout")
    login(client, firm_member.email)
    shown = page_text(client.get(f"/vouchers/applications/{application.id}"))
    assert "Name the services you plan to buy." in shown
    assert 'value="150000"' in shown            # the form starts from what was sent

    refused = client.post(f"/vouchers/applications/{application.id}",
                          data=apply_form(requested="ninety thousand", purpose="short"))
    assert refused.status_code == 422
    shown = page_text(refused)
    assert 'value="ninety thousand"' in shown and "short</textarea>" in shown
    assert reload(VoucherApplication, application.id).status == ApplicationStatus.RETURNED

    corrected_purpose = PURPOSE + ", bought from a registered testing agency"
    response = client.post(f"/vouchers/applications/{application.id}",
                         data=apply_form(requested="90,000", purpose=corrected_purpose,
                                         planned_categories=["testing"]))
    assert response.status_code == 302
    assert response.location == f"/vouchers/applications/{application.id}"
    again = reload(VoucherApplication, application.id)
    assert again.status == ApplicationStatus.SUBMITTED
    assert (again.requested_fen, again.purpose) == (90_000_00, corrected_purpose)
    assert again.planned_categories == ["testing"]
    # once submitted again, the firm can no longer change it
    assert client.post(f"/vouchers/applications/{application.id}",
                     data=apply_form()).status_code == 403


def test_the_firm_withdraws_a_submitted_application_but_not_an_approved_one(
        client, programme, firm_member, auditor):
    pending = make_application(programme, firm_member)
    granted = make_application(make_programme(), firm_member)
    services.decide_application(granted, actor=auditor, decision="approve")
    db.session.commit()
    login(client, firm_member.email)

    response = client.post(f"/vouchers/applications/{pending.id}/withdraw")
    assert response.status_code == 302 and response.location == "/vouchers"
    assert reload(VoucherApplication, pending.id).status == ApplicationStatus.WITHDRAWN
    assert "The application is withdrawn." in page_text(client.get("/vouchers"))

    refused = client.post(f"/vouchers/applications/{granted.id}/withdraw")
    assert refused.status_code == 302
    assert reload(VoucherApplication, granted.id).status == ApplicationStatus.APPROVED
    assert "This step is not possible in the current state." in \
        page_text(client.get("/vouchers"))


# --- the admin's programmes ---------------------------------------------------------------

def programme_form(**changes):
    today = date.today()
    form = {"name": "2027 innovation vouchers", "year": "2027", "budget": "3,000,000",
            "applications_open_on": today.isoformat(),
            "applications_close_on": (today + timedelta(days=60)).isoformat(),
            "vouchers_valid_until": (today + timedelta(days=400)).isoformat(),
            "share_tech_sme": "50", "share_high_tech": "40", "share_benchmark": "30",
            "cap_tech_sme": "200,000", "cap_high_tech": "300,000",
            "cap_benchmark": "500,000", "min_order": "5,000", "single_order_max": "200,000",
            "claim_deadline_days": "90",
            "eligible_categories": ["testing"]}
    form.update(changes)
    return form


@pytest.fixture
def admin():
    found = person("admin")
    db.session.commit()
    return found


def test_the_admin_creates_a_funded_programme_with_its_first_rules(client, admin):
    login(client, admin.email)
    response = client.post("/admin/programmes/new",
                           data=programme_form(single_order_max="150,000"))

    created = db.session.execute(select(Programme)).scalar_one()
    assert response.status_code == 302
    assert response.location == f"/admin/programmes/{created.id}"
    assert (created.name, created.year, created.budget_fen) == (
        "2027 innovation vouchers", 2027, 3_000_000_00)
    rules = created.current_rules
    assert rules.version == 1
    assert (rules.share_bp_tech_sme, rules.share_bp_high_tech, rules.share_bp_benchmark) \
        == (5000, 4000, 3000)
    assert rules.cap_fen_high_tech == 300_000_00 and rules.min_order_fen == 5_000_00
    assert rules.single_order_max_fen == 150_000_00
    assert rules.category_codes == ["testing"]
    assert budget_use.budget_figures(created)["available_fen"] == 3_000_000_00
    assert ledger.violations() == []


def test_editing_the_rules_makes_a_new_version_and_old_decisions_keep_theirs(
        client, admin, programme, firm_member, auditor):
    application = make_application(programme, firm_member)
    services.decide_application(application, actor=auditor, decision="approve")
    db.session.commit()
    login(client, admin.email)
    form = programme_form(name=programme.name, year=str(programme.year),
                          budget="1,000,000",
                          applications_open_on=programme.applications_open_on.isoformat(),
                          applications_close_on=programme.applications_close_on.isoformat(),
                          vouchers_valid_until=programme.vouchers_valid_until.isoformat(),
                          share_high_tech="50", share_benchmark="50",
                          cap_tech_sme="150,000", eligible_categories=[],
                          note="Caps lowered for the second half")

    response = client.post(f"/admin/programmes/{programme.id}", data=form)
    assert response.status_code == 302
    edited = reload(Programme, programme.id)
    assert edited.current_rules.version == 2
    assert edited.current_rules.cap_fen_tech_sme == 150_000_00
    assert edited.current_rules.note == "Caps lowered for the second half"
    versions = db.session.execute(select(ProgrammeRuleVersion.version, ProgrammeRuleVersion
                                         .cap_fen_tech_sme).where(
        ProgrammeRuleVersion.programme_id == programme.id)
        .order_by(ProgrammeRuleVersion.version)).all()
    assert versions == [(1, 200_000_00), (2, 150_000_00)]
    decided = reload(VoucherApplication, application.id)
    assert decided.rule_version.version == 1
    assert db.session.get(ProgrammeRuleVersion,
                          decided.decision_rule_version_id).version == 1

    # the same values again change nothing: no third version
    assert client.post(f"/admin/programmes/{programme.id}", data=form).status_code == 302
    assert reload(Programme, programme.id).current_rules.version == 2


def test_invalid_programme_input_is_shown_with_what_was_typed(client, admin):
    today = date.today()
    login(client, admin.email)
    response = client.post("/admin/programmes/new", data=programme_form(
        name="Autumn call", budget="a lot", cap_tech_sme="two hundred",
        applications_close_on=(today - timedelta(days=1)).isoformat()))

    assert response.status_code == 200
    shown = page_text(response)
    assert "The window must close after it opens." in shown
    assert shown.count("Enter an amount in yuan, such as 200000 or 1234.50.") == 2
    assert 'value="Autumn call"' in shown
    assert 'value="a lot"' in shown and 'value="two hundred"' in shown
    assert db.session.query(Programme).count() == 0


def test_a_budget_cut_below_what_is_issued_is_refused_on_the_budget_field(
        client, admin, programme, firm_member, auditor):
    application = make_application(programme, firm_member, requested_fen=200_000_00)
    services.decide_application(application, actor=auditor, decision="approve")
    db.session.commit()
    login(client, admin.email)
    response = client.post(f"/admin/programmes/{programme.id}", data=programme_form(
        name=programme.name, budget="150,000",
        applications_open_on=programme.applications_open_on.isoformat(),
        applications_close_on=programme.applications_close_on.isoformat(),
        vouchers_valid_until=programme.vouchers_valid_until.isoformat()))

    assert response.status_code == 200
    shown = page_text(response)
    assert "The budget cannot be lower than what has already been issued." in shown
    assert 'value="150,000"' in shown
    assert reload(Programme, programme.id).budget_fen == 1_000_000_00
    assert ledger.violations() == []
