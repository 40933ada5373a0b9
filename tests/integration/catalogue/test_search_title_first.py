"""A one-term search by relevance on PostgreSQL takes its page from the offerings with the
term in their title when they fill it (services.SearchPage, title_matches_statement,
search.title_matches): the same rows in the same order as the whole ranked query gives,
on every page, with every filter, with ties, and when the title matches do not fill the
page."""
import pytest
from sqlalchemy import text

from marketplace.catalogue import search, services
from marketplace.catalogue.services import (CatalogueQuery, catalogue_statement,
                                            search_catalogue, title_matches_statement)
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, make_agency_profile, make_offering
from tests.support.statements import statements_sent

pytestmark = pytest.mark.postgres

PG = "postgresql"
NEUTRAL = {"description": "提供技术咨询与方案设计。", "deliverables": "咨询意见书"}
# 60 distinct characters: the title's second word is 120 terms after its first
FAR = "".join(chr(0x4e00 + 7 * i) for i in range(60))


@pytest.fixture
def offerings():
    """Ten offerings with 检测 in their title, six with it only in their body, one without.
    Their ranks: 0.6079 title only (five, tied), 0.6231 title and body, 0.83 a title that
    says it three times, 0.0608 body only, 0.0998 a body that says it three hundred times.
    Category ``testing`` (检验检测) puts the term in the body; ``ip`` does not."""
    local = make_agency_profile()
    university = make_agency_profile(AgencyMemberFactory(), in_city=False,
                                     agency_type="university")
    institute = make_agency_profile(AgencyMemberFactory(), agency_type="institute")
    made = {}

    def offering(key, agency, title, category="ip", **fields):
        made[key] = make_offering(agency, title=title, category_code=category,
                                  **{**NEUTRAL, **fields})

    offering("title", local, "材料检测服务")
    offering("title 2", university, "环境检测")
    offering("title, cheap", institute, "食品安全检测", price_fen=500_00)
    offering("title, no vouchers", local, "检测仪器校准", accepts_vouchers=False)
    offering("title, late", local, FAR + "检测")
    offering("title and body", local, "检验检测认证", "testing")
    offering("title and body, dear", university, "高校材料检测平台", "testing",
             price_fen=50_000_00)
    offering("title and body 2", institute, "检测报告代办", "testing")
    offering("title thrice", university, "委托检测")
    offering("title, body 400 times", institute, "第三方检测")
    offering("body", local, "工业设计", "testing")
    offering("body 2", university, "软件测评", description="可配合检测机构完成验证。")
    offering("body 300 times", institute, "专利代理")
    offering("body, past 16383 words", local, "技术咨询")
    offering("body, cheap", university, "中试熟化", "testing", price_fen=800_00)
    offering("body, no vouchers", institute, "成果评价", "testing", accepts_vouchers=False)
    offering("none", local, "知识产权代理")
    # what the services never store (their terms are unique), but a ranking must survive
    made["title thrice"].search_title = "委 托 检 测 委托 托检 检测 检测 检测"
    made["title, body 400 times"].search_body += " 检测" * 400
    made["body 300 times"].search_body += " 检测" * 300
    made["body, past 16383 words"].search_body += " 乙" * 17000 + " 检测"
    db.session.commit()
    return made


def ids(statement):
    return [row.id for row in db.session.execute(statement)]


def whole(query, offset, limit):
    """The reference: every match ranked, then the page cut from them."""
    return ids(catalogue_statement(query, PG).limit(limit).offset(offset))


def page(query, number, per_page):
    return [row.id for row in search_catalogue(query, page=number, per_page=per_page).items]


