"""The catalogue endpoints of the JSON API: search with filters and pages, one offering,
one agency with its scorecard, and agencies creating and changing their own offerings."""
import pytest
from sqlalchemy import select

from marketplace.accounts.models import District, Role
from marketplace.agencies import services as registry
from marketplace.agencies.models import ServiceCategory
from marketplace.agencies.categories import save_category
from marketplace.catalogue import services
from marketplace.catalogue.models import AgencyScorecard, Offering, OfferingStatus
from marketplace.extensions import db
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_offering)
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import bearer, token_for


def reload(offering_id):
    db.session.expire_all()
    return db.session.get(Offering, offering_id)


def titles(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["title"] for item in response.get_json()["items"]]


@pytest.fixture
def agency():
    profile = make_agency_profile(category_codes=("testing", "ip"))
    db.session.commit()
    return profile


@pytest.fixture
def member(agency):
    return agency.organisation.members[0]


@pytest.fixture
def catalogue(agency, member):
    testing = make_offering(agency, actor=member, title="材料检测服务")
    ip = make_offering(agency, actor=member, title="知识产权代理", category_code="ip",
                       price_fen=None, guide_min_fen=1_000_00, guide_max_fen=5_000_00,
                       description="专利申请、商标注册与版权登记的全流程代理。",
                       deliverables="受理通知书", accepts_vouchers=False)
    out_of_town = make_agency_profile(AgencyMemberFactory(), in_city=False,
                                      agency_type="university")
    out_of_town.organisation.district = None
    university = make_offering(out_of_town, title="高校材料检测平台", price_fen=50_000_00)
    db.session.commit()
    return {"testing": testing, "ip": ip, "university": university}


# --- the list ---------------------------------------------------------------------------

def test_the_list_is_public_and_has_exactly_the_documented_shape(client, catalogue, agency):
    response = client.get(f"{PREFIX}/offerings?q=知识产权")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"items": [{"id": catalogue["ip"].id, "title": "知识产权代理",
                               "category": "ip", "price_fen": None,
                               "agency": {"id": agency.organisation_id,
                                          "name": agency.name}}],
                    "total": 1, "total_exact": True, "page": 1, "per_page": 20}
    fixed = client.get(f"{PREFIX}/offerings?q=材料检测服务").get_json()["items"][0]
    assert fixed["price_fen"] == 8_000_00 and fixed["category"] == "testing"


def test_a_chinese_query_ranks_title_matches_first(client, catalogue, agency, member):
    make_offering(agency, actor=member, title="工业设计", category_code="rnd_design",
                  description="产品外观与结构设计，可配合检测机构完成验证。")
    db.session.commit()
    found = titles(client.get(f"{PREFIX}/offerings?q=检测"))
    assert sorted(found[:2]) == ["材料检测服务", "高校材料检测平台"]
    assert found[2:] == ["工业设计"]
    assert titles(client.get(f"{PREFIX}/offerings?q=区块链")) == []


def test_the_filters_of_the_issue_narrow_the_list(client, catalogue, agency):
    district = db.session.get(District, agency.organisation.district_id)
    get = lambda query: sorted(titles(client.get(f"{PREFIX}/offerings?{query}")))  # noqa: E731
    assert get("category=ip") == ["知识产权代理"]
    assert get("category=testing&q=检测") == ["材料检测服务", "高校材料检测平台"]
    assert get("agency_type=university") == ["高校材料检测平台"]
    assert get("voucher=false") == ["知识产权代理"]
    assert get("voucher=true&agency_type=local_intermediary") == ["材料检测服务"]
    assert get("location=out_of_town") == ["高校材料检测平台"]
    assert get("price_min_fen=1000000") == ["高校材料检测平台"]
    assert get(f"district={district.code}") == ["材料检测服务", "知识产权代理"]


def test_a_category_filter_includes_its_sub_categories(client, catalogue, agency, member):
    parent = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == "testing")).scalar_one()
    save_category(None, code="lab_metal", name_zh="金属检测", name_en="Metal testing",
                  parent_id=parent.id, is_active=True, sort_order=0)
    make_offering(agency, actor=member, title="金属疲劳试验", category_code="lab_metal")
    db.session.commit()
    assert "金属疲劳试验" in titles(client.get(f"{PREFIX}/offerings?category=testing"))
    assert titles(client.get(f"{PREFIX}/offerings?category=lab_metal")) == ["金属疲劳试验"]


