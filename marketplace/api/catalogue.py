"""API of the catalogue: offerings and agencies, over the same services as the pages.

Reading the catalogue is public, as the pages are: ``GET /offerings``, ``/offerings/{id}``
and ``/agencies/{id}`` need no token. A bearer token, when sent, is checked (401 if it is
not valid) and lets its holder read what the pages would show them: the agency its own
hidden offerings, the bureau everything. Agency members create and change their own
offerings with a token.
"""
from typing import Literal

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, AgencyType,
                                         ServiceCategory)
from marketplace.agencies.permissions import can_view_agency_page
from marketplace.api.auth import authenticate_request
from marketplace.api.errors import ApiError
from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import Fen, Flag, Int, PositiveFen, one_of, operation, values_of
from marketplace.api.views import bp
from marketplace.catalogue import permissions as perms
from marketplace.catalogue import scorecards, services
from marketplace.catalogue.models import AgencyScorecard, Offering, OfferingStatus
from marketplace.core.errors import ValidationFailed
from marketplace.core.permissions import require_visible
from marketplace.extensions import db

MAX_FEN = 10**14
AgencyTypeValue = one_of(AgencyType)


def _active_category_codes():
    return db.session.scalars(select(ServiceCategory.code).where(
        ServiceCategory.is_active.is_(True))).all()


def _district_codes():
    return db.session.scalars(select(District.code)).all()


# Categories and districts are tables the admin edits: checked against the table on each
# request (422 naming the field), listed in the document as they stand when it is built.
CategoryCode = values_of("service category codes", _active_category_codes,
                         description="A service category's code (the bureau's admin keeps "
                                     "the list).")
DistrictCode = values_of("district codes", _district_codes,
                         description="A district's code (the bureau's admin keeps the list).")


class AgencyRef(BaseModel):
    id: int
    name: str


class OfferingItem(BaseModel):
    id: int
    title: str
    category: str = Field(description="The category's code (as the `category` filter).")
    price_fen: int | None = Field(description="The fixed price; null for 'on quotation'.")
    agency: AgencyRef


class OfferingList(BaseModel):
    items: list[OfferingItem]
    total: int = Field(description="The offerings found; when `total_exact` is false, "
                                   "at least this many (matches are counted up to a "
                                   "bound, at least two pages past this one).")
    total_exact: bool = Field(description="False when more offerings matched than "
                                          "were counted.")
    page: int
    per_page: int


class OfferingOut(BaseModel):
    id: int
    title: str
    category: str
    category_name: dict[str, str]
    description: str
    deliverables: str
    price_model: Literal["fixed", "quotation"]
    price_fen: int | None
    guide_min_fen: int | None
    guide_max_fen: int | None
    typical_duration_days: int
    accepts_vouchers: bool
    status: one_of(OfferingStatus)
    visible: bool
    agency: AgencyRef
    created_dt: Timestamp
    updated_dt: Timestamp


class ScorecardOut(BaseModel):
    orders_completed: int
    median_delivery_ratio: float | None
    acceptance_rate: float | None
    claim_rejection_rate: float | None
    disputes: int
    rating_average: float | None
    rating_count: int


class DistrictRef(BaseModel):
    code: str
    name_zh: str
    name_en: str


class AgencyOut(BaseModel):
    id: int
    name: str
    status: one_of(AgencyStatus)
    agency_type: AgencyTypeValue
    in_city: bool
    home_city: str | None
    district: DistrictRef | None
    categories: list[str]
    admitted_dt: Timestamp | None
    introduction: str
    fee_schedule: str
    scorecard: ScorecardOut


class OfferingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str = Field(default="", max_length=100)
    category: CategoryCode | None = None
    district: DistrictCode | None = None
    agency_type: AgencyTypeValue | None = None
    location: Literal["in_city", "out_of_town"] | None = None
    voucher: bool | None = None
    price_min_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    price_max_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    min_rating: int | None = Field(default=None, ge=1, le=5)
    sort: Literal[services.SORTS] | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1,
                          description="At most the server's API_PAGE_SIZE_MAX (100).")

    @field_validator("per_page")
    @classmethod
    def _page_size(cls, value):
        limit = current_app.config["API_PAGE_SIZE_MAX"]
        if value > limit:
            raise ValueError(f"per_page is at most {limit}")
        return value

    @field_validator("category", "district", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("q")
    @classmethod
    def _blank_q_is_none(cls, value):
        return value.strip() or None


class _OfferingFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OfferingIn(_OfferingFields):
    title: str = Field(min_length=1, max_length=200)
    category: CategoryCode
    description: str = Field(min_length=10, max_length=5000)
    deliverables: str = Field(min_length=1, max_length=2000)
    price_model: Literal["fixed", "quotation"]
    price_fen: PositiveFen | None = None
    guide_min_fen: Fen | None = None
    guide_max_fen: Fen | None = None
    typical_duration_days: Int = Field(ge=1, le=3650)
    accepts_vouchers: Flag = True


class OfferingPatch(_OfferingFields):
    """Only the fields sent change; a change of price model drops the other model's
    prices. Any change sends the offering back to the bureau's moderation check."""
    title: str | None = Field(default=None, min_length=1, max_length=200)
    category: CategoryCode | None = None
    description: str | None = Field(default=None, min_length=10, max_length=5000)
    deliverables: str | None = Field(default=None, min_length=1, max_length=2000)
    price_model: Literal["fixed", "quotation"] | None = None
    price_fen: PositiveFen | None = None
    guide_min_fen: Fen | None = None
    guide_max_fen: Fen | None = None
    typical_duration_days: Int | None = Field(default=None, ge=1, le=3650)
    accepts_vouchers: Flag | None = None


NOT_NULL = ("title", "category", "description", "deliverables", "price_model",
            "typical_duration_days", "accepts_vouchers")


def _reader():
    """The token's user when a token is sent (a bad one is a 401), else None."""
    g.api_user = authenticate_request() if request.headers.get("Authorization") else None
    return g.api_user


def _field_error(name, message):
    return ApiError(_("Some fields are not valid."), code="validation_error", status=422,
                    details={"fields": [{"loc": [name], "msg": message,
                                         "type": "value_error"}]})


def _category_id(code, name="category"):
    found = db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code == code, ServiceCategory.is_active.is_(True))).scalar()
    if found is None:
        raise _field_error(name, _("unknown category %(code)s", code=repr(code)))
    return found


