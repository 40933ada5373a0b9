"""API of the science and technology commissioners: the public directory, an application,
and the commissioner's own log of services. Ids and dates are strict (a string, a float or
a boolean for an id is refused, 422)."""
from datetime import date
from typing import Literal

from flask import current_app, g, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketplace.api.answers import answer
from marketplace.api.spec import MAX_ID, Id, named_in_body, operation
from marketplace.api.views import bp
from marketplace.commissioners import activity, services
from marketplace.commissioners import permissions as perms
from marketplace.accounts.models import District
from marketplace.commissioners.models import Commissioner, Pairing
from marketplace.commissioners.views import directory_query
from marketplace.core.permissions import require, require_visible
from marketplace.extensions import db
from marketplace.api.reference_types import FieldCode



class DirectoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    field: FieldCode | None = None
    district: int | None = Field(default=None, ge=1, le=MAX_ID, description="A district id")
    q: str | None = Field(default=None, max_length=100,
                          description="Words in the name, organisation or expertise")
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1)

    @field_validator("per_page")
    @classmethod
    def _page_size(cls, value):
        limit = current_app.config["API_PAGE_SIZE_MAX"]
        if value > limit:
            raise ValueError(f"per_page is at most {limit}")
        return value


class CommissionerOut(BaseModel):
    id: int
    name: str
    field_code: str
    organisation_name: str
    title: str
    expertise: str
    service_areas: str
    district_id: int
    district_zh: str
    district_en: str
    status: str
    recognised_until: date | None


class CommissionerList(BaseModel):
    items: list[CommissionerOut]
    total: int
    page: int
    per_page: int


class CommissionerApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    field_code: FieldCode
    organisation_name: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    qualifications: str = Field(min_length=1, max_length=4000)
    expertise: str = Field(min_length=1, max_length=4000)
    service_areas: str = Field(min_length=1, max_length=4000)
    district_id: Id


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    pairing_id: Id = Field(description="One of the commissioner's active pairings")
    service_on: date
    place: str = Field(min_length=1, max_length=200)
    participants: str = Field(min_length=1, max_length=2000)
    work_done: str = Field(min_length=1, max_length=4000)
    outcome: str = Field(min_length=1, max_length=4000)


class ServiceOut(BaseModel):
    id: int
    commissioner_id: int
    pairing_id: int
    served: str
    service_on: date
    place: str
    participants: str
    work_done: str
    outcome: str
    status: Literal["logged", "confirmed", "disputed"]


def _commissioner_json(commissioner):
    return answer(CommissionerOut, commissioner, district_zh=commissioner.district.name_zh,
                  district_en=commissioner.district.name_en)


@operation(bp, "/commissioners", "GET", tag="commissioners", auth=False,
           summary="Recognised science and technology commissioners (public; paged; by "
                   "field, district and words)",
           query=DirectoryQuery, responses={200: CommissionerList})
def list_commissioners(query):
    page = db.paginate(directory_query(query.field, query.district, (query.q or "").strip()),
                       page=query.page, per_page=query.per_page, error_out=False)
    return jsonify(answer(CommissionerList, items=[_commissioner_json(c) for c in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/commissioner-applications", "POST", tag="commissioners",
           summary="Apply to be a commissioner (or submit a returned, rejected or withdrawn "
                   "application again)",
           body=CommissionerApplicationIn, responses={201: CommissionerOut},
           rule=perms.can_apply_as_commissioner, errors=(404, 409))
def apply_as_commissioner(body):
    named_in_body(District, body.district_id, field="district_id")
    commissioner = services.apply(g.api_user, **body.model_dump())
    db.session.commit()
    return jsonify(_commissioner_json(db.session.get(Commissioner, commissioner.id))), 201


@operation(bp, "/commissioners/<int:commissioner_id>/services", "POST", tag="commissioners",
           summary="Log a service (the recognised commissioner themself); the served party "
                   "is asked to confirm it",
           body=ServiceIn, responses={201: ServiceOut}, rule=perms.can_work_as_commissioner,
           errors=(409,))
def log_commissioner_service(commissioner_id, body):
    commissioner = db.session.get(Commissioner, commissioner_id)
    require_visible(perms.can_view_commissioner, commissioner, user=g.api_user)
    require(perms.can_log_service, commissioner, user=g.api_user)
    named_in_body(Pairing, body.pairing_id, field="pairing_id",
                  rule=lambda _user, pairing: pairing.commissioner_id == commissioner.id)
    service = activity.log_service(commissioner, g.api_user, **body.model_dump())
    db.session.commit()
    return jsonify(answer(ServiceOut, service, commissioner_id=commissioner.id,
                          served=service.pairing.served_name)), 201
