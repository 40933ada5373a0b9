"""The commissioners' pages and API as people use them: the directory's filters, the
application form keeping what was typed, strict ids in the API, a service logged by the
API; the pool's share and the reward list through the API."""
from datetime import date

import pytest

from marketplace.commissioners.models import Commissioner, CommissionerService
from marketplace.experts import pool
from marketplace.extensions import db
from marketplace.incentives import services as rewards
from tests.conftest import login
from tests.factories import AgencyMemberFactory, FirmMemberFactory, staff
from tests.integration.commissioners.builders import (application_fields, district, paired,
                                                      recognised)
from tests.support.api import token_for


@pytest.fixture
def directory():
    auditor = staff("auditor")
    found = {"materials": recognised(auditor=auditor, expertise="金属材料失效分析"),
             "software": recognised(auditor=auditor, field_code="electronic_information",
                                    expertise="工业软件与数据采集")}
    db.session.commit()
    return found


def test_the_directory_filters_by_field_and_words(client, directory):
    page = client.get("/commissioners?field=electronic_information").get_data(as_text=True)
    assert "工业软件与数据采集" in page and "金属材料失效分析" not in page
    page = client.get("/commissioners?q=失效").get_data(as_text=True)
    assert "金属材料失效分析" in page and "工业软件" not in page


def test_the_api_lists_recognised_commissioners_with_filters(client, directory):
    answer = client.get(f"/api/v1/commissioners?district={district().id}&q=软件").get_json()
    assert answer["total"] == 1
    assert answer["items"][0]["id"] == directory["software"].id
    assert answer["items"][0]["status"] == "recognised"
    assert client.get("/api/v1/commissioners?field=alchemy").status_code == 422


def test_a_refused_application_form_keeps_what_was_typed(client):
    member = AgencyMemberFactory()
    db.session.commit()
    login(client, member.email)
    response = client.post("/commissioners/apply", data={
        "field_code": "new_materials", "organisation_name": "南昌大学",
        "title": "教授", "qualifications": "", "expertise": "稀土发光材料",
        "service_areas": "高新区", "district_id": str(district().id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "稀土发光材料" in page and "南昌大学" in page
    assert db.session.query(Commissioner).count() == 0


@pytest.mark.parametrize("district_id", ["1", 1.0, True])
def test_the_api_refuses_an_id_that_is_not_an_integer(client, district_id):
    headers = token_for(AgencyMemberFactory())
    body = application_fields(district_id=district_id)
    response = client.post("/api/v1/commissioner-applications", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_the_api_applies_and_the_commissioner_logs_a_service(client):
    member = AgencyMemberFactory()
    headers = token_for(member)
    response = client.post("/api/v1/commissioner-applications",
                           json=application_fields(district_id=district().id),
                           headers=headers)
    assert response.status_code == 201 and response.get_json()["status"] == "submitted"
    commissioner = db.session.get(Commissioner, response.get_json()["id"])
    firm_member = FirmMemberFactory()
    recognised_one = recognised(user=AgencyMemberFactory())
    pairing = paired(recognised_one, firm_member)
    db.session.commit()
    body = {"pairing_id": pairing.id, "service_on": date.today().isoformat(),
            "place": "车间", "participants": "三人", "work_done": "诊断", "outcome": "改进"}
    mine = token_for(recognised_one.user)
    answer = client.post(f"/api/v1/commissioners/{recognised_one.id}/services", json=body,
                         headers=mine)
    assert answer.status_code == 201 and answer.get_json()["status"] == "logged"
    assert db.session.query(CommissionerService).count() == 1
    # their own application, not recognised yet, or someone else's: refused
    assert client.post(f"/api/v1/commissioners/{commissioner.id}/services", json=body,
                       headers=headers).status_code == 403
    assert client.post(f"/api/v1/commissioners/{recognised_one.id}/services", json=body,
                       headers=headers).status_code == 403
    assert client.post(f"/api/v1/commissioners/{recognised_one.id}/services",
                       json={**body, "pairing_id": "1"}, headers=mine).status_code == 422


def test_the_api_gives_the_pools_share_against_the_target(client, app):
    from tests.integration.claims.test_experts import make_expert

    for province in ("36", "31", "44", "36"):
        make_expert().province = province
    pool.set_setting(date.today().year, staff("admin"), out_of_province_target_bp=3000,
                     require_out_of_province=False)
    answer = client.get("/api/v1/experts/pool", headers=token_for(staff("auditor"))).get_json()
    assert answer["total"] == 4 and answer["out_of_province"] == 2
    assert answer["out_of_province_share"] == 0.5
    assert answer["out_of_province_target_share"] == 0.3
    assert client.get("/api/v1/experts/pool",
                      headers=token_for(FirmMemberFactory())).status_code == 403


def test_the_api_gives_the_reward_list_with_each_lines_basis(client):
    from tests.integration.incentives.test_rewards import YEAR, register

    seller = AgencyMemberFactory().organisation
    buyer = FirmMemberFactory().organisation
    register("C-1", seller, buyer, 1_000_000_00)
    rewards.compute_list(YEAR, staff("auditor"))
    headers = token_for(staff("supervisor"))
    answer = client.get(f"/api/v1/incentives?year={YEAR}", headers=headers).get_json()
    seller_line = next(line for line in answer["lines"] if line["role"] == "seller")
    assert seller_line["organisation_id"] == seller.id
    assert seller_line["basis"] == [{"contract_number": "C-1",
                                     "technical_amount_fen": 1_000_000_00,
                                     "amount_fen": 10_000_00}]
    assert answer["status"] == "computed" and answer["total_fen"] == 10_000_00 + 100_00
    missing = client.get(f"/api/v1/incentives?year={YEAR - 5}", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "no_reward_list"


def test_the_api_gives_the_reward_list_a_page_at_a_time(client):
    from tests.integration.incentives.test_rewards import YEAR, register

    for number in range(3):
        register(f"P-{number}", AgencyMemberFactory().organisation,
                 FirmMemberFactory().organisation, (number + 1) * 1_000_000_00)
    rewards.compute_list(YEAR, staff("auditor"))
    headers = token_for(staff("supervisor"))
    whole = client.get(f"/api/v1/incentives?year={YEAR}", headers=headers).get_json()
    assert whole["lines_total"] == len(whole["lines"]) > 2
    assert (whole["page"], whole["per_page"]) == (1, 100)
    pages = [client.get(f"/api/v1/incentives?year={YEAR}&per_page=2&page={page}",
                        headers=headers).get_json() for page in (1, 2, 3, 4)]
    seen = [line["id"] for answer in pages for line in answer["lines"]]
    assert seen == [line["id"] for line in whole["lines"]]      # every line once, in order
    assert all(len(answer["lines"]) <= 2 for answer in pages)
    assert all(answer["lines_total"] == whole["lines_total"] for answer in pages)
    too_many = client.get(f"/api/v1/incentives?year={YEAR}&per_page=501", headers=headers)
    assert too_many.status_code == 422
