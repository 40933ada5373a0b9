"""GET /api/v1/stats/turnover: the dashboard's figures for the bureau's tokens, equal to
the registry's SQL sums, and in the OpenAPI document."""
from datetime import date

import pytest
from sqlalchemy import text

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN, TurnoverTarget
from tests.factories import FirmMemberFactory, UserFactory
from tests.integration.turnover.dashboard_builders import districts, mixed_registry
from tests.support.api import token_for

YEAR = 2025
SIGNED = "CASE kind WHEN 'original' THEN 1 WHEN 'cancellation' THEN -1 ELSE 0 END"


def sums(where="", **params):
    row = db.session.execute(text(
        f"SELECT COALESCE(SUM(technical_amount_fen), 0), COALESCE(SUM(contract_amount_fen), 0),"
        f" COALESCE(SUM({SIGNED}), 0) FROM contract_registrations WHERE status = 'confirmed' "
        f"AND seller_in_city AND registered_year = :year {where}"),
        {"year": YEAR, **params}).one()
    return {"technical_amount_fen": row[0], "contract_amount_fen": row[1],
            "contracts": row[2]}


@pytest.fixture
def bureau():
    user = UserFactory(role=Role.SUPERVISOR)
    mixed_registry(YEAR, user)
    db.session.commit()
    return token_for(user)


def test_the_figures_equal_the_registrys_sums(client, bureau):
    response = client.get(f"/api/v1/stats/turnover?year={YEAR}", headers=bureau)
    assert response.status_code == 200
    body = response.get_json()
    total = sums()
    assert body["year"] == YEAR and body["target_fen"] == DEFAULT_CITY_TARGET_FEN
    assert {k: body[k] for k in total} == total
    assert body["voucher_technical_amount_fen"] == \
        sums("AND voucher_funded")["technical_amount_fen"]
    assert [m["month"] for m in body["by_month"]] == list(range(1, 13))
    for month in body["by_month"]:
        assert {k: month[k] for k in total} == sums("AND registered_month = :m",
                                                    m=month["month"])
    assert body["by_month"][-1]["cumulative_technical_amount_fen"] == \
        total["technical_amount_fen"]
    for kind, figures in body["by_type"].items():
        assert figures == sums("AND contract_type = :t", t=kind)
    for code, figures in body["by_district"].items():
        assert {k: figures[k] for k in total} == sums(
            "AND seller_district_id = :d", d=figures["district_id"])
        assert code == next(d.code for d in districts() if d.id == figures["district_id"])
    assert body["projection_method"] == "complete"


def test_a_district_with_its_own_target(client, bureau):
    second = districts(2)[1]
    db.session.add(TurnoverTarget(year=YEAR, district_id=second.id, target_fen=5_000_000_00))
    db.session.commit()
    body = client.get(f"/api/v1/stats/turnover?year={YEAR}&district={second.id}",
                      headers=bureau).get_json()
    assert body["district"] == second.id and body["target_fen"] == 5_000_000_00
    assert body["technical_amount_fen"] == sums(
        "AND seller_district_id = :d", d=second.id)["technical_amount_fen"]
    assert set(body["by_district"]) <= {second.code}


def test_only_the_bureau_reads_it_and_bad_queries_are_refused(client, bureau):
    assert client.get("/api/v1/stats/turnover").status_code == 401
    firm = token_for(FirmMemberFactory())
    assert client.get("/api/v1/stats/turnover", headers=firm).status_code == 403
    expert = token_for(UserFactory(role=Role.EXPERT))
    assert client.get("/api/v1/stats/turnover", headers=expert).status_code == 403
    refused = client.get("/api/v1/stats/turnover?year=1999", headers=bureau)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "validation_error"
    missing = client.get("/api/v1/stats/turnover?district=987654", headers=bureau)
    assert missing.status_code == 404
    this_year = client.get("/api/v1/stats/turnover", headers=bureau).get_json()
    assert this_year["year"] == date.today().year


def test_the_operation_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/stats/turnover"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"year", "district"}
    schema = document["components"]["schemas"]["TurnoverOut"]
    assert {"year", "target_fen", "technical_amount_fen", "contract_amount_fen", "contracts",
            "voucher_technical_amount_fen", "by_month", "by_type",
            "by_district"} <= set(schema["properties"])
    assert operation["security"] == [{"bearerAuth": []}]
