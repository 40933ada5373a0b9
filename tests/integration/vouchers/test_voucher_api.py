"""The voucher endpoints of the JSON API: programmes, budget, applications, decisions,
vouchers; each answer checked field by field against what the services stored."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import lifecycle, services
from marketplace.vouchers.models import (ApplicationStatus, Voucher, VoucherApplication)
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_application, make_programme, make_voucher)
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import token_for

PURPOSE = "Materials testing and a process study for our new coating line"


@pytest.fixture
def programme():
    found = make_programme(budget_fen=1_000_000_00, name="Open call")
    db.session.commit()
    return found


@pytest.fixture
def member():
    found = FirmMemberFactory()
    db.session.commit()
    return found


# --- programmes and their budget --------------------------------------------------------

def test_programmes_are_listed_with_their_window_and_rule_version(client, member,
                                                                  programme):
    today = date.today()
    closed = make_programme(name="Closed call", opens=today - timedelta(days=60),
                            closes=today - timedelta(days=1))
    services.update_programme(closed, actor=None, rules={"cap_fen_tech_sme": 100_000_00})
    db.session.commit()

    response = client.get(f"{PREFIX}/programmes", headers=token_for(member))
    assert response.status_code == 200
    items = {item["name"]: item for item in response.get_json()["items"]}
    assert set(items) == {"Open call", "Closed call"}
    assert items["Open call"] == {
        "id": programme.id, "name": "Open call", "year": today.year,
        "budget_fen": 1_000_000_00,
        "applications_open_on": programme.applications_open_on.isoformat(),
        "applications_close_on": programme.applications_close_on.isoformat(),
        "vouchers_valid_until": programme.vouchers_valid_until.isoformat(),
        "is_open": True, "rules_version": 1}
    assert items["Closed call"]["is_open"] is False
    assert items["Closed call"]["rules_version"] == 2


def test_the_budget_meter_gives_exact_figures_after_an_issue_and_a_reservation(
        client, member, programme):
    voucher = make_voucher(programme, amount_fen=80_000_00)
    make_voucher(programme, amount_fen=12_345_67)
    lifecycle.reserve(voucher, 30_000_00, ref=("test", 1))
    db.session.commit()

    response = client.get(f"{PREFIX}/programmes/{programme.id}/budget",
                          headers=token_for(member))
    assert response.status_code == 200
    assert response.get_json() == {
        "budget_fen": 1_000_000_00, "issued_fen": 92_345_67, "reserved_fen": 30_000_00,
        "spent_fen": 0, "expired_fen": 0, "available_fen": 1_000_000_00 - 92_345_67}
    assert ledger.violations() == []


def test_the_budget_of_a_missing_programme_is_a_json_404(client, member):
    response = client.get(f"{PREFIX}/programmes/987654/budget", headers=token_for(member))
    assert_error(response, 404, "not_found")


# --- applying ---------------------------------------------------------------------------

def application_body(programme, **changes):
    body = {"programme_id": programme.id, "requested_fen": 120_000_00, "purpose": PURPOSE,
            "planned_categories": ["testing"], "declares_no_double_funding": True}
    body.update(changes)
    return body


def test_a_firm_member_applies_and_gets_the_stored_application(client, member, programme):
    response = client.post(f"{PREFIX}/voucher-applications", headers=token_for(member),
                           json=application_body(programme))
    assert response.status_code == 201
    stored = db.session.execute(select(VoucherApplication)).scalar_one()
    assert response.get_json() == {
        "id": stored.id, "firm_id": member.organisation_id, "programme_id": programme.id,
        "status": "submitted", "requested_fen": 120_000_00, "approved_fen": None,
        "rules_version": 1}
    assert stored.applicant_id == member.id and stored.purpose == PURPOSE
    assert stored.planned_categories == ["testing"]


def test_an_ineligible_application_is_a_422_naming_each_failed_clause(client, member,
                                                                      programme):
    services.update_programme(programme, actor=None, rules={"cap_fen_tech_sme": 150_000_00})
    db.session.commit()
    response = client.post(f"{PREFIX}/voucher-applications", headers=token_for(member),
                           json=application_body(programme, requested_fen=200_000_00,
                                                 declares_no_double_funding=False))
    error = assert_error(response, 422, "ineligible")
    failed = error["details"]["failed"]
    assert [(f["clause"], f["version"], f["rule"]) for f in failed] == [
        ("3.2", 2, "within_tier_cap"), ("3.3", 2, "no_double_funding")]
    assert "¥150,000.00" in failed[0]["message"]
    assert db.session.query(VoucherApplication).count() == 0


def test_a_second_application_to_the_same_programme_cites_clause_3_1(client, member,
                                                                     programme):
    make_application(programme, member)
    db.session.commit()
    response = client.post(f"{PREFIX}/voucher-applications", headers=token_for(member),
                           json=application_body(programme))
    error = assert_error(response, 422, "ineligible")
    assert [f["clause"] for f in error["details"]["failed"]] == ["3.1"]
    assert db.session.query(VoucherApplication).count() == 1


@pytest.mark.parametrize("changes, location", [
    ({"requested_fen": 0}, ["requested_fen"]),
    ({"requested_fen": "lots"}, ["requested_fen"]),
    ({"purpose": "short"}, ["purpose"]),
    ({"programme_id": None}, ["programme_id"]),
    ({"voucher_id": 7}, ["voucher_id"]),
])
def test_invalid_fields_are_a_422_naming_them(client, member, programme, changes,
                                              location):
    response = client.post(f"{PREFIX}/voucher-applications", headers=token_for(member),
                           json=application_body(programme, **changes))
    error = assert_error(response, 422, "validation_error")
    assert [field["loc"] for field in error["details"]["fields"]] == [location]
    assert db.session.query(VoucherApplication).count() == 0


def test_applying_to_a_missing_programme_is_a_404_on_that_field(client, member):
    response = client.post(f"{PREFIX}/voucher-applications", headers=token_for(member),
                           json={"programme_id": 987654, "requested_fen": 100_00,
                                 "purpose": PURPOSE})
    error = assert_error(response, 404, "not_found")
    assert error["details"] == {"field": "programme_id"}


# --- listing applications ---------------------------------------------------------------

@pytest.fixture
def three_applications(programme, member, auditor):
    """The member's firm: one submitted here, one approved elsewhere; another firm's one
    submitted here."""
    own = make_application(programme, member)
    granted = make_application(make_programme(), member)
    services.decide_application(granted, actor=auditor, decision="approve")
    other = make_application(programme)
    db.session.commit()
    return own, granted, other


def listed(client, headers, query=""):
    response = client.get(f"{PREFIX}/voucher-applications{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_firm_lists_only_its_own_applications(client, member, three_applications):
    own, granted, _other = three_applications
    body = listed(client, token_for(member))
    assert sorted(item["id"] for item in body["items"]) == sorted([own.id, granted.id])
    assert body["total"] == 2
    approved = listed(client, token_for(member), "?status=approved")
    assert [(i["id"], i["approved_fen"]) for i in approved["items"]] == \
        [(granted.id, 100_000_00)]


def test_the_auditor_lists_every_firms_applications_by_state_and_page(
        client, auditor, three_applications):
    own, granted, other = three_applications
    headers = token_for(auditor)
    assert listed(client, headers)["total"] == 3
    submitted = listed(client, headers, "?status=submitted")
    assert [item["id"] for item in submitted["items"]] == [own.id, other.id]  # oldest first
    first = listed(client, headers, "?per_page=2&page=1")
    second = listed(client, headers, "?per_page=2&page=2")
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"] + second["items"]} == {own.id, granted.id,
                                                                   other.id}


@pytest.mark.parametrize("role", ["expert", "agency"])
def test_experts_and_agencies_may_not_list_applications(client, role, three_applications):
    user = AgencyMemberFactory() if role == "agency" else UserFactory(role=Role.EXPERT)
    db.session.commit()
    response = client.get(f"{PREFIX}/voucher-applications", headers=token_for(user))
    error = assert_error(response, 403, "forbidden")
    assert error["details"] == {"rule": "can_list_applications"}


@pytest.mark.parametrize("query", ["?status=pending", "?page=0", "?per_page=101"])
def test_an_unknown_state_or_page_size_is_a_422(client, auditor, query):
    assert_error(client.get(f"{PREFIX}/voucher-applications{query}",
                            headers=token_for(auditor)), 422, "validation_error")


# --- decisions --------------------------------------------------------------------------

def decide(client, headers, application, **body):
    return client.post(f"{PREFIX}/voucher-applications/{application.id}/decisions",
                       headers=headers, json=body)


def test_approving_a_lower_amount_issues_the_voucher(client, auditor, member, programme):
    application = make_application(programme, member, requested_fen=150_000_00)
    db.session.commit()
    response = decide(client, token_for(auditor), application, decision="approve",
                      amount_fen=80_000_00)
    assert response.status_code == 200
    voucher = db.session.execute(select(Voucher)).scalar_one()
    assert response.get_json() == {
        "voucher_id": voucher.id,
        "application": {"id": application.id, "firm_id": member.organisation_id,
                        "programme_id": programme.id, "status": "approved",
                        "requested_fen": 150_000_00, "approved_fen": 80_000_00,
                        "rules_version": 1}}
    assert voucher.face_value_fen == 80_000_00
    assert budget_use.budget_figures(programme)["available_fen"] == 920_000_00
    assert ledger.violations() == []


@pytest.mark.parametrize("decision, status", [("reject", ApplicationStatus.REJECTED),
                                              ("return", ApplicationStatus.RETURNED)])
def test_reject_and_return_record_the_reason_and_issue_nothing(
        client, auditor, member, programme, decision, status):
    application = make_application(programme, member)
    db.session.commit()
    headers = token_for(auditor)
    error = assert_error(decide(client, headers, application, decision=decision),
                         422, "reason_required")
    assert error["details"] == {"field": "comment"}

    response = decide(client, headers, application, decision=decision,
                      comment="Add the supplier's quotation.")
    assert response.status_code == 200
    assert response.get_json()["voucher_id"] is None
    assert response.get_json()["application"]["status"] == status.value
    db.session.expire_all()
    stored = db.session.get(VoucherApplication, application.id)
    assert stored.status == status
    assert stored.decision_comment == "Add the supplier's quotation."
    assert db.session.query(Voucher).count() == 0


def test_an_amount_above_the_request_is_refused_naming_the_maximum(client, auditor, member,
                                                                   programme):
    application = make_application(programme, member, requested_fen=100_000_00)
    db.session.commit()
    error = assert_error(decide(client, token_for(auditor), application,
                                decision="approve", amount_fen=100_000_01),
                         422, "amount_not_allowed")
    assert error["details"] == {"field": "amount", "max_fen": 100_000_00}
    assert db.session.query(Voucher).count() == 0


def test_a_repeated_approval_is_refused_and_issues_nothing_more(client, auditor, member,
                                                                programme):
    application = make_application(programme, member)
    db.session.commit()
    headers = token_for(auditor)
    assert decide(client, headers, application, decision="approve").status_code == 200
    assert_error(decide(client, headers, application, decision="approve"),
                 409, "invalid_transition")
    assert db.session.query(Voucher).count() == 1
    assert budget_use.budget_figures(programme)["issued_fen"] == 100_000_00


def test_an_approval_beyond_the_budget_is_a_409_and_moves_nothing(client, auditor):
    programme = make_programme(budget_fen=150_000_00)
    first, second = make_application(programme), make_application(programme)
    db.session.commit()
    headers = token_for(auditor)
    assert decide(client, headers, first, decision="approve").status_code == 200
    assert_error(decide(client, headers, second, decision="approve"), 409,
                 "budget_exhausted")
    db.session.expire_all()
    assert db.session.get(VoucherApplication, second.id).status == ApplicationStatus.SUBMITTED
    assert budget_use.budget_figures(programme)["available_fen"] == 50_000_00
    assert ledger.violations() == []


@pytest.mark.parametrize("body, location", [
    ({"decision": "maybe"}, ["decision"]),
    ({"decision": "approve", "amount_fen": -5}, ["amount_fen"]),
    ({}, ["decision"]),
])
def test_a_malformed_decision_is_a_422(client, auditor, member, programme, body,
                                       location):
    application = make_application(programme, member)
    db.session.commit()
    error = assert_error(decide(client, token_for(auditor), application, **body),
                         422, "validation_error")
    assert [field["loc"] for field in error["details"]["fields"]] == [location]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_only_the_auditor_decides(client, member, programme, role):
    application = make_application(programme, member)
    user = UserFactory(role=Role(role))
    db.session.commit()
    assert_error(decide(client, token_for(user), application, decision="approve"),
                 403, "forbidden")
    assert db.session.query(Voucher).count() == 0


# --- vouchers ---------------------------------------------------------------------------

def test_a_firm_sees_its_own_vouchers_with_their_balances(client, member, programme):
    mine = make_voucher(programme, amount_fen=80_000_00, firm_member=member)
    make_voucher(programme, amount_fen=50_000_00)          # another firm's
    lifecycle.reserve(mine, 30_000_00, ref=("test", 1))
    db.session.commit()

    colleague = FirmMemberFactory(organisation=member.organisation, is_owner=False)
    db.session.commit()
    for user in (member, colleague):
        response = client.get(f"{PREFIX}/vouchers", headers=token_for(user))
        assert response.status_code == 200
        assert response.get_json() == {"items": [{
            "id": mine.id, "programme_id": programme.id, "status": "active",
            "face_value_fen": 80_000_00, "available_fen": 50_000_00,
            "reserved_fen": 30_000_00, "spent_fen": 0,
            "expires_on": programme.vouchers_valid_until.isoformat()}]}


def test_a_firm_without_vouchers_gets_an_empty_list(client, member, programme):
    make_voucher(programme)
    db.session.commit()
    response = client.get(f"{PREFIX}/vouchers", headers=token_for(member))
    assert response.get_json() == {"items": []}
