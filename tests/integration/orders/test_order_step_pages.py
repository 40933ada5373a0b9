"""The order pages after the co-pay: the agency delivers with its invoice and files,
the firm accepts (the claim is created), disputes (the auditor mediates) or rates;
either side asks to cancel and the other answers."""
import io
import re
from datetime import date

from sqlalchemy import select

from marketplace import funds
from marketplace.claims.models import Claim
from marketplace.extensions import db
from marketplace.orders import fulfilment
from marketplace.orders.models import Delivery, OrderDocument, OrderStatus, Rating
from marketplace.vouchers import services as vouchers
from tests.conftest import login
from tests.factories import PDF_BYTES, PNG_BYTES, make_quoted_order
from tests.integration.orders.order_world import (accepted, agency_member, committed,  # noqa: F401
                                                  delivered, firm_member, offering,
                                                  page_text, paid, person, quoted, reload,
                                                  signed, token, voucher)


# --- delivery -------------------------------------------------------------------------------

def delivery_form(**changes):
    form = {"delivery-summary": "Report and raw data", "delivery-invoice_number": "FP-2026-001",
            "delivery-invoice_amount": "100000", "delivery-invoice_date": date.today().isoformat()}
    form.update({f"delivery-{k}": v for k, v in changes.items()})
    return form


