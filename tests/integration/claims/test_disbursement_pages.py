"""The supervisors' claim pages through the test client: reassigning a claim to another
auditor, and disbursement batches (create, export, pay once)."""
import io

import pytest
from sqlalchemy import select

from marketplace.claims.models import BatchStatus, Claim, ClaimStatus, DisbursementBatch
from marketplace.core import ledger
from marketplace.extensions import db
from tests.integration.claims.builders import (approved_claim, claim_at_first_review,
                                               page_text, person, reload, signed_in)


@pytest.fixture
def supervisor():
    found = person("supervisor", name="Supervisor Zhao")
    db.session.commit()
    return found


# --- reassignment ---------------------------------------------------------------------------------

def test_a_supervisor_reassigns_a_claim_to_another_auditor(client, auditor, supervisor):
    claim = claim_at_first_review(auditor)
    other = person("auditor", name="Auditor Wang")
    db.session.commit()
    client = signed_in(supervisor)

    assert "Assign to another auditor" in page_text(client.get(f"/claims/{claim.id}"))
    response = client.post(f"/claims/{claim.id}/assignment", data={"auditor": auditor.id})
    assert response.status_code == 422
    assert "The claim is already assigned to this auditor." in page_text(response)
    response = client.post(f"/claims/{claim.id}/assignment", data={"auditor": other.id})
    assert response.status_code == 302
    assert reload(Claim, claim.id).assigned_auditor_id == other.id
    shown = page_text(client.get(f"/claims/{claim.id}"))
    assert "reassigned to another auditor" in shown and "Assigned to Auditor Wang." in shown


# --- disbursement ------------------------------------------------------------------------------------

def test_a_batch_is_created_exported_and_paid_once(client, auditor, supervisor):
    first = approved_claim(auditor, supervisor)
    second = approved_claim(auditor, supervisor)
    client = signed_in(supervisor)

    shown = page_text(client.get("/disbursements"))
    assert f"Claim #{first.id}" in shown and "¥100,000.00" in shown
    response = client.post("/disbursements", data={"idempotency_token": "b-0"})
    assert response.status_code == 422
    assert "Choose at least one approved claim or co-pay." in page_text(response)
    response = client.post("/disbursements", data={"claim_ids": [first.id, second.id],
                                                   "idempotency_token": "b-1"})
    assert response.status_code == 302
    batch = db.session.execute(select(DisbursementBatch)).scalar_one()
    assert response.location == f"/disbursements/{batch.id}"
    assert (batch.line_count, batch.total_fen) == (2, 100_000_00)

    csv = client.get(f"/disbursements/{batch.id}/export.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    assert f"CLAIM-{first.id}" in csv.get_data(as_text=True)
    xlsx = client.get(f"/disbursements/{batch.id}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][:3] == ["line_reference", "kind", "payee"]
    assert reload(DisbursementBatch, batch.id).export_count == 2

    response = client.post(f"/disbursements/{batch.id}/paid",
                           data={"treasury_reference": "国库 2026-01",
                                 "idempotency_token": "p-1"})
    assert response.status_code == 422
    shown = page_text(response)
    assert "Tick the box to confirm this step." in shown and "国库 2026-01" in shown
    response = client.post(f"/disbursements/{batch.id}/paid",
                           data={"treasury_reference": "国库 2026-01", "confirm": "y",
                                 "idempotency_token": "p-2"})
    assert response.status_code == 302
    batch = reload(DisbursementBatch, batch.id)
    assert batch.status == BatchStatus.PAID and batch.treasury_reference == "国库 2026-01"
    assert reload(Claim, first.id).status == ClaimStatus.DISBURSED
    shown = page_text(client.get(f"/disbursements/{batch.id}"))
    assert "paid by the treasury" in shown and "Record as paid" not in shown

    again = client.post(f"/disbursements/{batch.id}/paid",
                        data={"treasury_reference": "again", "confirm": "y",
                              "idempotency_token": "p-3"})
    assert again.status_code == 409
    assert "This batch is already recorded as paid." in page_text(again)
    assert reload(DisbursementBatch, batch.id).treasury_reference == "国库 2026-01"
    assert ledger.violations() == []


def test_a_claim_already_in_a_batch_cannot_go_in_another(client, auditor, supervisor):
    claim = approved_claim(auditor, supervisor)
    client = signed_in(supervisor)
    assert client.post("/disbursements", data={"claim_ids": [claim.id],
                                               "idempotency_token": "c-1"}).status_code == 302
    response = client.post("/disbursements", data={"claim_ids": [claim.id],
                                                   "idempotency_token": "c-2"})
    assert response.status_code == 409
    assert "Only approved claims not yet in a batch can be disbursed." in page_text(response)
    assert "No approved claim waits for payment." in page_text(client.get("/disbursements"))


@pytest.mark.parametrize("role", ["auditor", "admin", "firm"])
def test_only_supervisors_reach_disbursement(client, role):
    user = person(role)
    db.session.commit()
    client = signed_in(user)
    assert client.get("/disbursements").status_code == 403
