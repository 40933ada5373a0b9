"""Matching quality on a fixture of 64 results and 54 demands with known right answers, and
the ranking query's cost with 10,000 listings."""
import time

import pytest
from sqlalchemy import event, text

from marketplace.exchange import matching, suggestions
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, FirmMemberFactory, make_agency_profile
from tests.integration.exchange.builders import make_demand, make_result
from tests.integration.exchange.listings_fixture import DISTRACTORS, TOPICS


def _fixture():
    profiles = [make_agency_profile(AgencyMemberFactory()) for _ in range(3)]
    firm_member = FirmMemberFactory()
    results, demands = [], []
    for index, (field, r_title, r_summary, d_title, d_text) in enumerate(TOPICS):
        results.append(make_result(profiles[index % 3], title=r_title, summary=r_summary,
                                   field_code=field))
        demands.append(make_demand(firm_member, title=d_title, description=d_text,
                                   field_code=field))
    for index, (field, title, summary) in enumerate(DISTRACTORS):
        make_result(profiles[index % 3], title=title, summary=summary, field_code=field)
    db.session.flush()
    return results, demands


def _precision(ranked_lists, right_ids):
    at1 = sum(ranked[:1] == [right] for ranked, right in zip(ranked_lists, right_ids))
    at3 = sum(right in ranked[:3] for ranked, right in zip(ranked_lists, right_ids))
    return at1 / len(right_ids), at3 / len(right_ids)


def test_matching_finds_the_right_result_for_each_demand_and_back(capsys):
    results, demands = _fixture()
    assert len(results) >= 50 and len(demands) >= 50
    by_demand = [[s.listing.id for s in suggestions.for_demand(d, kinds=("result",))["result"]]
                 for d in demands]
    p1, p3 = _precision(by_demand, [r.id for r in results])
    by_result = [[s.listing.id for s in suggestions.for_result(r)["demand"]]
                 for r in results]
    q1, q3 = _precision(by_result, [d.id for d in demands])
    with capsys.disabled():
        print(f"\nmatching on {len(TOPICS) + len(DISTRACTORS)} results / {len(demands)} "
              f"demands: demand->result precision@1 {p1:.3f} @3 {p3:.3f}; "
              f"result->demand precision@1 {q1:.3f} @3 {q3:.3f}")
    assert p1 >= 0.85 and p3 >= 0.95
    assert q1 >= 0.85 and q3 >= 0.95


def test_each_suggestion_says_why_it_matched():
    result = make_result(title="石墨烯改性防腐涂料",
                         summary="少层石墨烯分散于环氧富锌涂料中，涂层耐盐雾性能显著提高。")
    make_result(title="脐橙采后保鲜技术", summary="脐橙采后涂膜保鲜与冷链贮藏，贮藏期延长两个月。",
                field_code="agriculture")
    demand = make_demand(title="风电塔筒防腐涂料", field_code="new_materials",
                         description="沿海风电塔筒需要耐盐雾的石墨烯防腐涂料，现有涂层寿命短。")
    found = suggestions.for_demand(demand, kinds=("result",))["result"]
    assert [s.listing.id for s in found] == [result.id]      # nothing shared, nothing shown
    reasons = found[0].reasons
    assert reasons["same_field"] is True
    assert {"防腐涂料", "耐盐雾", "石墨烯"} <= set(reasons["shared_terms"])
    assert reasons["shared_terms"][0] == "防腐涂料"           # the longest first


def test_the_index_follows_the_listing_in_the_same_transaction():
    result = make_result(title="氢燃料电池膜电极", summary="低铂载量燃料电池膜电极制备技术，功率密度高。",
                         field_code="new_energy")
    demand = make_demand(title="燃料电池膜电极国产化", field_code="new_energy",
                         description="公司开发氢燃料电池电堆，需要低铂载量的膜电极制备技术。")
    assert [s.listing.id for s in suggestions.for_demand(demand)["result"]] == [result.id]
    from marketplace.exchange import services
    services.change_result_status(result, result.agency.organisation.members[0], "close")
    assert suggestions.for_demand(demand)["result"] == []     # closed: out of the ranking
    services.change_result_status(result, result.agency.organisation.members[0], "reopen")
    services.update_result(result, result.agency.organisation.members[0],
                           title="脐橙采后保鲜", summary="脐橙采后涂膜保鲜与冷链贮藏，腐烂率低，贮藏期长。")
    assert suggestions.for_demand(demand)["result"] == []     # its new words share nothing