def test_the_agency_delivers_with_the_invoice_and_files(client, quoted, firm_member,
                                                       agency_member):
    paid(quoted, firm_member)
    login(client, agency_member.email)
    data = delivery_form(files=[(io.BytesIO(PDF_BYTES), "report.pdf"),
                                (io.BytesIO(PNG_BYTES), "photo.png")])
    response = client.post(f"/orders/{quoted.id}/delivery", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    order = reload(quoted)
    assert order.status == OrderStatus.DELIVERED
    assert order.delivery.invoice_number == "FP-2026-001"
    names = [d.original_name for d in db.session.execute(select(OrderDocument)).scalars()]
    assert names == ["report.pdf", "photo.png"]
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert "Delivered with the invoice" in shown and "Invoice FP-2026-001" in shown


def test_a_duplicate_invoice_is_refused_next_to_its_field(client, offering, quoted,
                                                          firm_member, agency_member):
    delivered(make_quoted_order(offering, firm_member), firm_member, invoice="FP 2026 001")
    paid(quoted, firm_member)
    login(client, agency_member.email)
    response = client.post(f"/orders/{quoted.id}/delivery",
                           data=delivery_form(summary="Second report"))
    shown = page_text(response)
    assert response.status_code == 409
    assert "This invoice number has been used before." in shown
    assert "Second report</textarea>" in shown and 'value="FP-2026-001"' in shown
    assert reload(quoted).status == OrderStatus.PAID


def test_a_file_that_is_no_document_undoes_the_delivery(client, quoted, firm_member,
                                                        agency_member):
    paid(quoted, firm_member)
    login(client, agency_member.email)
    response = client.post(f"/orders/{quoted.id}/delivery",
                           data=delivery_form(files=[(io.BytesIO(b"MZ\x90\x00"), "a.exe")]),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Only PDF, PNG or JPEG files are accepted." in page_text(response)
    assert reload(quoted).status == OrderStatus.PAID
    assert db.session.execute(select(Delivery)).first() is None


# --- acceptance, dispute, mediation, rating -------------------------------------------------

def test_acceptance_creates_the_claim_shown_on_the_page(client, quoted, firm_member, voucher):
    delivered(quoted, firm_member, voucher)
    login(client, firm_member.email)
    assert "Accept the delivery" in page_text(client.get(f"/orders/{quoted.id}"))
    response = client.post(f"/orders/{quoted.id}/acceptance",
                           data={"idempotency_token": token()})
    assert response.status_code == 302
    claim = db.session.execute(select(Claim)).scalar_one()
    assert (reload(quoted).status, claim.amount_fen) == (OrderStatus.ACCEPTED, 50_000_00)
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert f"Claim #{claim.id} for ¥50,000.00" in shown
    assert "Released to the agency on acceptance." in shown


def test_a_dispute_needs_a_reason_and_the_auditor_mediates(client, quoted, firm_member):
    delivered(quoted, firm_member)
    login(client, firm_member.email)
    assert client.post(f"/orders/{quoted.id}/dispute",
                       data={"dispute-reason": "  "}).status_code == 422
    response = client.post(f"/orders/{quoted.id}/dispute",
                           data={"dispute-reason": "Raw data missing"})
    assert response.status_code == 302
    assert reload(quoted).status == OrderStatus.DISPUTED
    client.post("/logout")

    supervisor = person("supervisor")
    login(client, supervisor.email)
    assert client.post(f"/orders/{quoted.id}/mediation",
                       data={"mediation-outcome": "redeliver", "mediation-note": "Redo",
                             "idempotency_token": token()}).status_code == 403
    client.post("/logout")
    auditor = person("auditor")
    login(client, auditor.email)
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert "Mediate the dispute." in shown and "Raw data missing" in shown
    response = client.post(f"/orders/{quoted.id}/mediation",
                           data={"mediation-outcome": "redeliver",
                                 "mediation-note": "Add the raw data",
                                 "idempotency_token": token()})
    assert response.status_code == 302
    order = reload(quoted)
    assert order.status == OrderStatus.PAID and order.delivery is None
    assert "Add the raw data" in page_text(client.get(f"/orders/{quoted.id}"))


def test_the_firm_rates_once_after_acceptance(client, quoted, firm_member):
    accepted(quoted, firm_member)
    login(client, firm_member.email)
    assert client.post(f"/orders/{quoted.id}/rating",
                       data={"rating-stars": "9"}).status_code == 422
    response = client.post(f"/orders/{quoted.id}/rating",
                           data={"rating-stars": "4", "rating-comment": "On time"})
    assert response.status_code == 302
    assert db.session.execute(select(Rating.stars)).scalar_one() == 4
    again = client.post(f"/orders/{quoted.id}/rating", data={"rating-stars": "5"})
    assert again.status_code == 409
    assert "This order has been rated already." in page_text(again)


# --- cancellation ---------------------------------------------------------------------------

def test_before_a_contract_either_side_cancels_at_once(client, quoted, agency_member):
    login(client, agency_member.email)
    response = client.post(f"/orders/{quoted.id}/cancellation",
                           data={"cancellation-reason": "Lab fully booked",
                                 "idempotency_token": token()})
    assert response.status_code == 302
    assert reload(quoted).status == OrderStatus.CANCELLED
    assert "This order is cancelled." in page_text(client.get(f"/orders/{quoted.id}"))


def test_after_the_contract_the_other_side_agrees_and_the_reservation_is_released(
        client, quoted, firm_member, agency_member, voucher):
    signed(quoted, firm_member, voucher)
    login(client, firm_member.email)
    assert client.post(f"/orders/{quoted.id}/cancellation",
                       data={"cancellation-reason": "", "idempotency_token": token()}
                       ).status_code == 422
    client.post(f"/orders/{quoted.id}/cancellation",
                data={"cancellation-reason": "Project stopped", "idempotency_token": token()})
    assert reload(quoted).cancel_requested_by == "firm"
    answer = client.post(f"/orders/{quoted.id}/cancellation/answer",
                         data={"answer-decision": "agree", "idempotency_token": token()})
    assert answer.status_code == 409
    assert "The other party has to act first." in page_text(answer)
    client.post("/logout")

    login(client, agency_member.email)
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert "The firm asked to cancel this order." in shown and "Project stopped" in shown
    response = client.post(f"/orders/{quoted.id}/cancellation/answer",
                           data={"answer-decision": "agree", "idempotency_token": token()})
    assert response.status_code == 302
    assert reload(quoted).status == OrderStatus.CANCELLED
    assert funds.figures.voucher_balances(voucher)["reserved_fen"] == 0


def test_a_declined_cancellation_lets_the_order_go_on(client, quoted, firm_member,
                                                     agency_member):
    signed(quoted, firm_member)
    fulfilment.request_cancellation(quoted, agency_member, "Staff shortage")
    committed(quoted)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/cancellation/answer",
                           data={"answer-decision": "decline", "idempotency_token": token()})
    assert response.status_code == 302
    order = reload(quoted)
    assert (order.status, order.cancel_requested_by) == (OrderStatus.CONTRACTED, None)


def test_agreeing_to_cancel_a_contract_asks_first_declining_does_not(client, quoted,
                                                                     firm_member, agency_member):
    # agreeing ends the contract, releases the voucher part and refunds the co-pay: as
    # final as the request to cancel, which already asks "are you sure?"
    signed(quoted, firm_member)
    fulfilment.request_cancellation(quoted, firm_member, "Project stopped")
    committed(quoted)
    login(client, agency_member.email)
    page = client.get(f"/orders/{quoted.id}").get_data(as_text=True)
    buttons = {value: tag for tag, value in re.findall(
        r'<button([^>]*name="answer-decision"[^>]*value="(\w+)"[^>]*)>', page)}
    assert set(buttons) == {"agree", "decline"}
    assert "data-confirm=" in buttons["agree"]
    assert "data-confirm=" not in buttons["decline"]
    answer_form = re.search(r'<form[^>]*id="answer-form"[^>]*>', page).group(0)
    assert "data-confirm" not in answer_form        # declining is asked nothing
