"""API of the technology-contract registry: the bureau lists registrations with filters;
a firm or an agency registers an off-platform contract (pending until an auditor confirms
it), with the fields of the import format and amounts in fen."""
from datetime import date
from typing import Literal

from flask import g, jsonify
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.api.errors import ApiError
from marketplace.api.answers import answer
from marketplace.api.spec import Fen, Flag, PositiveFen, one_of, operation, values_of
from marketplace.api.views import bp
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover import permissions as perms
from marketplace.technology_fields import services as fields
from marketplace.technology_fields.services import resolve_field
from marketplace.turnover.imports.columns import OUTSIDE_CITY, TYPE_NAMES, district_lookup
from marketplace.technology_fields.models import TechnologyField
from marketplace.turnover.models import (EARLIEST_DATE, ContractRegistration, RegistrationSource,
                                         RegistrationStatus)
from marketplace.turnover.registry import queries, review

# what the registration system's exports write, as the import reads it
TYPE_SPELLINGS = Literal[tuple(TYPE_NAMES)]
def _field_spellings():
    found = db.session.execute(select(TechnologyField.code, TechnologyField.name_zh,
                                      TechnologyField.name_en)
                               .where(TechnologyField.is_active.is_(True)))
    return [name for row in found for name in row]


# the technology fields are a table the admin keeps: checked on each request, listed as
# they stand (GET /api/v1/technology-fields lists them with their names)
TechField = values_of("technology field codes and names", _field_spellings, description=(
    "A technology field of the registration system: its code, Chinese or English name."))


def _district_spellings():
    names = db.session.execute(select(District.code, District.name_zh, District.name_en))
    return [name for row in names for name in row] + sorted(OUTSIDE_CITY)


# the districts are a table the admin edits: checked on each request, listed as they stand
SellerDistrict = values_of("district codes and names", _district_spellings, description=(
    "The seller's district: its code, Chinese or English name, or 市外 / outside."))


class ContractQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: int | None = Field(default=None, ge=1990, le=2100,
                             description="The year of registration.")
    type: one_of(ContractType) | None = None
    district: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="The seller's district (an id).")
    in_city: Literal["yes", "no"] | None = Field(default=None, description=(
        "'no' for the contracts whose seller is outside the city, 'yes' for the others."))
    source: Literal[tuple(s.value for s in RegistrationSource)] | None = None
    status: Literal[tuple(s.value for s in RegistrationStatus)] | None = None
    q: str | None = Field(default=None, max_length=100,
                          description="Part of the contract number or a party's name.")
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class ContractOut(BaseModel):
    id: int
    contract_number: str
    sequence: int
    kind: Literal["original", "amendment", "cancellation"]
    source: Literal[tuple(s.value for s in RegistrationSource)]
    status: Literal[tuple(s.value for s in RegistrationStatus)]
    contract_type: one_of(ContractType)
    contract_amount_fen: int = Field(description="The signed change for an amendment or a "
                                                 "cancellation.")
    technical_amount_fen: int
    buyer: str
    seller: str
    seller_district_id: int | None
    seller_in_city: bool
    field: str
    field_unconfirmed: bool = Field(description="A platform contract signed before fields "
                                                "were chosen at quote time: its category's "
                                                "suggested field, until an auditor confirms")
    signed_on: date
    registered_on: date
    voucher_funded: bool
    original_id: int | None


class ContractList(BaseModel):
    items: list[ContractOut]
    total: int
    page: int
    per_page: int


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: Literal["buyer", "seller"] = Field(description=(
        "Which side the token's organisation is; its name fills that side."))
    contract_number: str = Field(min_length=1, max_length=60)
    contract_type: TYPE_SPELLINGS = Field(description=(
        "development, transfer, licensing, consulting, service, or the Chinese name "
        "(技术开发, ...)."))
    contract_amount_fen: PositiveFen
    technical_amount_fen: Fen
    buyer: str | None = Field(default=None, max_length=200,
                              description="The buyer's name when the seller registers.")
    seller: str | None = Field(default=None, max_length=200,
                               description="The seller's name when the buyer registers.")
    seller_district: SellerDistrict
    field: TechField
    signed_on: date
    registered_on: date | None = Field(default=None, description="Today when omitted.")
    voucher_funded: Flag = False
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("contract_number", "buyer", "seller", "note")
    @classmethod
    def no_nul(cls, value):
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


