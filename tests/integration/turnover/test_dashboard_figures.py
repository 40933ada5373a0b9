"""The dashboard's figures equal an independent SQL sum over the registry: amendments,
cancellations (also of last year's contracts), pending and rejected rows, out-of-city
sellers, two years and several districts, with and without filters."""
from datetime import date

import pytest
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.turnover.dashboard import contents, stats
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN
from tests.factories import staff
from tests.integration.turnover.dashboard_builders import districts, mixed_registry

YEAR = 2025



def counted(district, kind):
    """The rule, written out in SQL: confirmed, seller in the city, registered that year."""
    where = "status = 'confirmed' AND seller_in_city AND registered_year = :year"
    if district is not None:
        where += " AND seller_district_id = :district"
    if kind is not None:
        where += " AND contract_type = :kind"
    return where

SIGNED = "CASE kind WHEN 'original' THEN 1 WHEN 'cancellation' THEN -1 ELSE 0 END"


def sql_groups(key, year, district=None, kind=None):
    """{key: (technical, contract, contracts)} straight from the table."""
    rows = db.session.execute(text(
        f"SELECT {key}, SUM(technical_amount_fen), SUM(contract_amount_fen), SUM({SIGNED}) "
        f"FROM contract_registrations WHERE {counted(district, kind)} GROUP BY {key}"),
        {"year": year, "district": district, "kind": kind}).all()
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


def sql_total(year, district=None, kind=None, extra="TRUE"):
    row = db.session.execute(text(
        f"SELECT COALESCE(SUM(technical_amount_fen), 0), COALESCE(SUM(contract_amount_fen), 0),"
        f" COALESCE(SUM({SIGNED}), 0) FROM contract_registrations"
        f" WHERE {counted(district, kind)} AND {extra}"),
        {"year": year, "district": district, "kind": kind}).one()
    return tuple(int(v) for v in row)


def as_tuple(figures):
    return (figures.technical_fen, figures.contract_fen, figures.contracts)


@pytest.fixture
def registry():
    rows = mixed_registry(YEAR, staff("auditor"))
    db.session.commit()
    return rows


def test_the_totals_count_only_confirmed_in_city_rows_with_their_adjustments(registry):
    result = stats.turnover(stats.Filters.of(YEAR))

    # by hand: five originals, two amendments, a cancellation this year and one of a
    # contract of last year; the pending, rejected and out-of-city rows count nothing
    assert as_tuple(result.total) == (2_430_000_00, 3_180_000_00, 3)
    assert as_tuple(result.total) == sql_total(YEAR)
    assert as_tuple(result.previous_total) == sql_total(YEAR - 1)
    assert as_tuple(result.voucher) == sql_total(YEAR, extra="voucher_funded")


def test_every_breakdown_equals_the_sql_group_by_with_and_without_filters(registry):
    second = districts(2)[1].id
    for district, kind in ((None, None), (second, None), (None, "transfer"),
                           (second, "transfer")):
        check_breakdowns(district, kind)


def check_breakdowns(district, kind):
    result = stats.turnover(stats.Filters.of(YEAR, district, kind))

    assert as_tuple(result.total) == sql_total(YEAR, district, kind)
    months = sql_groups("registered_month", YEAR, district, kind)
    assert {m: as_tuple(f) for m, f in result.by_month.items() if as_tuple(f) != (0, 0, 0)} \
        == {m: v for m, v in months.items() if v != (0, 0, 0)}
    previous = sql_groups("registered_month", YEAR - 1, district, kind)
    assert {m: as_tuple(f) for m, f in result.previous_by_month.items()
            if as_tuple(f) != (0, 0, 0)} == {m: v for m, v in previous.items()
                                             if v != (0, 0, 0)}
    assert {k: as_tuple(f) for k, f in result.by_type.items()} \
        == sql_groups("contract_type", YEAR, district, kind)
    assert {k: as_tuple(f) for k, f in result.by_district.items()} \
        == sql_groups("seller_district_id", YEAR, district, kind)
    assert {k: as_tuple(f) for k, f in result.by_field.items()} \
        == sql_groups("field_code", YEAR, district, kind)
    sellers = sql_groups("seller_name", YEAR, district, kind)
    expected = sorted(sellers.items(), key=lambda item: (-item[1][0], item[0]))[:10]
    assert [(name, as_tuple(f)) for name, _org, f in result.top_sellers] == expected


