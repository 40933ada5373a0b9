"""GET/POST /api/v1/results, GET/POST /api/v1/demands, GET /api/v1/demands/{id}/matches."""
from marketplace.accounts.services import issue_api_token
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, FirmMemberFactory, make_agency_profile
from tests.integration.exchange.builders import make_result


def _auth(user):
    _token, plaintext = issue_api_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


RESULT = {"title": "碳纤维复合材料快速模压成型", "field_code": "new_materials",
          "summary": "快速固化树脂与模压成型工艺，碳纤维复合材料构件十分钟成型，适合汽车轻量化。",
          "ip_type": "invention_patent", "ip_numbers": "ZL202110234567.8", "trl": 6,
          "transfer_modes": ["mode_licence", "mode_transfer"]}
DEMAND = {"title": "电池包壳体碳纤维复合材料成型", "field_code": "new_materials",
          "description": "新能源汽车电池包壳体想用碳纤维复合材料替代钢板，需要快速模压成型工艺。",
          "budget_min_fen": 30_000_000, "budget_max_fen": 80_000_000,
          "deadline": "2099-12-31", "intends_voucher": True}


def test_results_and_demands_through_the_api_with_ranked_matches(client):
    agency_member = AgencyMemberFactory()
    profile = make_agency_profile(agency_member)
    make_result(title="脐橙采后保鲜", field_code="agriculture",
                summary="脐橙采后涂膜保鲜与冷链贮藏技术，腐烂率低，贮藏期长。")
    firm_member = FirmMemberFactory()
    agency_headers, firm_headers = _auth(agency_member), _auth(firm_member)

    created = client.post("/api/v1/results", json=RESULT, headers=agency_headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "published" and body["asking_price_fen"] is None
    assert body["transfer_modes"] == ["mode_transfer", "mode_licence"]   # fixed order
    assert body["agency"]["id"] == profile.organisation_id
    listed = client.get("/api/v1/results?field=new_materials").get_json()
    assert [r["id"] for r in listed["items"]] == [body["id"]] and listed["total"] == 1

    demand = client.post("/api/v1/demands", json=DEMAND, headers=firm_headers)
    assert demand.status_code == 201, demand.get_json()
    demand_id = demand.get_json()["id"]
    assert demand.get_json()["firm"]["id"] == firm_member.organisation_id  # its own firm

    seen_by_agency = client.get("/api/v1/demands", headers=agency_headers).get_json()
    assert [d["id"] for d in seen_by_agency["items"]] == [demand_id]
    assert seen_by_agency["items"][0]["firm"] is None          # hidden until it accepts

    matches = client.get(f"/api/v1/demands/{demand_id}/matches", headers=agency_headers)
    assert matches.status_code == 200
    items = matches.get_json()["items"]
    assert items[0] == {**items[0], "kind": "result", "id": body["id"]}
    assert items[0]["score"] > 0 and items[0]["reasons"]["same_field"] is True
    assert "碳纤维复合材料" in items[0]["reasons"]["shared_terms"]
    assert all(item["title"] != "脐橙采后保鲜" for item in items)
    scores = [i["score"] for i in items if i["kind"] == "result"]
    assert scores == sorted(scores, reverse=True)


def test_the_api_refuses_bad_listings_with_field_errors(client):
    agency_member = AgencyMemberFactory()
    make_agency_profile(agency_member)
    headers = _auth(agency_member)
    wrong_field = client.post("/api/v1/results", json={**RESULT, "field_code": "astrology"},
                              headers=headers)
    assert wrong_field.status_code == 422   # the fields are an enum of the document
    assert [f["loc"] for f in wrong_field.get_json()["error"]["details"]["fields"]] == [
        ["field_code"]]
    no_mode = client.post("/api/v1/results", json={**RESULT, "transfer_modes": []},
                          headers=headers)
    assert no_mode.status_code == 422
    firm_headers = _auth(FirmMemberFactory())
    upside_down = client.post("/api/v1/demands", headers=firm_headers, json={
        **DEMAND, "budget_min_fen": 90_000_000, "budget_max_fen": 10_000_000})
    assert upside_down.status_code == 422
    assert upside_down.get_json()["error"]["details"]["field"] == "budget_min_fen"
    past = client.post("/api/v1/demands", headers=firm_headers,
                       json={**DEMAND, "deadline": "2001-01-01"})
    assert past.status_code == 422


def test_an_agency_not_admitted_cannot_publish_results(client):
    member = AgencyMemberFactory()
    make_agency_profile(member, status="submitted")
    response = client.post("/api/v1/results", json=RESULT, headers=_auth(member))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "agency_not_admitted"
