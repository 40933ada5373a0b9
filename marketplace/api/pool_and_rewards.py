"""API for the bureau's plan: the expert pool's make-up against its yearly target, and the
year's rewards for registering contracts with each line's basis."""
from datetime import date
from typing import Literal

from flask import jsonify
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from marketplace.api.answers import answer
from marketplace.api.spec import operation
from marketplace.api.views import bp
from marketplace.core.errors import NotFound
from marketplace.experts import permissions as expert_perms
from marketplace.experts.pool import pool_share
from marketplace.extensions import db
from marketplace.incentives import permissions as reward_perms
from marketplace.incentives import services as rewards


class PoolOut(BaseModel):
    year: int
    total: int = Field(description="Experts in the pool (active or suspended, not removed)")
    out_of_province: int
    out_of_province_share: float = Field(ge=0, le=1)
    out_of_province_target_share: float = Field(ge=0, le=1)
    require_out_of_province_on_large_claims: bool


@operation(bp, "/experts/pool", "GET", tag="experts",
           summary="The expert pool's size and its experts from outside the province, "
                   "against the year's target (bureau)",
           responses={200: PoolOut}, rule=expert_perms.can_view_pool_share)
def expert_pool_share():
    share = pool_share()
    return jsonify(answer(
        PoolOut, share, out_of_province_share=share.share_bp / 10_000,
        out_of_province_target_share=share.target_bp / 10_000,
        require_out_of_province_on_large_claims=share.require_out_of_province))


class RewardsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="The year of the registrations (default: last year)")
    page: int = Field(default=1, ge=1, le=100000,
                      description="The page of the lines and of the exclusions")
    per_page: int = Field(default=100, ge=1, le=500)


class BasisItem(BaseModel):
    contract_number: str
    technical_amount_fen: int
    amount_fen: int


class RewardLineOut(BaseModel):
    id: int
    role: Literal["seller", "buyer", "broker", "registration_office"]
    beneficiary: str
    organisation_id: int | None
    district_id: int | None
    contracts: int
    registrations: int
    technical_amount_fen: int
    computed_fen: int
    cap_fen: int | None
    amount_fen: int
    basis: list[BasisItem]


class ExclusionOut(BaseModel):
    contract_number: str
    reason: Literal["related_party", "cancelled_contract", "amended_to_zero"]
    seller: str
    buyer: str
    technical_amount_fen: int
    shared: list[str]


class RewardListOut(BaseModel):
    id: int
    year: int
    status: Literal["computed", "approved", "rewards_paid"]
    rules_version: int
    total_fen: int
    contracts_counted: int
    contracts_excluded: int
    payment_reference: str | None
    lines: list[RewardLineOut] = Field(description="This page of the lines")
    lines_total: int
    exclusions: list[ExclusionOut] = Field(description="This page of the exclusions")
    exclusions_total: int
    page: int
    per_page: int


@operation(bp, "/incentives", "GET", tag="incentives",
           summary="The year's rewards for registering contracts, each line with its basis, "
                   "and the excluded contracts (bureau)",
           query=RewardsQuery, responses={200: RewardListOut},
           rule=reward_perms.can_view_rewards, errors=(404,))
def reward_list(query):
    year = query.year or date.today().year - 1
    found = rewards.live_list(year)
    if found is None:
        raise NotFound(_("No reward list is computed for this year."),
                       code="no_reward_list", details={"year": year})
    # a city's year is thousands of lines, each with its contracts: one page at a time
    lines = db.paginate(rewards.lines_query(found.id), page=query.page,
                        per_page=query.per_page, error_out=False)
    exclusions = db.paginate(rewards.exclusions_query(found.id), page=query.page,
                             per_page=query.per_page, error_out=False)
    return jsonify(answer(
        RewardListOut, found, lines_total=lines.total, exclusions_total=exclusions.total,
        page=query.page, per_page=query.per_page,
        lines=[answer(RewardLineOut, line,
                      beneficiary=(line.district.name_zh if line.district
                                   else line.beneficiary_name),
                      technical_amount_fen=line.basis_fen,
                      basis=[{"contract_number": number, "technical_amount_fen": technical,
                              "amount_fen": amount}
                             for number, technical, amount in line.items])
               for line in lines.items],
        exclusions=[answer(ExclusionOut, x, seller=x.seller_name, buyer=x.buyer_name,
                           shared=x.detail_dict.get("shared", []))
                    for x in exclusions.items]))
