"""Answers to a signed-in user are personal: no browser, proxy or shared computer may keep
them (``Cache-Control: no-store``), pages and API alike; a visitor's public pages stay
cacheable."""
from marketplace.accounts.services import issue_api_token
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory
from tests.integration.claims.test_claim_workflow import accepted_claim


def test_every_signed_in_page_and_api_answer_is_no_store(app):
    firm_member = FirmMemberFactory()
    claim = accepted_claim(firm_member)
    _token, bearer = issue_api_token(firm_member, "t")
    db.session.commit()
    client = app.test_client()
    login(client, firm_member.email)
    pages = [f"/orders/{claim.order_id}", f"/claims/{claim.id}",
             f"/vouchers/{claim.voucher_id}", "/profile", "/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "private, no-store", path
    api = app.test_client()
    for path in ("/api/v1/me", f"/api/v1/orders/{claim.order_id}"):
        response = api.get(path, headers={"Authorization": f"Bearer {bearer}"})
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "private, no-store", path


def test_a_visitors_public_page_stays_cacheable(client):
    response = client.get("/transparency")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
