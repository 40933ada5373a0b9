"""GET /api/v1/contracts (the bureau, with filters) and POST /api/v1/contracts (a firm or
an agency registers an off-platform contract: pending; 422 with the field named)."""
from datetime import date, timedelta

from marketplace.extensions import db
from marketplace.turnover.models import ContractRegistration, RegistrationStatus
from tests.factories import FirmMemberFactory
from tests.integration.test_api_base import PREFIX, assert_error
from tests.integration.turnover.registry_builders import person
from tests.support.api import token_for

BODY = {"party": "buyer", "contract_number": "API-1", "contract_type": "技术咨询",
        "contract_amount_fen": 50_000_00, "technical_amount_fen": 45_000_00,
        "seller": "南昌大学", "seller_district": "红谷滩区", "field": "agriculture",
        "signed_on": (date.today() - timedelta(days=2)).isoformat(), "voucher_funded": True}


def test_a_firm_registers_by_api_and_the_bureau_lists_with_filters(client):
    member = FirmMemberFactory()
    supervisor = person("supervisor")
    firm_headers, bureau_headers = token_for(member), token_for(supervisor)
    created = client.post(f"{PREFIX}/contracts", json=BODY, headers=firm_headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["status"] == "pending" and body["source"] == "manual"
    assert body["buyer"] == member.organisation.name and body["seller"] == "南昌大学"
    assert body["contract_type"] == "consulting" and body["voucher_funded"] is True
    assert body["registered_on"] == date.today().isoformat()
    row = db.session.get(ContractRegistration, body["id"])
    assert row.status == RegistrationStatus.PENDING and row.buyer_org_id == member.organisation_id
    assert_error(client.post(f"{PREFIX}/contracts", json=BODY, headers=firm_headers), 409,
                 "contract_already_registered")
    other = client.post(f"{PREFIX}/contracts", headers=firm_headers, json={
        **BODY, "contract_number": "API-2", "party": "seller", "buyer": "某企业",
        "seller_district": "outside", "contract_type": "licensing"})
    assert other.status_code == 201 and other.get_json()["seller_in_city"] is False

    assert_error(client.get(f"{PREFIX}/contracts", headers=firm_headers), 403, "forbidden")
    listed = client.get(f"{PREFIX}/contracts?type=consulting&year={date.today().year}",
                        headers=bureau_headers).get_json()
    assert [i["contract_number"] for i in listed["items"]] == ["API-1"]
    assert listed["total"] == 1 and listed["page"] == 1
    outside = client.get(f"{PREFIX}/contracts?in_city=no", headers=bureau_headers)
    assert [i["contract_number"] for i in outside.get_json()["items"]] == ["API-2"]
    honggutan = db.session.get(ContractRegistration, body["id"]).seller_district_id
    inside = client.get(f"{PREFIX}/contracts?district={honggutan}&in_city=yes",
                        headers=bureau_headers).get_json()
    assert [i["contract_number"] for i in inside["items"]] == ["API-1"]
    assert client.get(f"{PREFIX}/contracts?year={date.today().year - 1}",
                      headers=bureau_headers).get_json()["total"] == 0
    assert_error(client.get(f"{PREFIX}/contracts?type=barter", headers=bureau_headers),
                 422, "validation_error")


def test_invalid_registrations_are_refused_with_the_field_named(client):
    headers = token_for(FirmMemberFactory())
    for change, field in (({"technical_amount_fen": 60_000_00}, "technical_amount_fen"),
                          ({"seller_district": "北京"}, "seller_district"),
                          ({"field": "alchemy"}, "field"),
                          ({"contract_type": "合作"}, "contract_type"),
                          ({"seller": None}, "seller"),
                          ({"contract_amount_fen": 0}, "contract_amount_fen")):
        response = client.post(f"{PREFIX}/contracts", json={**BODY, **change}, headers=headers)
        error = assert_error(response, 422, "validation_error")
        assert field in [f["loc"][-1] for f in error["details"]["fields"]], (change, error)
    assert db.session.query(ContractRegistration).count() == 0