def contract_json(row):
    return answer(ContractOut, row, buyer=row.buyer_name, seller=row.seller_name,
                  field=row.field_code)


@operation(bp, "/contracts", "GET", tag="contracts",
           summary="Registered technology contracts with filters (the bureau)",
           query=ContractQuery, responses={200: ContractList}, rule=perms.is_bureau)
def list_contracts(query):
    args = {k: v for k, v in query.model_dump().items() if v is not None}
    if query.in_city == "no":
        args["district"] = "outside"
    flt = queries.RegistryFilter.from_args(args)
    statement = queries.registry_query(g.api_user, flt)
    if query.in_city == "yes":
        statement = statement.where(ContractRegistration.seller_in_city.is_(True))
    page = db.paginate(statement, page=query.page,
                       per_page=query.per_page, error_out=False)
    return jsonify(answer(ContractList, items=[contract_json(r) for r in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


def _field_error(name, message):
    return ApiError(_("Some fields are not valid."), code="validation_error", status=422,
                    details={"fields": [{"loc": ["body", name], "msg": message,
                                         "type": "value_error"}]})


@operation(bp, "/contracts", "POST", tag="contracts",
           summary="Register an off-platform contract of your organisation (pending until "
                   "an auditor confirms it)",
           body=ContractIn, responses={201: ContractOut}, rule=perms.can_register_contracts,
           errors=(409,))
def register_contract(body):
    if not body.contract_number.strip():
        raise _field_error("contract_number", _("required"))
    kind = TYPE_NAMES[body.contract_type]
    if body.technical_amount_fen > body.contract_amount_fen:
        raise _field_error("technical_amount_fen", _("more than the contract amount"))
    counterparty = body.buyer if body.party == "seller" else body.seller
    if not (counterparty or "").strip():
        raise _field_error("buyer" if body.party == "seller" else "seller", _("required"))
    district = body.seller_district.strip().lower()
    districts = district_lookup()
    if district in OUTSIDE_CITY:
        district_id, in_city = None, False
    elif district in districts:
        district_id, in_city = districts[district], True
    else:
        raise _field_error("seller_district", _("not a district of the city"))
    field = resolve_field(body.field)
    today = date.today()
    registered_on = body.registered_on or today
    if body.signed_on > registered_on or registered_on > today:
        raise _field_error("signed_on",
                           _("signed after the registration, or in the future"))
    for name, day in (("signed_on", body.signed_on), ("registered_on", registered_on)):
        if day < EARLIEST_DATE:
            raise _field_error(name, _("Give a date from %(year)s on.",
                                       year=EARLIEST_DATE.year))
    row = review.register_by_hand(
        g.api_user, party=body.party, counterparty=counterparty,
        contract_number=body.contract_number, contract_type=kind,
        contract_amount_fen=body.contract_amount_fen,
        technical_amount_fen=body.technical_amount_fen, seller_district_id=district_id,
        seller_in_city=in_city, field_code=field, signed_on=body.signed_on,
        registered_on=registered_on, voucher_funded=body.voucher_funded, note=body.note)
    db.session.commit()
    return jsonify(contract_json(row)), 201


class TechnologyFieldOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    is_active: bool


class TechnologyFieldList(BaseModel):
    items: list[TechnologyFieldOut]


@operation(bp, "/technology-fields", "GET", tag="contracts", auth=False,
           summary="The technology fields (技术领域) of the registration system, in order",
           responses={200: TechnologyFieldList})
def list_technology_fields():
    return jsonify(answer(TechnologyFieldList, items=fields.all_fields()))

