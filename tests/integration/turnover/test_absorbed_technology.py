"""Technology absorbed (技术吸纳): what firms in the city bought from sellers outside it.
It is shown beside the turnover, never in it, and equals an independent SQL sum."""
from datetime import date

from sqlalchemy import text

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.turnover.dashboard import stats
from marketplace.turnover.models import RegistrationSource
from tests.conftest import login
from tests.factories import UserFactory
from tests.integration.turnover.dashboard_builders import cancel, districts, register
from tests.integration.turnover.test_stats_api import token_for

YEAR = 2025
SIGNED = "CASE kind WHEN 'original' THEN 1 WHEN 'cancellation' THEN -1 ELSE 0 END"


def sql_absorbed(district=None):
    where = ("status = 'confirmed' AND NOT seller_in_city AND buyer_district_id IS NOT NULL "
             "AND registered_year = :year")
    if district is not None:
        where += " AND buyer_district_id = :district"
    row = db.session.execute(text(
        f"SELECT COALESCE(SUM(technical_amount_fen), 0), COALESCE(SUM(contract_amount_fen), 0),"
        f" COALESCE(SUM({SIGNED}), 0) FROM contract_registrations WHERE {where}"),
        {"year": YEAR, "district": district}).one()
    return tuple(int(v) for v in row)


def build_registry():
    d1, d2 = districts(2)
    bought = register(on=date(YEAR, 2, 1), contract_fen=800_000_00, technical_fen=600_000_00,
                      in_city=False, seller="上海某大学", buyer_district=d1)
    register(on=date(YEAR, 3, 1), contract_fen=300_000_00, in_city=False,
             seller="杭州某研究院", buyer_district=d2)
    cancelled = register(on=date(YEAR, 4, 1), contract_fen=200_000_00, in_city=False,
                         seller="武汉某大学", buyer_district=d1)
    cancel(cancelled, on=date(YEAR, 6, 1))
    # not absorbed: sold from the city, bought from outside by a buyer outside, pending,
    # another year
    register(on=date(YEAR, 2, 2), contract_fen=900_000_00, district=d1, buyer_district=d2)
    register(on=date(YEAR, 2, 3), contract_fen=700_000_00, in_city=False, seller="外地")
    register(on=date(YEAR, 2, 4), contract_fen=500_000_00, in_city=False, buyer_district=d1,
             seller="外地", source=RegistrationSource.MANUAL)
    register(on=date(YEAR - 1, 5, 5), contract_fen=400_000_00, in_city=False,
             buyer_district=d1, seller="外地")
    db.session.commit()
    return d1, d2, bought


def test_absorbed_technology_equals_the_sql_sum_and_stays_out_of_the_turnover(app):
    d1, d2, _bought = build_registry()
    everything = stats.absorbed(stats.Filters.of(YEAR))
    assert (everything.technical_fen, everything.contract_fen, everything.contracts) \
        == sql_absorbed() == (900_000_00, 1_100_000_00, 2)
    in_d1 = stats.absorbed(stats.Filters.of(YEAR, d1.id))
    assert (in_d1.technical_fen, in_d1.contract_fen, in_d1.contracts) == sql_absorbed(d1.id)
    transfers = stats.absorbed(stats.Filters.of(YEAR, contract_type="transfer"))
    assert transfers.technical_fen == 0
    # the turnover itself holds only the contract sold from the city
    assert stats.turnover(stats.Filters.of(YEAR)).total.technical_fen == 900_000_00


def test_the_dashboard_and_the_api_show_the_absorbed_figure(app):
    d1, _d2, _bought = build_registry()
    supervisor = UserFactory(role=Role.SUPERVISOR)
    db.session.commit()
    client = app.test_client()
    login(client, supervisor.email)
    page = client.get(f"/turnover/dashboard?year={YEAR}").get_data(as_text=True)
    assert f'data-testid="absorbed" data-value="{sql_absorbed()[0]}"' in page

    body = app.test_client().get(f"/api/v1/stats/turnover?year={YEAR}&district={d1.id}",
                                 headers=token_for(supervisor)).get_json()
    assert body["absorbed_technical_amount_fen"] == sql_absorbed(d1.id)[0]
    assert body["absorbed_contracts"] == sql_absorbed(d1.id)[2]