def _offering_values(offering):
    """What an offering's answers read beyond its own columns."""
    return {"category": offering.category.code,
            "agency": {"id": offering.agency_id, "name": offering.agency.organisation.name}}


def _listed_json(row):
    """An item of a search, from the search table's row (services.LISTED)."""
    return answer(OfferingItem, row, category=row.category_code,
                  agency={"id": row.agency_id, "name": row.agency_name})


def _offering_json(offering):
    return answer(OfferingOut, offering, **_offering_values(offering),
                  category_name={"zh": offering.category.name_zh,
                                 "en": offering.category.name_en},
                  visible=services.is_visible(offering))


def _agency_json(profile):
    return answer(AgencyOut, profile, id=profile.organisation_id,
                  district=profile.organisation.district,
                  categories=[c.code for c in profile.categories],
                  scorecard=scorecards.as_dict(
                      db.session.get(AgencyScorecard, profile.organisation_id)))


@operation(bp, "/offerings", "GET", tag="catalogue", auth=False,
           summary="Search the catalogue (public; Chinese full text, filters, pages)",
           query=OfferingQuery, responses={200: OfferingList}, errors=(401,))
def list_offerings(query):
    _reader()
    if (query.price_min_fen is not None and query.price_max_fen is not None
            and query.price_min_fen > query.price_max_fen):
        raise _field_error("price_min_fen", _("price_min_fen is above price_max_fen"))
    search = services.CatalogueQuery(
        q=query.q or "", category=query.category, district=query.district,
        agency_type=query.agency_type, location=query.location, voucher=query.voucher,
        price_min_fen=query.price_min_fen, price_max_fen=query.price_max_fen,
        min_rating=query.min_rating,
        sort=query.sort or ("relevance" if query.q else "newest"))
    page = services.search_catalogue(search, page=query.page, per_page=query.per_page)
    return jsonify(answer(OfferingList, items=[_listed_json(row) for row in page.items],
                          total=page.total, total_exact=page.total_exact,
                          page=query.page, per_page=query.per_page))


@operation(bp, "/offerings/<int:offering_id>", "GET", tag="catalogue", auth=False,
           summary="An offering (public while visible; hidden ones for their agency and "
                   "the bureau)", responses={200: OfferingOut}, errors=(401,))
def get_offering(offering_id):
    user = _reader()
    found = db.session.get(Offering, offering_id)
    require_visible(perms.can_view_offering, found, user=user)
    return jsonify(_offering_json(found))


@operation(bp, "/agencies/<int:agency_id>", "GET", tag="catalogue", auth=False,
           summary="An agency of the registry with its scorecard (public while admitted)",
           responses={200: AgencyOut}, errors=(401,))
def get_agency(agency_id):
    user = _reader()
    profile = db.session.get(AgencyProfile, agency_id)
    require_visible(can_view_agency_page, profile, user=user)
    return jsonify(_agency_json(profile))


# the service names the form's fields in its errors; the API names its own
API_FIELD_NAMES = {"price": "price_fen", "guide_min": "guide_min_fen",
                   "guide_max": "guide_max_fen", "category_id": "category"}


def _service_fields(fields):
    fields = dict(fields)
    if "category" in fields:
        fields["category_id"] = _category_id(fields.pop("category"))
    return fields


def _in_api_terms(error):
    field = (error.details or {}).get("field")
    if field in API_FIELD_NAMES:
        error.details = {**error.details, "field": API_FIELD_NAMES[field]}
    return error


@operation(bp, "/offerings", "POST", tag="catalogue",
           summary="Publish an offering of the token's agency (admitted agencies only)",
           body=OfferingIn, responses={201: OfferingOut}, rule=perms.can_manage_offerings,
           errors=(409,))
def create_offering(body):
    user = g.api_user
    profile = db.session.get(AgencyProfile, user.organisation_id)
    if profile is None:
        raise services.AgencyNotActive()
    try:
        created = services.create_offering(profile, user,
                                           **_service_fields(body.model_dump()))
    except ValidationFailed as error:
        raise _in_api_terms(error)
    db.session.commit()
    return jsonify(_offering_json(db.session.get(Offering, created.id))), 201


@operation(bp, "/offerings/<int:offering_id>", "PATCH", tag="catalogue",
           summary="Change an offering of the token's agency (it is checked again)",
           body=OfferingPatch, responses={200: OfferingOut},
           rule=perms.can_manage_offerings, errors=(409,))
def update_offering(offering_id, body):
    found = db.session.get(Offering, offering_id)
    require_visible(perms.can_edit_offering, found, user=g.api_user)
    sent = body.model_dump(exclude_unset=True)
    nulls = [name for name in NOT_NULL if name in sent and sent[name] is None]
    if nulls:
        raise _field_error(nulls[0], _("%(field)s cannot be null", field=nulls[0]))
    if sent:
        try:
            services.update_offering(found, g.api_user, **_service_fields(sent))
        except ValidationFailed as error:
            raise _in_api_terms(error)
        db.session.commit()
    return jsonify(_offering_json(db.session.get(Offering, offering_id)))