def pages_agree(query, per_page):
    """Every page of ``per_page`` (and the empty one after them) is the whole query's."""
    total = len(whole(query, 0, 1000))
    for number in range(1, total // per_page + 3):
        expected = whole(query, (number - 1) * per_page, per_page)
        assert page(query, number, per_page) == expected, (query, number, per_page)
    return total


def ranking_statements(query, number, per_page):
    """The statements that ranked matches for a page: which rows they looked at."""
    with statements_sent() as (sent, _compiled):
        search_catalogue(query, page=number, per_page=per_page)
    return ["title" if "to_tsvector('simple'::regconfig, catalogue_search.search_title)"
            in statement else "every match"
            for statement in sent if "ts_rank(" in statement]


def test_every_title_match_outranks_every_body_only_match(offerings):
    """The premise (search.title_matches), on this PostgreSQL, with a title that repeats
    the term, a body that repeats it hundreds of times and documents past 16,383 words."""
    rows = db.session.execute(text(
        "SELECT to_tsvector('simple', search_title) @@ q, ts_rank(search_vector, q) "
        "FROM catalogue_search, plainto_tsquery('simple', '检测') q "
        "WHERE search_vector @@ q")).all()
    in_title = sorted(rank for title, rank in rows if title)
    body_only = sorted(rank for title, rank in rows if not title)
    assert (len(in_title), len(body_only)) == (10, 6)
    assert in_title[0] == pytest.approx(0.6079, abs=1e-4)        # 1 / (pi**2 / 6)
    assert in_title[-1] == pytest.approx(0.8275, abs=1e-4)     # the title saying it thrice
    assert body_only[-1] == pytest.approx(0.0998, abs=1e-4) and body_only[-1] < 0.1


def test_every_page_is_the_whole_querys_page(offerings):
    query = CatalogueQuery(q="检测")
    for per_page in (1, 2, 3, 4, 5, 7, 10, 11, 20):
        assert pages_agree(query, per_page) == 16
    # ties (five titles at 0.6079) are broken by the newest offering first, as before
    order = whole(query, 0, 20)
    tied = [offerings[k].id for k in ("title", "title 2", "title, cheap",
                                      "title, no vouchers", "title, late")]
    assert [i for i in order if i in tied] == sorted(tied, reverse=True)
    assert order[0] == offerings["title thrice"].id
    assert set(order[10:]) == {offerings[k].id for k in offerings if k.startswith("body")}
    first = search_catalogue(query, page=1, per_page=4)
    assert [row.id for row in first.items] == order[:4]
    assert (first.total, first.total_exact) == (16, True)


@pytest.mark.parametrize("filters", [
    {"category": "testing"}, {"location": "out_of_town"}, {"agency_type": "institute"},
    {"price_min_fen": 10_000_00}, {"price_max_fen": 1_000_00}, {"voucher": False},
    {"category": "testing", "agency_type": "university"}])
def test_filters_combine_with_the_title_matches_as_with_all(offerings, filters):
    query = CatalogueQuery(q="检测", **filters)
    for per_page in (1, 2, 3):
        assert pages_agree(query, per_page) > 0


def test_only_a_page_the_title_matches_do_not_fill_ranks_every_match(offerings):
    query = CatalogueQuery(q="检测")
    assert ranking_statements(query, 1, 5) == ["title"]
    assert ranking_statements(query, 2, 5) == ["title"]                 # titles 6-10
    assert ranking_statements(query, 2, 8) == ["title", "every match"]  # 2 titles, 6 bodies
    assert ranking_statements(query, 1, 20) == ["title", "every match"]
    assert ranking_statements(CatalogueQuery(q="检测 服务"), 1, 5) == ["every match"]


def test_a_term_of_two_lexemes_ranks_every_match(offerings):
    """``1e5abc`` is one term but two lexemes ('1e5' & 'abc'), ranked by proximity: here
    the body holding them side by side ranks above the title holding them 120 terms
    apart. The title's matches must not be taken first."""
    apart = make_offering(title="abc" + FAR + "1e5", category_code="ip", **NEUTRAL)
    together = make_offering(title="仪器共享", category_code="ip",
                             description="样品浓度1e5abc以内", deliverables="报告")
    db.session.commit()
    query = CatalogueQuery(q="1e5abc")
    assert query.terms == ["1e5abc"]
    assert whole(query, 0, 10) == [together.id, apart.id]
    assert page(query, 1, 1) == [together.id]
    assert pages_agree(query, 1) == 2


def test_other_queries_keep_the_whole_query(offerings, monkeypatch):
    def takes_titles_first(query, offset=0, limit=20):
        return title_matches_statement(query, PG, offset, limit) is not None

    assert takes_titles_first(CatalogueQuery(q="检测"))
    assert not takes_titles_first(CatalogueQuery(q="检测 服务"))          # two terms
    assert not takes_titles_first(CatalogueQuery(q="检测", sort="newest"))
    assert not takes_titles_first(CatalogueQuery(q=""))
    assert not takes_titles_first(CatalogueQuery(q="检测"), 990, 20)     # past the depth
    assert title_matches_statement(CatalogueQuery(q="检测"), "sqlite", 0, 20) is None
    monkeypatch.setattr(services, "TITLE_FIRST_DEPTH", 4)
    assert not takes_titles_first(CatalogueQuery(q="检测"), 2, 3)
    assert ranking_statements(CatalogueQuery(q="检测"), 2, 3) == ["every match"]
    assert pages_agree(CatalogueQuery(q="检测"), 3) == 16


def test_the_title_index_answers_the_title_condition(offerings):
    """The index (migration 28dbae85ab41) is on the very expression the query tests, or
    PostgreSQL could not use it."""
    from marketplace.catalogue.models import CatalogueEntry

    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    statement = db.select(CatalogueEntry.offering_id).where(
        search.title_matches(PG, ["检测"]))
    sql = str(statement.compile(dialect=db.engine.dialect,
                                compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.execute(text("EXPLAIN " + sql)).scalars())
    assert f"Bitmap Index Scan on {search.TITLE_INDEX}" in plan, plan
    db.session.rollback()