def test_the_cumulative_series_ends_at_the_total(registry):
    result = stats.turnover(stats.Filters.of(YEAR))
    assert result.cumulative[12] == result.total.technical_fen
    assert result.previous_cumulative[12] == result.previous_total.technical_fen
    assert result.cumulative[2] == sum(sql_groups("registered_month", YEAR)
                                       .get(m, (0,))[0] for m in (1, 2))


def test_the_dashboard_tables_carry_the_same_figures_and_the_default_target(registry):
    data = contents.build(stats.Filters.of(YEAR), "en", today=date(YEAR + 1, 3, 1))
    summary = data.table("summary").rows[0]
    technical, contract, contracts = sql_total(YEAR)
    assert summary[1:4] == [technical, contract, contracts]
    assert summary[4] == DEFAULT_CITY_TARGET_FEN
    assert data.projection.method == "complete" and summary[6] == technical
    months = data.table("months")
    assert [row[1] for row in months.rows] == [
        sql_groups("registered_month", YEAR).get(m, (0,))[0] for m in range(1, 13)]
    assert months.total[1:4] == [technical, contract, contracts]
    assert sum(row[1] for row in data.table("types").rows) == technical
    assert sum(row[1] for row in data.table("districts").rows) == technical
    assert sum(row[1] for row in data.table("fields").rows) == technical
    vouchers = data.table("vouchers").rows
    assert vouchers[0][1:4] == list(sql_total(YEAR, extra="voucher_funded"))
    assert vouchers[1][1:4] == list(sql_total(YEAR, extra="NOT voucher_funded"))


def test_district_targets_appear_beside_their_district(registry):
    from marketplace.turnover.models import TurnoverTarget
    first, second = districts(2)
    db.session.add_all([TurnoverTarget(year=YEAR, district_id=None, target_fen=9_000_000_00),
                        TurnoverTarget(year=YEAR, district_id=second.id,
                                       target_fen=2_000_000_00)])
    db.session.commit()

    data = contents.build(stats.Filters.of(YEAR), "zh", today=date(YEAR, 12, 31))
    assert data.target_fen == 9_000_000_00
    rows = {row[0]: row for row in data.table("districts").rows}
    done = sql_total(YEAR, second.id)[0]
    assert rows[second.name_zh][5:7] == [2_000_000_00, done * 10_000 // 2_000_000_00]
    assert rows[first.name_zh][5] is None

    one = contents.build(stats.Filters.of(YEAR, second.id), "zh")
    assert one.target_fen == 2_000_000_00
    assert contents.build(stats.Filters.of(YEAR, first.id), "zh").target_fen is None


def test_the_projection_follows_last_years_shape_or_the_days_elapsed(registry):
    result = stats.turnover(stats.Filters.of(YEAR))
    previous = sql_groups("registered_month", YEAR - 1)
    previous_total = sum(v[0] for v in previous.values())
    today = date(YEAR, 11, 15)
    before = sum(v[0] for m, v in previous.items() if m < 11)
    reached = before * 30 + previous.get(11, (0,))[0] * 15
    projection = stats.project(result, today)
    assert projection.method == "shape"
    assert projection.amount_fen == result.total.technical_fen * previous_total * 30 // reached

    # a district with no turnover last year: linear on the days elapsed
    third = districts(3)[2]
    alone = stats.turnover(stats.Filters.of(YEAR, third.id))
    assert alone.previous_total.technical_fen == 0
    linear = stats.project(alone, date(YEAR, 7, 2))     # day 183 of 365
    assert linear.method == "linear"
    assert linear.amount_fen == alone.total.technical_fen * 365 // 183
    assert stats.project(result, date(YEAR - 1, 6, 1)).method == "not_started"
