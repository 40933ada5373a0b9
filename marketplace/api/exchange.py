"""API of the technology exchange: results, demands and a demand's ranked matches."""
from datetime import date
from typing import Literal

from flask import current_app, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketplace.agencies.models import AgencyProfile
from marketplace.api.auth import authenticate_request
from marketplace.api.answers import answer
from marketplace.api.spec import Fen, Flag, Int, PositiveFen, one_of, operation
from marketplace.api.views import bp
from marketplace.core.permissions import require_visible
from marketplace.exchange import permissions as perms
from marketplace.exchange import services, suggestions
from marketplace.exchange.models import (IpType, ListingStatus, TechDemand, TechResult,
                                         TransferMode)
from marketplace.api.reference_types import FieldCode
from marketplace.extensions import db

Mode = one_of(TransferMode)


class ExchangePageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    field: FieldCode | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1)

    @field_validator("field", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("per_page")
    @classmethod
    def _page_size(cls, value):
        limit = current_app.config["API_PAGE_SIZE_MAX"]
        if value > limit:
            raise ValueError(f"per_page is at most {limit}")
        return value


class TechResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=4, max_length=200)
    field_code: FieldCode
    summary: str = Field(min_length=20, max_length=5000)
    ip_type: one_of(IpType)
    ip_numbers: str = Field(default="", max_length=500)
    trl: Int = Field(ge=1, le=9)
    transfer_modes: list[Mode] = Field(min_length=1)
    asking_price_fen: PositiveFen | None = Field(default=None,
                                                 description="null = negotiable")


class TechResultOut(BaseModel):
    id: int
    title: str
    field_code: str
    summary: str
    ip_type: one_of(IpType)
    ip_numbers: str
    trl: int
    transfer_modes: list[Mode]
    asking_price_fen: int | None
    status: one_of(ListingStatus)
    agency: dict


class TechResultList(BaseModel):
    items: list[TechResultOut]
    total: int
    page: int
    per_page: int


class TechDemandIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=4, max_length=200)
    field_code: FieldCode
    description: str = Field(min_length=20, max_length=5000)
    budget_min_fen: Fen | None = None
    budget_max_fen: Fen | None = None
    deadline: date | None = None
    intends_voucher: Flag = False


class TechDemandOut(BaseModel):
    id: int
    title: str
    field_code: str
    description: str
    budget_min_fen: int | None
    budget_max_fen: int | None
    deadline: date | None
    intends_voucher: bool
    status: one_of(ListingStatus)
    firm: dict | None = Field(description="null until the firm accepts to talk")


class TechDemandList(BaseModel):
    items: list[TechDemandOut]
    total: int
    page: int
    per_page: int


class DemandMatch(BaseModel):
    kind: Literal["result", "offering", "agency"]
    id: int
    title: str
    score: float
    reasons: dict


class DemandMatchList(BaseModel):
    items: list[DemandMatch]


def _result_json(result):
    return answer(TechResultOut, result, transfer_modes=result.modes,
                  agency={"id": result.agency_id, "name": result.agency.organisation.name})


def _demand_json(demand, user):
    firm = ({"id": demand.firm_id, "name": demand.firm.name}
            if perms.can_see_demand_firm(user, demand) else None)
    return answer(TechDemandOut, demand, firm=firm)


def _page(statement, query):
    return db.paginate(statement, page=query.page, per_page=query.per_page,
                       error_out=False)


@operation(bp, "/results", "GET", tag="exchange", auth=False,
           summary="Published technology results (public; paged, by field)",
           query=ExchangePageQuery, responses={200: TechResultList}, errors=(401,))
def list_results(query):
    if request.headers.get("Authorization"):
        authenticate_request()
    page = _page(services.visible_results(query.field), query)
    return jsonify(answer(TechResultList, items=[_result_json(r) for r in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/results", "POST", tag="exchange",
           summary="Publish a technology result of the token's agency (admitted agencies)",
           body=TechResultIn, responses={201: TechResultOut}, rule=perms.can_manage_results,
           errors=(409,))
def create_result(body):
    profile = db.session.get(AgencyProfile, g.api_user.organisation_id)
    created = services.create_result(profile, g.api_user, **body.model_dump())
    db.session.commit()
    return jsonify(_result_json(db.session.get(TechResult, created.id))), 201


@operation(bp, "/demands", "GET", tag="exchange",
           summary="Demands: agencies see the published ones (the firm's name hidden until "
                   "it accepts to talk), a firm its own, the bureau all",
           query=ExchangePageQuery, responses={200: TechDemandList}, rule=perms.can_browse_demands)
def list_demands(query):
    user = g.api_user
    page = _page(services.demands_listed_for(user, query.field), query)
    return jsonify(answer(TechDemandList, items=[_demand_json(d, user) for d in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/demands", "POST", tag="exchange",
           summary="Post a technology demand of the token's firm",
           body=TechDemandIn, responses={201: TechDemandOut}, rule=perms.can_post_demands)
def create_demand(body):
    created = services.create_demand(g.api_user, **body.model_dump())
    db.session.commit()
    return jsonify(_demand_json(db.session.get(TechDemand, created.id), g.api_user)), 201


@operation(bp, "/demands/<int:demand_id>/matches", "GET", tag="exchange",
           summary="Results, offerings and agencies matching a demand, best first, each "
                   "with its score and the reasons (shared terms, same field)",
           responses={200: DemandMatchList}, rule=perms.can_browse_demands)
def demand_matches(demand_id):
    found = db.session.get(TechDemand, demand_id)
    require_visible(perms.can_view_demand, found, user=g.api_user)
    items = []
    for kind, found_items in suggestions.for_demand(found).items():
        for item in found_items:
            title = (item.listing.organisation.name if kind == "agency"
                     else item.listing.title)
            items.append({"kind": kind, "id": item.listing.id, "title": title,
                          "score": item.score, "reasons": item.reasons})
    return jsonify(answer(DemandMatchList, items=items))
