"""A block bites (found 9: a claim whose related-party check said block was approved at
both stages with a one-word comment): a blocked claim moves on only after a named
override with a written reason, recorded by a supervisor who is neither its first
reviewer nor its auditor; the override and its reason show on the claim and in the audit
log, and a new round of checks needs a new one."""
import pytest

from marketplace.claims import services
from marketplace.claims.models import ClaimStatus
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from tests.factories import FirmMemberFactory, make_offering
from tests.integration.claims.builders import (checked, page_text, person, quiet, reload,
                                               signed_in)
from tests.integration.claims.test_claim_workflow import accepted_claim
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import bearer
from tests.support.identity import change_facts

REASON = "法定代表人已于签约前变更，工商登记可证，非关联交易"


@pytest.fixture
def supervisors():
    found = person("supervisor"), person("supervisor")
    db.session.commit()
    return found


@pytest.fixture
def blocked(auditor):
    """A claim at first review whose related-party check blocks (a shared bank account)."""
    firm_member = FirmMemberFactory()
    offering = make_offering()
    change_facts(firm_member.organisation,
                 bank_account=offering.agency.organisation.current_version.bank_account)
    claim = checked(accepted_claim(firm_member, offering=offering, invoice="OV-1"))
    claim.assigned_auditor_id = auditor.id
    db.session.commit()
    quiet()
    assert claim.is_blocked and services.blocking_checks(claim) == ["related_party"]
    return claim


def test_a_blocked_claim_is_not_approved_without_an_override(blocked, auditor):
    with pytest.raises(services.BlockNotOverridden):
        services.decide(blocked, auditor, "approve", "ok")
    db.session.rollback()
    browser = signed_in(auditor)
    response = browser.post(f"/claims/{blocked.id}/decision", data={
        "decision": "approve", "comment": "ok", "confirm": "y", "idempotency_token": "d-1"})
    assert response.status_code == 409
    assert "can be approved only after a supervisor other than its first reviewer" in \
        page_text(response)
    assert reload(type(blocked), blocked.id).status == ClaimStatus.FIRST_REVIEW


def test_the_claims_auditor_and_first_reviewer_cannot_override(blocked, auditor,
                                                               supervisors):
    with pytest.raises(services.OverrideRefused):
        services.override_block(blocked, auditor, REASON)        # its auditor
    db.session.rollback()
    claim = reload(type(blocked), blocked.id)
    claim.first_reviewer_id = supervisors[0].id                  # as if they reviewed it
    db.session.commit()
    with pytest.raises(services.OverrideRefused):
        services.override_block(claim, supervisors[0], REASON)
    db.session.rollback()


def test_a_one_word_reason_is_refused_and_the_form_keeps_it(blocked, supervisors):
    browser = signed_in(supervisors[0])
    response = browser.post(f"/claims/{blocked.id}/override", data={
        "reason": "同意", "confirm": "y", "idempotency_token": "o-1"})
    assert response.status_code == 422
    text = page_text(response)
    assert "Write the reason for the override in at least 15 characters." in text
    assert "同意" in text
    assert services.override_of(reload(type(blocked), blocked.id)) is None


def test_an_override_lets_the_claim_go_on_and_shows_with_its_reason(blocked, auditor,
                                                                    supervisors):
    browser = signed_in(supervisors[1])
    assert "Override the blocking checks" in page_text(browser.get(f"/claims/{blocked.id}"))
    response = browser.post(f"/claims/{blocked.id}/override", data={
        "reason": REASON, "confirm": "y", "idempotency_token": "o-2"})
    assert response.status_code == 302
    claim = reload(type(blocked), blocked.id)
    override = services.override_of(claim)
    assert (override.reason, override.overridden_by_id, override.check_names) == (
        REASON, supervisors[1].id, ["related_party"])
    [record] = db.session.query(AuditRecord).filter_by(object_type="Claim",
                                                      action="override_block").all()
    assert record.actor_id == supervisors[1].id and REASON in record.data
    shown = page_text(signed_in(auditor).get(f"/claims/{claim.id}"))
    assert f"Blocking checks overridden by {supervisors[1].name}" in shown and REASON in shown
    services.decide(claim, auditor, "approve", "核实后同意")
    services.decide(claim, supervisors[0], "approve")
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED


def test_a_new_round_of_checks_needs_a_new_override(blocked, auditor, supervisors):
    services.override_block(blocked, supervisors[1], REASON)
    services.decide(blocked, auditor, "return", "请补充工商变更材料")
    services.resubmit(blocked, blocked.order.firm.members[0], "已补充")
    db.session.commit()
    claim = checked(reload(type(blocked), blocked.id))
    claim.assigned_auditor_id = auditor.id
    db.session.commit()
    assert claim.check_round == 2 and claim.is_blocked
    with pytest.raises(services.BlockNotOverridden):
        services.decide(claim, auditor, "approve", "ok")
    db.session.rollback()


def test_the_api_records_an_override_for_a_supervisor_only(client, blocked, auditor,
                                                           supervisors):
    from marketplace.accounts.services import issue_api_token

    def headers(user, key):
        _token, plaintext = issue_api_token(user, "test")
        db.session.commit()
        return {**bearer(plaintext), "Idempotency-Key": key}

    url = f"{PREFIX}/claims/{blocked.id}/override"
    assert_error(client.post(url, json={"reason": REASON}, headers=headers(auditor, "a")),
                 403, "forbidden")
    assert_error(client.post(url, json={"reason": "同意"},
                             headers=headers(supervisors[0], "b")), 422, "reason_required")
    response = client.post(url, json={"reason": REASON}, headers=headers(supervisors[0], "c"))
    assert response.status_code == 200
    override = response.get_json()["override"]
    assert (override["reason"], override["checks"], override["overridden_by_id"]) == (
        REASON, ["related_party"], supervisors[0].id)
