"""The turnover statistics for the bureau's own tools: the same figures as the dashboard."""
from datetime import date

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field

from marketplace.accounts.models import District
from marketplace.api.answers import answer
from marketplace.api.spec import operation
from marketplace.api.views import bp
from marketplace.core.errors import NotFound
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.dashboard import stats
from marketplace.turnover.dashboard.permissions import can_view_turnover_dashboard
from marketplace.turnover.targets import services as targets


class TurnoverQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: int | None = Field(default=None, ge=2000, le=2100)
    district: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="A district id: only sellers there")


class FiguresOut(BaseModel):
    technical_amount_fen: int
    contract_amount_fen: int
    contracts: int


class MonthOut(FiguresOut):
    month: int
    cumulative_technical_amount_fen: int


class DistrictOut(FiguresOut):
    district_id: int | None
    name_zh: str | None
    name_en: str | None


class TurnoverOut(BaseModel):
    year: int
    district: int | None
    target_fen: int | None
    technical_amount_fen: int
    contract_amount_fen: int
    contracts: int
    voucher_technical_amount_fen: int
    absorbed_technical_amount_fen: int = Field(
        description="Bought by firms in the city from sellers outside it (技术吸纳); not "
                    "part of technical_amount_fen")
    absorbed_contracts: int
    projection_fen: int | None
    projection_method: str
    by_month: list[MonthOut]
    by_type: dict[str, FiguresOut]
    by_district: dict[str, DistrictOut]


def _figures(figures):
    return {"technical_amount_fen": figures.technical_fen,
            "contract_amount_fen": figures.contract_fen, "contracts": figures.contracts}


@operation(bp, "/stats/turnover", "GET", tag="turnover",
           summary="The year's technology-contract turnover (bureau)", query=TurnoverQuery,
           responses={200: TurnoverOut}, rule=can_view_turnover_dashboard, errors=(404,))
def turnover_stats(query):
    year = query.year or date.today().year
    district = None
    if query.district is not None:
        district = db.session.get(District, query.district)
        if district is None:
            raise NotFound(details={"field": "district"})
    filters = stats.Filters.of(year, query.district)
    result = stats.turnover(filters, with_top_sellers=False)
    absorbed = stats.absorbed(filters)
    projection = stats.project(result)
    districts = {d.id: d for d in db.session.query(District).filter(
        District.id.in_([k for k in result.by_district if k is not None]))}
    cumulative = result.cumulative
    by_district = {}
    for district_id, figures in result.by_district.items():
        found = districts.get(district_id)
        by_district[found.code if found else "unknown"] = {
            "district_id": district_id, "name_zh": found.name_zh if found else None,
            "name_en": found.name_en if found else None, **_figures(figures)}
    return jsonify(answer(
        TurnoverOut, year=year, district=query.district,
        target_fen=targets.target_for(year, query.district),
        technical_amount_fen=result.total.technical_fen,
        contract_amount_fen=result.total.contract_fen, contracts=result.total.contracts,
        voucher_technical_amount_fen=result.voucher.technical_fen,
        absorbed_technical_amount_fen=absorbed.technical_fen,
        absorbed_contracts=absorbed.contracts,
        projection_fen=projection.amount_fen, projection_method=projection.method,
        by_month=[{"month": m, "cumulative_technical_amount_fen": cumulative[m],
                   **_figures(result.by_month[m])} for m in range(1, 13)],
        by_type={kind.value: _figures(result.by_type.get(kind.value, stats.Figures()))
                 for kind in ContractType},
        by_district=by_district))