def test_the_list_comes_in_pages(client, agency, member):
    for number in range(5):
        make_offering(agency, actor=member, title=f"检测项目{number}")
    db.session.commit()
    body = client.get(f"{PREFIX}/offerings?per_page=2&page=3&sort=newest").get_json()
    assert (len(body["items"]), body["total"], body["page"], body["per_page"]) == (1, 5, 3,
                                                                                  2)
    assert client.get(f"{PREFIX}/offerings?per_page=2&page=9").get_json()["items"] == []


@pytest.mark.parametrize("query, field", [
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"),
    ("page=abc", "page"), ("agency_type=spaceship", "agency_type"),
    ("voucher=perhaps", "voucher"), ("category=nope", "category"),
    ("district=atlantis", "district"), ("sort=cheapest", "sort"),
    ("min_rating=6", "min_rating"), ("price_min_fen=-1", "price_min_fen"),
    ("price_min_fen=500&price_max_fen=100", "price_min_fen"), ("q=" + "检" * 101, "q"),
])
def test_bad_query_parameters_are_a_422_naming_the_parameter(client, catalogue, query,
                                                             field):
    error = assert_error(client.get(f"{PREFIX}/offerings?{query}"), 422, "validation_error")
    assert [item["loc"][0] for item in error["details"]["fields"]] == [field]


def test_the_page_size_limit_comes_from_the_configuration(app, client, catalogue):
    app.config["API_PAGE_SIZE_MAX"] = 2
    try:
        assert_error(client.get(f"{PREFIX}/offerings?per_page=3"), 422, "validation_error")
        assert len(titles(client.get(f"{PREFIX}/offerings?per_page=2"))) == 2
    finally:
        app.config["API_PAGE_SIZE_MAX"] = 100


def test_hidden_offerings_are_not_listed_even_to_their_agency(client, catalogue, agency,
                                                              member):
    services.withdraw_offering(catalogue["testing"], member)
    registry.suspend(catalogue["university"].agency, UserFactory(role=Role.AUDITOR), "核查")
    db.session.commit()
    assert titles(client.get(f"{PREFIX}/offerings", headers=token_for(member))) == [
        "知识产权代理"]


def test_an_invalid_token_is_refused_even_where_none_is_needed(client, catalogue):
    assert_error(client.get(f"{PREFIX}/offerings", headers=bearer("nonsense")), 401,
                 "unauthorized")


# --- one offering -----------------------------------------------------------------------

def test_an_offering_is_public_with_its_details(client, catalogue, agency):
    offering = catalogue["ip"]
    body = client.get(f"{PREFIX}/offerings/{offering.id}").get_json()
    assert body["id"] == offering.id and body["title"] == "知识产权代理"
    assert body["category"] == "ip" and body["category_name"]["en"] == \
        "Intellectual property services"
    assert (body["price_model"], body["price_fen"], body["guide_min_fen"],
            body["guide_max_fen"]) == ("quotation", None, 1_000_00, 5_000_00)
    assert body["accepts_vouchers"] is False and body["typical_duration_days"] == 10
    assert body["agency"] == {"id": agency.organisation_id, "name": agency.name}
    assert body["status"] == "published" and body["visible"] is True
    assert_error(client.get(f"{PREFIX}/offerings/987654"), 404, "not_found")


def test_a_hidden_offering_is_only_for_its_agency_and_the_bureau(client, catalogue, member):
    offering = catalogue["testing"]
    services.withdraw_offering(offering, member)
    db.session.commit()
    url = f"{PREFIX}/offerings/{offering.id}"
    assert_error(client.get(url), 404, "not_found")
    assert_error(client.get(url, headers=token_for(AgencyMemberFactory())), 404, "not_found")
    assert_error(client.get(url, headers=token_for(FirmMemberFactory())), 404, "not_found")
    for reader in (member, UserFactory(role=Role.AUDITOR), UserFactory(role=Role.ADMIN)):
        response = client.get(url, headers=token_for(reader))
        assert response.status_code == 200
        assert response.get_json()["visible"] is False
        assert response.get_json()["status"] == "withdrawn"


# --- one agency -------------------------------------------------------------------------