def test_offerings_and_agencies_are_suggested_for_a_demand():
    profile = make_agency_profile(introduction="专业从事复合材料检测与无损检测的第三方实验室。")
    from tests.factories import make_offering
    offering = make_offering(profile, title="复合材料超声无损检测",
                             description="采用超声相控阵对复合材料分层、孔隙缺陷进行无损检测。")
    demand = make_demand(title="复合材料叶片缺陷检测", field_code="new_materials",
                         description="我公司生产的复合材料叶片存在分层和孔隙缺陷，需要无损检测。")
    found = suggestions.for_demand(demand)
    assert found["offering"][0].listing.id == offering.id
    assert found["agency"][0].listing.organisation_id == profile.organisation_id


@pytest.mark.skipif("config.getoption('--co', default=False)")
def test_ranking_10000_listings_is_one_query_and_fast(capsys):
    """10,000 indexed results (terms drawn from the fixture's vocabulary, 40 a listing, so
    common terms have long posting lists) ranked for a demand: one SQL statement."""
    vocabulary = sorted({t for topic in TOPICS for text_ in topic[1:]
                         for t in matching.query_terms(text_)})
    db.session.execute(text("CREATE TEMPORARY TABLE vocab (n integer, term varchar(64))"))
    db.session.execute(text("INSERT INTO vocab VALUES (:n, :term)"),
                       [{"n": n, "term": t} for n, t in enumerate(vocabulary)])
    size = len(vocabulary)
    # listing g gets the 40 terms (g * 7 + k * 13) mod size, k = 0..39: spread, repeatable
    db.session.execute(text(
        "INSERT INTO exchange_match_terms (kind, term, listing_id, tf) "
        "SELECT 'result', v.term, g.n, 1 + (g.n + k.n) % 3 "
        "FROM (SELECT n FROM vocab) k0, vocab v, "
        "     (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10000) "
        "      SELECT n FROM s) g, "
        "     (WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 39) "
        "      SELECT n FROM s) k "
        f"WHERE k0.n = 0 AND v.n = (g.n * 7 + k.n * 13) % {size}"))
    db.session.execute(text(
        "INSERT INTO exchange_match_documents (kind, listing_id, length, field_codes, is_active) "
        "SELECT 'result', listing_id, SUM(tf), ',new_materials,', true "
        "FROM exchange_match_terms WHERE kind = 'result' GROUP BY listing_id"))
    count = db.session.execute(text(
        "SELECT count(*) FROM exchange_match_documents WHERE kind = 'result'")).scalar()
    assert count == 10_000
    if db.engine.dialect.name == "postgresql":
        # what autovacuum does after a bulk load; without it the planner sees empty tables
        db.session.execute(text("ANALYZE exchange_match_terms"))
        db.session.execute(text("ANALYZE exchange_match_documents"))
    topic = TOPICS[0]
    terms = matching.query_terms(topic[3], topic[4])
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        matching.rank("result", terms, field_code="new_materials", limit=15)  # warm
        statements.clear()
        started = time.perf_counter()
        ranked = matching.rank("result", terms, field_code="new_materials", limit=15)
        elapsed_ms = (time.perf_counter() - started) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    with capsys.disabled():
        print(f"\nranking 10,000 results for a {len(terms)}-term demand: {elapsed_ms:.1f} ms, "
              f"{len(statements)} statement(s)")
    assert len(ranked) == 15 and ranked[0].score >= ranked[-1].score
    assert len(statements) == 1
    assert elapsed_ms < 2000
