"""The search table kept for the catalogue says exactly what the offerings say: after every
kind of change that affects what the public search shows, it equals a rebuild from the
sources (marketplace/catalogue/search_table.py); and its count is bounded."""
import pytest
from sqlalchemy import insert, inspect, select, text, update

from marketplace.accounts.models import District
from marketplace.agencies import services as registry
from marketplace.agencies.categories import save_category
from marketplace.agencies.models import AgencyProfile, AgencyType, ServiceCategory
from marketplace.catalogue import scorecards, search_table, services, views
from marketplace.catalogue.cli import catalogue_cli
from marketplace.catalogue.models import CatalogueEntry, Offering, OfferingStatus, PriceModel
from marketplace.catalogue.services import CatalogueQuery, search_catalogue
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import make_agency_profile, make_offering, staff


def says_what_the_offerings_say():
    db.session.flush()
    assert search_table.differences(db.session) == []


def listed():
    return set(db.session.execute(select(CatalogueEntry.offering_id)).scalars())


def test_every_change_that_affects_the_search_is_in_the_table():
    auditor, admin = staff("auditor"), staff("admin")
    first, second = make_agency_profile(), make_agency_profile(agency_type="university")
    testing = make_offering(first, title="材料检测服务")
    quoted = make_offering(first, title="知识产权代理", category_code="ip", price_fen=None,
                           guide_min_fen=1_000_00, guide_max_fen=5_000_00)
    other = make_offering(second, title="环境检测")
    says_what_the_offerings_say()
    assert listed() == {testing.id, quoted.id, other.id}

    services.update_offering(testing, first.organisation.members[0], title="食品安全检测",
                             price_fen=9_000_00, accepts_vouchers=False)
    services.update_offering(quoted, first.organisation.members[0], category_id=db.session
                             .execute(select(ServiceCategory.id).where(
                                 ServiceCategory.code == "testing")).scalar_one())
    says_what_the_offerings_say()

    services.withdraw_offering(testing, first.organisation.members[0])
    says_what_the_offerings_say()
    assert testing.id not in listed()
    services.publish_offering(testing, first.organisation.members[0])
    services.take_down(other, auditor, "与资质不符")
    says_what_the_offerings_say()
    assert listed() == {testing.id, quoted.id}

    registry.suspend(first, auditor, "资质核查")
    says_what_the_offerings_say()
    assert listed() == set()
    registry.reinstate(first, auditor)
    says_what_the_offerings_say()
    assert listed() == {testing.id, quoted.id}

    first.organisation.name = "南昌新材料检测中心"             # renamed, moved district
    first.organisation.district_id = db.session.execute(
        select(District.id).order_by(District.id.desc())).scalars().first()
    first.agency_type, first.in_city, first.home_city = AgencyType.INSTITUTE, False, "武汉"
    says_what_the_offerings_say()

    card = scorecards.ensure_scorecard(first.organisation_id)
    card.rating_avg_x100, card.orders_completed = 450, 3
    says_what_the_offerings_say()
    db.session.delete(card)                               # no card: NULLs, as the join
    says_what_the_offerings_say()

    category = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == "testing")).scalar_one()
    save_category(admin, category=category, name_zh="检验检测服务", name_en="Testing",
                  parent_id=category.parent_id, is_active=True,
                  sort_order=category.sort_order)
    says_what_the_offerings_say()

    db.session.delete(quoted)
    says_what_the_offerings_say()
    db.session.commit()
    says_what_the_offerings_say()


def test_bulk_statements_through_the_session_rebuild_the_table():
    profile = make_agency_profile()
    category_id = db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code == "testing")).scalar_one()
    now = now_utc()
    db.session.execute(insert(Offering), [dict(
        agency_id=profile.organisation_id, category_id=category_id, title=f"检测{i}",
        description="检测", deliverables="报告", price_model=PriceModel.FIXED,
        price_fen=100, price_low_fen=100, price_high_fen=100, typical_duration_days=1,
        accepts_vouchers=True, status=OfferingStatus.PUBLISHED, needs_check=False,
        created_dt=now, updated_dt=now, search_title="检 测 检测", search_body="")
        for i in range(3)])
    says_what_the_offerings_say()
    assert len(listed()) == 3
    db.session.execute(update(AgencyProfile).where(
        AgencyProfile.organisation_id == profile.organisation_id).values(in_city=False,
                                                                         home_city="武汉"))
    says_what_the_offerings_say()