def test_an_agency_is_public_with_its_scorecard(client, catalogue, agency):
    body = client.get(f"{PREFIX}/agencies/{agency.organisation_id}").get_json()
    assert body["id"] == agency.organisation_id and body["name"] == agency.name
    assert body["status"] == "admitted" and body["agency_type"] == "local_intermediary"
    assert body["in_city"] is True and body["categories"] == ["testing", "ip"]
    assert body["district"]["code"] == agency.organisation.district.code
    assert body["admitted_dt"] is not None
    assert body["scorecard"] == {"orders_completed": 0, "median_delivery_ratio": None,
                                 "acceptance_rate": None, "claim_rejection_rate": None,
                                 "disputes": 0, "rating_average": None, "rating_count": 0}
    card = db.session.get(AgencyScorecard, agency.organisation_id)
    card.orders_completed, card.acceptance_rate_bp, card.rating_avg_x100 = 7, 8571, 433
    card.median_delivery_ratio_bp, card.rating_count = 10500, 6
    db.session.commit()
    scorecard = client.get(f"{PREFIX}/agencies/{agency.organisation_id}").get_json()[
        "scorecard"]
    assert (scorecard["orders_completed"], scorecard["acceptance_rate"],
            scorecard["rating_average"], scorecard["median_delivery_ratio"]) == (
        7, 85.7, 4.33, 1.05)


def test_a_suspended_agency_is_only_for_itself_and_the_bureau(client, agency, member):
    registry.suspend(agency, UserFactory(role=Role.AUDITOR), "资质核查")
    db.session.commit()
    url = f"{PREFIX}/agencies/{agency.organisation_id}"
    assert_error(client.get(url), 404, "not_found")
    assert_error(client.get(url, headers=token_for(FirmMemberFactory())), 404, "not_found")
    assert client.get(url, headers=token_for(member)).get_json()["status"] == "suspended"
    assert client.get(url, headers=token_for(UserFactory(role=Role.SUPERVISOR))
                      ).status_code == 200


def test_an_organisation_that_is_no_agency_is_not_found(client):
    firm = FirmMemberFactory()
    db.session.commit()
    assert_error(client.get(f"{PREFIX}/agencies/{firm.organisation_id}"), 404, "not_found")


# --- creating and changing offerings ---------------------------------------------------------

def new_offering(**changes):
    body = {"title": "金属材料力学性能检测", "category": "testing",
            "description": "拉伸、冲击、硬度等力学性能检测，依据GB/T 228。",
            "deliverables": "CMA检测报告", "price_model": "fixed", "price_fen": 12_000_00,
            "typical_duration_days": 7, "accepts_vouchers": True}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_an_agency_member_publishes_an_offering(client, agency, member):
    response = client.post(f"{PREFIX}/offerings", json=new_offering(),
                           headers=token_for(member))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    stored = db.session.get(Offering, body["id"])
    assert stored.agency_id == agency.organisation_id and stored.needs_check
    assert (body["title"], body["category"], body["price_fen"], body["status"]) == (
        "金属材料力学性能检测", "testing", 12_000_00, "published")
    assert body["agency"] == {"id": agency.organisation_id, "name": agency.name}
    assert titles(client.get(f"{PREFIX}/offerings?q=力学")) == ["金属材料力学性能检测"]


@pytest.mark.parametrize("changes, field", [
    ({"title": ""}, "title"), ({"category": "nope"}, "category"),
    ({"price_fen": None}, "price_fen"), ({"price_fen": -5}, "price_fen"),
    ({"price_model": "barter"}, "price_model"), ({"typical_duration_days": 0},
                                                 "typical_duration_days"),
    ({"price_model": "quotation", "price_fen": None, "guide_min_fen": 9_000_00,
      "guide_max_fen": 1_000_00}, "guide_min_fen"),
    ({"discount": 10}, "discount"), ({"description": "短"}, "description"),
])
def test_an_invalid_offering_is_a_422_naming_the_field(client, agency, member, changes,
                                                       field):
    response = client.post(f"{PREFIX}/offerings", json=new_offering(**changes),
                           headers=token_for(member))
    error = assert_error(response, 422, "validation_error")
    named = error["details"].get("field") or error["details"]["fields"][0]["loc"][0]
    assert named == field
    assert db.session.query(Offering).count() == 0


def test_an_agency_not_admitted_gets_a_409(client):
    for status in ("draft", "suspended"):
        member = make_agency_profile(AgencyMemberFactory(), status=status
                                     ).organisation.members[0]
        assert_error(client.post(f"{PREFIX}/offerings", json=new_offering(),
                                 headers=token_for(member)), 409, "agency_not_active")
    never_applied = AgencyMemberFactory()
    assert_error(client.post(f"{PREFIX}/offerings", json=new_offering(),
                             headers=token_for(never_applied)), 409, "agency_not_active")
    assert db.session.query(Offering).count() == 0


