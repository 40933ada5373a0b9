"""Chinese full-text search of the catalogue, the same on PostgreSQL and SQLite."""
import pytest

from marketplace.catalogue import search
from marketplace.catalogue.models import Offering
from marketplace.catalogue.services import CatalogueQuery, search_catalogue, update_offering
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, make_agency_profile, make_offering


def titles(query, **filters):
    page = search_catalogue(CatalogueQuery(q=query, **filters))
    return [offering.title for offering in page.items]


def test_terms_are_cjk_unigrams_and_bigrams_and_latin_words():
    assert search.index_terms("材料检测 ISO9001") == "材 料 检 测 材料 料检 检测 iso9001"
    assert search.query_terms("知识产权 代理") == ["知识", "识产", "产权", "代理"]
    assert search.query_terms("检") == ["检"]
    assert search.query_terms("<script>alert(1)</script>") == ["script", "alert", "1"]
    assert search.query_terms("  ,。 ") == []


@pytest.fixture
def catalogue():
    agency = make_agency_profile()
    make_offering(agency, title="材料检测服务", category_code="testing")
    make_offering(agency, title="知识产权代理", category_code="ip",
                  description="专利申请、商标注册与版权登记的全流程代理。",
                  deliverables="受理通知书")
    make_offering(agency, title="工业设计", category_code="rnd_design",
                  description="产品外观与结构设计，可配合检测机构完成验证。",
                  deliverables="设计图纸")
    db.session.commit()
    return agency


def test_a_two_character_query_finds_the_longer_title(catalogue):
    assert titles("检测")[0] == "材料检测服务"


def test_a_title_match_ranks_above_a_body_match(catalogue):
    assert titles("检测") == ["材料检测服务", "工业设计"]


def test_knowledge_property_finds_the_agency_service(catalogue):
    assert titles("知识产权") == ["知识产权代理"]


def test_every_query_term_must_occur(catalogue):
    assert titles("专利 设计") == []
    assert titles("专利 商标") == ["知识产权代理"]


def test_no_match_gives_an_empty_page(catalogue):
    assert titles("区块链") == []


def test_an_edited_offering_is_found_by_its_new_words(catalogue):
    offering = db.session.execute(
        db.select(Offering).where(Offering.title == "工业设计")).scalar_one()
    update_offering(offering, offering.agency.organisation.members[0], title="工业软件开发")
    db.session.commit()
    assert titles("软件") == ["工业软件开发"]
    assert titles("工业设计") == []


def test_a_suspended_agency_disappears_from_results_at_once(catalogue):
    from marketplace.agencies import services
    from tests.factories import staff

    services.suspend(catalogue, staff("auditor"), "资质核查")
    db.session.commit()
    assert titles("检测") == []


def test_filters_combine_with_the_query(catalogue):
    other = make_agency_profile(AgencyMemberFactory(), in_city=False, agency_type="university")
    make_offering(other, title="高校材料检测平台", category_code="testing", price_fen=50_000_00,
                  accepts_vouchers=False)
    db.session.commit()
    assert titles("检测", location="out_of_town") == ["高校材料检测平台"]
    assert titles("检测", agency_type="university") == ["高校材料检测平台"]
    assert titles("检测", voucher=True) == ["材料检测服务", "工业设计"]
    assert sorted(titles("检测", category="testing")) == ["材料检测服务", "高校材料检测平台"]
    assert titles("检测", price_min_fen=10_000_00) == ["高校材料检测平台"]
    assert titles("", sort="price_desc", category="testing") == ["高校材料检测平台",
                                                                 "材料检测服务"]