def test_sql_around_the_orm_is_reported_and_rebuilt(app):
    offering = make_offering()
    db.session.commit()
    db.session.execute(text("UPDATE offerings SET title = '改名' WHERE id = :id"),
                       {"id": offering.id})
    db.session.commit()
    assert search_table.differences(db.session) == [
        f"offering {offering.id}: title is '材料检测服务', the sources say '改名'"]
    runner = app.test_cli_runner()
    checked = runner.invoke(catalogue_cli, ["check-search"])
    assert checked.exit_code == 1 and "rebuild-search" in checked.output
    rebuilt = runner.invoke(catalogue_cli, ["rebuild-search"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 visible offerings" in rebuilt.output
    assert runner.invoke(catalogue_cli, ["check-search"]).exit_code == 0
    assert search_table.differences(db.session) == []


@pytest.fixture
def many(monkeypatch):
    monkeypatch.setattr(services, "COUNT_LIMIT", 3)
    agency = make_agency_profile()
    for i in range(10):
        make_offering(agency, title=f"材料检测服务{i}")
    db.session.commit()


def test_the_count_stops_at_its_bound_and_the_next_page_stays_reachable(many):
    first = search_catalogue(CatalogueQuery(q="检测"), page=1, per_page=2)
    assert (len(first.items), first.total, first.total_exact) == (2, 4, False)
    assert first.has_next and first.pages == 2
    near_the_end = search_catalogue(CatalogueQuery(q="检测"), page=4, per_page=2)
    assert (near_the_end.total, near_the_end.total_exact) == (10, True)
    last = search_catalogue(CatalogueQuery(q="检测"), page=5, per_page=3)
    assert (len(last.items), last.total, last.total_exact) == (0, 10, True)
    short = search_catalogue(CatalogueQuery(q="检测"), page=4, per_page=3)
    assert (len(short.items), short.total, short.total_exact) == (1, 10, True)


def test_the_api_and_the_page_say_when_more_matched(many, client, monkeypatch):
    body = client.get("/api/v1/offerings?q=检测&per_page=2").get_json()
    assert (len(body["items"]), body["total"], body["total_exact"]) == (2, 4, False)
    assert client.get("/api/v1/offerings?q=检测").get_json()["total_exact"] is True
    monkeypatch.setattr(views, "PER_PAGE", 2)
    page = client.get("/catalogue?q=检测").get_data(as_text=True)
    assert "找到4个以上服务产品" in page and "共4条以上" in page
    assert page.count('data-testid="offering-result"') == 2


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(5))
def test_an_offering_taken_down_while_its_agency_is_refreshed_leaves_the_search(app, round_):
    """Two transactions refresh the same rows: one the agency's (its scorecard changed),
    one an offering of it (taken down). Under READ COMMITTED the second's DELETE, having
    waited for the first, skipped the row the first wrote, and its INSERT from the sources
    added nothing: the offering stayed searchable. The refreshes of an agency's rows are
    serialised, so the second sees the first's row and deletes it."""
    import threading

    from marketplace.catalogue.models import AgencyScorecard

    auditor = staff("auditor")
    agency = make_agency_profile()
    offering = make_offering(agency, title="材料检测服务")
    if db.session.get(AgencyScorecard, agency.organisation_id) is None:
        db.session.add(AgencyScorecard(agency_id=agency.organisation_id))
    db.session.get(AgencyScorecard, agency.organisation_id).rating_avg_x100 = 400
    db.session.commit()
    agency_id, offering_id, auditor_id = agency.organisation_id, offering.id, auditor.id
    flushed, taking_down, errors = threading.Event(), threading.Event(), []

    def refresh_the_agency():
        with app.app_context():
            try:
                card = db.session.get(AgencyScorecard, agency_id)
                card.rating_avg_x100 += 10
                db.session.flush()          # its rows deleted and written again
                flushed.set()
                taking_down.wait(5)
                import time
                time.sleep(0.3)             # the take-down is waiting for this one
                db.session.commit()
            except Exception as exc:        # noqa: BLE001  (reported by the test)
                errors.append(exc)
            finally:
                db.session.remove()

    def take_it_down():
        with app.app_context():
            try:
                flushed.wait(5)
                taking_down.set()
                services.take_down(db.session.get(Offering, offering_id),
                                   db.session.get(type(auditor), auditor_id), "与资质不符")
                db.session.commit()
            except Exception as exc:        # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refresh_the_agency), threading.Thread(target=take_it_down)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    db.session.rollback()
    assert offering_id not in listed()
    assert search_table.differences(db.session) == []


def test_only_the_search_table_carries_a_term_index():
    """The offerings' own index (a generated vector, or an FTS5 table kept by triggers)
    had no reader once the search read its table, yet was kept on every offering written."""
    columns = {c["name"] for c in inspect(db.engine).get_columns("offerings")}
    tables = set(inspect(db.engine).get_table_names())
    assert "search_vector" not in columns
    assert "offerings_fts" not in tables
    indexed = {c["name"] for c in inspect(db.engine).get_columns("catalogue_search")}
    assert ("search_vector" in indexed) == (db.engine.dialect.name == "postgresql")