def test_only_agency_members_create_offerings(client, agency):
    assert_error(client.post(f"{PREFIX}/offerings", json=new_offering()), 401,
                 "unauthorized")
    for user in (FirmMemberFactory(), UserFactory(role=Role.AUDITOR),
                 UserFactory(role=Role.ADMIN)):
        assert_error(client.post(f"{PREFIX}/offerings", json=new_offering(),
                                 headers=token_for(user)), 403, "forbidden")


def test_a_patch_changes_only_what_is_sent_and_sends_it_back_to_moderation(
        client, catalogue, member):
    offering = catalogue["testing"]
    services.mark_checked(offering, UserFactory(role=Role.AUDITOR))
    db.session.commit()
    response = client.patch(f"{PREFIX}/offerings/{offering.id}", headers=token_for(member),
                            json={"price_model": "quotation", "guide_max_fen": 20_000_00,
                                  "category": "ip"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["price_model"], body["price_fen"], body["guide_max_fen"],
            body["category"], body["title"]) == ("quotation", None, 20_000_00, "ip",
                                                 "材料检测服务")
    assert reload(offering.id).needs_check


def test_an_empty_patch_changes_nothing(client, catalogue, member):
    offering = catalogue["testing"]
    services.mark_checked(offering, UserFactory(role=Role.AUDITOR))
    db.session.commit()
    response = client.patch(f"{PREFIX}/offerings/{offering.id}", headers=token_for(member),
                            json={})
    assert response.status_code == 200 and response.get_json()["title"] == "材料检测服务"
    assert not reload(offering.id).needs_check


@pytest.mark.parametrize("body, field", [
    ({"title": None}, "title"), ({"price_model": "fixed", "price_fen": None}, "price_fen"),
    ({"price_model": "quotation", "guide_min_fen": 5, "guide_max_fen": 1}, "guide_min_fen"),
    ({"status": "withdrawn"}, "status"),
])
def test_an_invalid_patch_is_a_422_and_changes_nothing(client, catalogue, member, body,
                                                       field):
    offering = catalogue["ip"]
    response = client.patch(f"{PREFIX}/offerings/{offering.id}", headers=token_for(member),
                            json=body)
    error = assert_error(response, 422, "validation_error")
    named = error["details"].get("field") or error["details"]["fields"][0]["loc"][0]
    assert named == field
    stored = reload(offering.id)
    assert (stored.title, stored.guide_min_fen, stored.status) == (
        "知识产权代理", 1_000_00, OfferingStatus.PUBLISHED)


def test_another_agency_offering_is_a_404_and_stays_as_it_was(client, catalogue):
    stranger = make_agency_profile(AgencyMemberFactory()).organisation.members[0]
    offering = catalogue["testing"]
    for offering_id in (offering.id, 987654):
        assert_error(client.patch(f"{PREFIX}/offerings/{offering_id}",
                                  headers=token_for(stranger), json={"title": "冒名"}),
                     404, "not_found")
    assert reload(offering.id).title == "材料检测服务"
    assert_error(client.patch(f"{PREFIX}/offerings/{offering.id}",
                              headers=token_for(FirmMemberFactory()), json={"title": "x"}),
                 403, "forbidden")


def test_a_suspended_agency_cannot_patch(client, catalogue, agency, member):
    registry.suspend(agency, UserFactory(role=Role.AUDITOR), "资质核查")
    db.session.commit()
    assert_error(client.patch(f"{PREFIX}/offerings/{catalogue['testing'].id}",
                              headers=token_for(member), json={"title": "新"}),
                 409, "agency_not_active")


def test_the_catalogue_operations_are_in_the_openapi_document(client):
    paths = client.get(f"{PREFIX}/openapi.json").get_json()["paths"]
    assert set(paths[f"{PREFIX}/offerings"]) == {"get", "post"}
    assert set(paths[f"{PREFIX}/offerings/{{offering_id}}"]) == {"get", "patch"}
    assert "get" in paths[f"{PREFIX}/agencies/{{agency_id}}"]
    assert "security" not in paths[f"{PREFIX}/offerings"]["get"]
    assert paths[f"{PREFIX}/offerings"]["post"]["security"] == [{"bearerAuth": []}]
