"""The claim and disbursement endpoints of the JSON API: exact shapes, who sees what,
decisions with their idempotency keys and refusals, batches paid once."""
import pytest

from marketplace.claims.models import Claim, ClaimDecision, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from tests.factories import make_offering
from tests.integration.claims.builders import (approved_claim, claim_at_final_approval,
                                               claim_at_first_review, person,
                                               reload)
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import token_for

CHECK_NAMES = {"related_party", "split_order", "duplicate_invoice", "price", "integrity_list",
               "agency_status",
               "voucher_and_reservation", "copay_received"}


@pytest.fixture
def supervisor():
    found = person("supervisor")
    db.session.commit()
    return found


def ids(response):
    return [item["id"] for item in response.get_json()["items"]]


# --- reading -----------------------------------------------------------------------------------

def test_each_party_lists_its_own_claims_and_reviewers_their_queue(client, auditor,
                                                                   supervisor):
    offering = make_offering()
    firm_member = person("firm")
    first = claim_at_first_review(auditor, firm_member, offering=offering)
    final = claim_at_final_approval(auditor)
    other_auditors = claim_at_first_review(person("auditor"))
    agency_member = offering.agency.organisation.members[0]
    admin = person("admin")
    db.session.commit()

    assert ids(client.get(f"{PREFIX}/claims", headers=token_for(firm_member))) == [first.id]
    assert ids(client.get(f"{PREFIX}/claims", headers=token_for(agency_member))) == \
        [first.id]
    assert ids(client.get(f"{PREFIX}/claims", headers=token_for(auditor))) == [first.id]
    assert ids(client.get(f"{PREFIX}/claims", headers=token_for(supervisor))) == [final.id]
    every = client.get(f"{PREFIX}/claims", headers=token_for(admin)).get_json()
    assert sorted(i["id"] for i in every["items"]) == sorted(
        [first.id, final.id, other_auditors.id])
    assert every["total"] == 3 and every["page"] == 1 and every["per_page"] == 20
    assert_error(client.get(f"{PREFIX}/claims", headers=token_for(person("expert"))),
                 403, "forbidden")


def test_a_listed_claim_has_the_summary_shape(client, auditor):
    claim = claim_at_first_review(auditor)
    response = client.get(f"{PREFIX}/claims?status=first_review&problem=clean",
                          headers=token_for(auditor))
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item == {"id": claim.id, "order_id": claim.order_id, "status": "first_review",
                    "stage": "first_review", "voucher_part_fen": 50_000_00,
                    "firm_id": claim.firm_id, "agency_id": claim.agency_id,
                    "is_blocked": False, "is_flagged": False,
                    "stage_due_on": claim.stage_due_on.isoformat()}
    blocked = client.get(f"{PREFIX}/claims?problem=blocked", headers=token_for(auditor))
    assert blocked.get_json()["items"] == []
    assert_error(client.get(f"{PREFIX}/claims?status=paid", headers=token_for(auditor)),
                 422, "validation_error")


def test_a_claim_has_its_checks_with_evidence_and_its_decisions(client, auditor):
    claim = claim_at_final_approval(auditor)
    response = client.get(f"{PREFIX}/claims/{claim.id}", headers=token_for(auditor))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "order_id", "status", "stage", "voucher_part_fen", "checks",
                         "decisions", "panel", "override", "void_pending_reason"}
    assert body["panel"] == {"count": 0, "mean_score": None, "outliers": []}
    assert (body["id"], body["order_id"], body["status"], body["stage"],
            body["voucher_part_fen"]) == (claim.id, claim.order_id, "final_approval",
                                          "final_approval", 50_000_00)
    assert {c["name"] for c in body["checks"]} == CHECK_NAMES
    assert all(set(c) == {"name", "result", "evidence"} and c["result"] == "pass"
               for c in body["checks"])
    related = next(c for c in body["checks"] if c["name"] == "related_party")
    assert related["evidence"]["shared_fields"] == [] and related["evidence"]["matches"] == []
    assert set(related["evidence"]["firm"]) == {"pinned", "current"}
    assert set(related["evidence"]["firm"]["pinned"]) == {
        "version", "name", "registered_address", "contact_phone", "bank_account", "people"}
    [decision] = body["decisions"]
    stored = db.session.query(ClaimDecision).one()
    assert decision == {"id": stored.id, "stage": "first_review", "decision": "approve",
                        "comment": "材料齐全", "decided_by_id": auditor.id,
                        "created_dt": stored.created_dt.isoformat()}


def test_the_parties_see_results_without_evidence_and_others_get_404(client, auditor):
    firm_member = person("firm")
    claim = claim_at_first_review(auditor, firm_member)
    body = client.get(f"{PREFIX}/claims/{claim.id}", headers=token_for(firm_member)).get_json()
    assert {c["name"] for c in body["checks"]} == CHECK_NAMES
    assert all(c["evidence"] is None for c in body["checks"])
    assert_error(client.get(f"{PREFIX}/claims/{claim.id}", headers=token_for(person("firm"))),
                 404, "not_found")
    assert_error(client.get(f"{PREFIX}/claims/987654", headers=token_for(auditor)),
                 404, "not_found")


# --- decisions ---------------------------------------------------------------------------------

