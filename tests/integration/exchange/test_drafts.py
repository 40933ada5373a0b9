"""A new result or demand may be saved as a draft: its owner sees it and publishes it
later; nobody else sees it meanwhile."""
from sqlalchemy import select

from marketplace.exchange.models import ListingStatus, TechDemand, TechResult
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import AgencyMemberFactory, FirmMemberFactory, make_agency_profile

DEMAND = {"title": "电池包壳体碳纤维复合材料成型", "field_code": "new_materials",
          "description": "新能源汽车电池包壳体想用碳纤维复合材料替代钢板，需要快速模压成型工艺。",
          "budget_min": "300000", "budget_max": "800000"}
RESULT = {"title": "碳纤维复合材料快速模压成型技术", "field_code": "new_materials",
          "summary": "快速固化环氧树脂与模压成型工艺，碳纤维复合材料构件成型周期十分钟以内。",
          "ip_type": "invention_patent", "ip_numbers": "ZL202310000001.X", "trl": "6",
          "transfer_modes": ["mode_transfer"], "asking_price": "500000"}


def _client(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def test_a_firm_saves_a_demand_as_a_draft_and_publishes_it_later(app):
    member = FirmMemberFactory()
    agency = make_agency_profile(AgencyMemberFactory())
    db.session.commit()
    firm = _client(app, member)

    response = firm.post("/exchange/demands/new", data={**DEMAND, "save_draft": "1"},
                         follow_redirects=True)

    assert "only your firm sees it" in response.get_data(as_text=True) or \
        "仅贵企业可见" in response.get_data(as_text=True)
    demand = db.session.execute(select(TechDemand)).scalar_one()
    assert demand.status == ListingStatus.DRAFT
    other = _client(app, agency.organisation.members[0])
    assert other.get(f"/exchange/demands/{demand.id}").status_code in (403, 404)
    assert DEMAND["title"] not in other.get("/exchange/demands").get_data(as_text=True)
    assert DEMAND["title"] in firm.get("/exchange/demands").get_data(as_text=True)

    firm.post(f"/exchange/demands/{demand.id}/status", data={"action": "publish"})

    db.session.expire_all()
    assert db.session.get(TechDemand, demand.id).status == ListingStatus.PUBLISHED
    assert other.get(f"/exchange/demands/{demand.id}").status_code == 200


def test_an_agency_saves_a_result_as_a_draft_invisible_to_visitors(app):
    profile = make_agency_profile(AgencyMemberFactory())
    db.session.commit()
    agency = _client(app, profile.organisation.members[0])

    assert agency.post("/exchange/results/new",
                       data={**RESULT, "save_draft": "1"}).status_code == 302

    result = db.session.execute(select(TechResult)).scalar_one()
    assert result.status == ListingStatus.DRAFT
    visitor = app.test_client()
    assert visitor.get(f"/exchange/results/{result.id}").status_code in (403, 404)
    assert RESULT["title"] not in visitor.get("/exchange/results").get_data(as_text=True)
    assert agency.get(f"/exchange/results/{result.id}").status_code == 200


def test_publishing_at_once_stays_the_default(app):
    profile = make_agency_profile(AgencyMemberFactory())
    db.session.commit()
    agency = _client(app, profile.organisation.members[0])

    assert agency.post("/exchange/results/new", data=RESULT).status_code == 302

    assert db.session.execute(select(TechResult)).scalar_one().status == \
        ListingStatus.PUBLISHED


def test_the_edit_page_of_a_listing_offers_no_draft_button(app):
    profile = make_agency_profile(AgencyMemberFactory())
    db.session.commit()
    agency = _client(app, profile.organisation.members[0])
    agency.post("/exchange/results/new", data=RESULT)
    result = db.session.execute(select(TechResult)).scalar_one()

    new_page = agency.get("/exchange/results/new").get_data(as_text=True)
    edit_page = agency.get(f"/exchange/results/{result.id}/edit").get_data(as_text=True)

    assert 'name="save_draft"' in new_page and 'name="save_draft"' not in edit_page