def test_a_decision_needs_an_idempotency_key_and_replays_the_first_answer(client, auditor):
    claim = claim_at_first_review(auditor)
    url = f"{PREFIX}/claims/{claim.id}/decisions"
    assert_error(client.post(url, json={"decision": "approve"}, headers=token_for(auditor)),
                 400, "idempotency_key_missing")
    headers = token_for(auditor, key="decide-1")
    first = client.post(url, json={"decision": "approve", "comment": "齐全"},
                        headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert (body["status"], body["stage"]) == ("final_approval", "final_approval")
    assert [d["decision"] for d in body["decisions"]] == ["approve"]
    again = client.post(url, json={"decision": "approve", "comment": "齐全"},
                        headers=headers)
    assert again.status_code == 200 and again.get_json() == body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(ClaimDecision).count() == 1
    assert_error(client.post(url, json={"decision": "reject", "comment": "x"},
                             headers=headers), 422, "idempotency_key_reused")


def test_a_reason_is_required_to_return_or_reject(client, auditor):
    claim = claim_at_first_review(auditor)
    url = f"{PREFIX}/claims/{claim.id}/decisions"
    error = assert_error(client.post(url, json={"decision": "return", "comment": "  "},
                                     headers=token_for(auditor, key="r-1")),
                         422, "reason_required")
    assert error["details"] == {"field": "comment"}
    assert_error(client.post(url, json={"decision": "approve", "scores": [5, 5, 5]},
                             headers=token_for(auditor, key="r-2")), 422,
                 "validation_error")
    response = client.post(url, json={"decision": "return", "comment": "请补充验收报告"},
                           headers=token_for(auditor, key="r-3"))
    assert response.status_code == 200 and response.get_json()["stage"] == "correction"


def test_only_the_stage_reviewer_decides(client, auditor, supervisor):
    claim = claim_at_first_review(auditor)
    url = f"{PREFIX}/claims/{claim.id}/decisions"
    body = {"decision": "approve"}
    assert_error(client.post(url, json=body, headers=token_for(person("auditor"), "a")),
                 403, "not_stage_reviewer")
    assert_error(client.post(url, json=body, headers=token_for(supervisor, "b")),
                 403, "not_stage_reviewer")
    assert_error(client.post(url, json=body, headers=token_for(person("admin"), "c")),
                 403, "forbidden")
    firm_member = claim.order.firm.members[0]
    assert_error(client.post(url, json=body, headers=token_for(firm_member, "d")),
                 403, "forbidden")
    assert_error(client.post(f"{PREFIX}/claims/987654/decisions", json=body,
                             headers=token_for(auditor, "e")), 404, "not_found")
    assert reload(Claim, claim.id).status == ClaimStatus.FIRST_REVIEW


def test_a_supervisor_cannot_finalise_a_claim_they_reviewed_first(client, auditor,
                                                                   supervisor):
    claim = claim_at_final_approval(auditor)
    claim.first_reviewer_id = supervisor.id
    db.session.commit()
    url = f"{PREFIX}/claims/{claim.id}/decisions"
    assert_error(client.post(url, json={"decision": "approve"},
                             headers=token_for(supervisor, "f")), 403, "four_eyes")
    other = person("supervisor")
    db.session.commit()
    response = client.post(url, json={"decision": "approve"}, headers=token_for(other, "g"))
    assert response.status_code == 200 and response.get_json()["stage"] == "disbursement"
    assert ledger.violations() == []


# --- disbursement ---------------------------------------------------------------------------------

def test_a_batch_is_created_and_paid_once(client, auditor, supervisor):
    claims = [approved_claim(auditor, supervisor) for _ in range(2)]
    url = f"{PREFIX}/disbursements"
    body = {"claim_ids": [c.id for c in claims]}
    assert_error(client.post(url, json=body, headers=token_for(auditor, "x")), 403,
                 "forbidden")
    assert_error(client.post(url, json={"claim_ids": []}, headers=token_for(supervisor, "y")),
                 422, "validation_error")
    response = client.post(url, json=body, headers=token_for(supervisor, "batch-1"))
    assert response.status_code == 201
    batch = db.session.query(DisbursementBatch).one()
    answer = response.get_json()
    lines = answer.pop("lines")
    assert answer == {"id": batch.id, "status": "open",
                      "claim_ids": [c.id for c in claims], "line_count": 2,
                      "total_fen": 100_000_00, "export_count": 0, "sent_dt": None,
                      "sent_total_fen": None, "treasury_reference": None, "paid_dt": None}
    assert [(line["kind"], line["claim_id"], line["amount_fen"], line["status"])
            for line in lines] == [("voucher_part", c.id, 50_000_00, "included")
                                   for c in claims]
    error = assert_error(client.post(url, json=body, headers=token_for(supervisor, "batch-2")),
                         409, "claims_not_payable")
    assert error["details"] == {"claim_ids": [c.id for c in claims]}

    paid_url = f"{PREFIX}/disbursements/{batch.id}/paid"
    assert_error(client.post(paid_url, json={"treasury_reference": ""},
                             headers=token_for(supervisor, "p-0")), 422, "validation_error")
    response = client.post(paid_url, json={"treasury_reference": "国库 2026-0001"},
                           headers=token_for(supervisor, "p-1"))
    assert response.status_code == 200
    paid = response.get_json()
    batch = reload(DisbursementBatch, batch.id)
    assert {line["status"] for line in paid.pop("lines")} == {"paid"}
    assert paid == {"id": batch.id, "status": "paid", "claim_ids": [c.id for c in claims],
                    "line_count": 2, "total_fen": 100_000_00, "export_count": 0,
                    "sent_dt": None, "sent_total_fen": None,
                    "treasury_reference": "国库 2026-0001",
                    "paid_dt": batch.paid_dt.isoformat()}
    assert_error(client.post(paid_url, json={"treasury_reference": "again"},
                             headers=token_for(supervisor, "p-2")), 409,
                 "batch_already_paid")
    assert all(reload(Claim, c.id).status == ClaimStatus.DISBURSED for c in claims)
    assert_error(client.post(f"{PREFIX}/disbursements/987654/paid",
                             json={"treasury_reference": "x"},
                             headers=token_for(supervisor, "p-3")), 404, "not_found")
    assert ledger.violations() == []
