"""API of the regulated facts and the bureau's integrity list, over the same services and
predicates as the pages: an organisation's current version (people with masked identity
numbers), change requests and their decision by an auditor, and the integrity list."""
from datetime import date
from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from marketplace.accounts import change_requests, versions
from marketplace.accounts import people as people_rules
from marketplace.accounts import permissions as perms
from marketplace.accounts.models import District, Organisation
from marketplace.accounts.version_models import ChangeRequest, ChangeRequestStatus
from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import MAX_ID, Id, Int, named_in_body, operation
from marketplace.api.views import bp
from marketplace.core import normalise
from marketplace.core.errors import NotFound, PermissionDenied
from marketplace.core.permissions import require_visible
from marketplace.extensions import db
from marketplace.integrity import barred, certification
from marketplace.integrity import permissions as integrity_perms

ROLES = Literal["legal_representative", "officer", "shareholder"]


class PersonOut(BaseModel):
    role: ROLES
    title: Literal["director", "supervisor", "manager"] | None
    name: str
    id_number: str | None = Field(description="Masked: the first and last four characters.")
    share_bp: int | None = Field(description="A shareholder's share in basis points.")


class TierOut(BaseModel):
    tier: str
    certificate: str
    source: Literal["list", "confirmed"]
    valid_from: date
    valid_to: date


class OrganisationOut(BaseModel):
    id: int
    kind: Literal["firm", "agency"]
    version: int = Field(description="The number of the current version of the facts.")
    name: str
    uscc: str
    registered_address: str
    district_id: int | None
    contact_phone: str
    bank_name: str | None
    bank_cnaps_code: str | None
    bank_account: str | None
    firm_tier: Literal["tech_sme", "high_tech", "benchmark_high_tech"] | None = Field(
        description="The tier the current version records (firms).")
    people: list[PersonOut]
    certified_tier: TierOut | None = Field(description="The tier the certification lists "
                                                       "give today (firms), with the "
                                                       "certificate; null without one.")
    pending_change_request_id: int | None


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: ROLES
    title: Literal["director", "supervisor", "manager"] | None = None
    name: str = Field(min_length=1, max_length=100)
    id_kind: Literal["resident_id", "uscc", "other"] | None = None
    id_number: str | None = Field(default=None, max_length=30, description=(
        "Hashed on arrival, never stored. Leave out to keep the number on file for the "
        "same role and name."))
    share_bp: Int | None = Field(default=None, ge=1, le=10000)


class CertificateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=60)
    valid_from: date
    valid_to: date


class ChangeRequestIn(BaseModel):
    """The whole proposed state of the facts and people (a field left out is empty, not
    unchanged: send back what ``GET /organisation`` gave, changed where it changes)."""
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    uscc: str = Field(min_length=1, max_length=30)
    registered_address: str = Field(min_length=1, max_length=300)
    district_id: Id
    contact_phone: str = Field(min_length=1, max_length=40)
    bank_name: str | None = Field(default=None, max_length=100)
    bank_cnaps_code: str | None = Field(default=None, max_length=20)
    bank_account: str | None = Field(default=None, max_length=64)
    firm_tier: Literal["tech_sme", "high_tech", "benchmark_high_tech"] | None = None
    certificate: CertificateIn | None = Field(default=None, description=(
        "Needed for a tier the certification lists do not give."))
    people: list[PersonIn] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


class ChangeOut(BaseModel):
    field: str
    current: str | int | None
    proposed: str | int | None


class ChangeRequestOut(BaseModel):
    id: int
    organisation_id: int
    status: Literal[tuple(s.value for s in ChangeRequestStatus)]
    base_version: int
    result_version: int | None
    changes: list[ChangeOut]
    people: list[PersonOut]
    certificate_number: str | None
    reason: str
    requested_dt: Timestamp
    decision_comment: str | None


class ChangeRequestList(BaseModel):
    items: list[ChangeRequestOut]
    total: int
    page: int
    per_page: int


class ChangeRequestQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal[tuple(s.value for s in ChangeRequestStatus)] | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=2000,
                         description="Required to reject (422 reason_required).")


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Literal["organisation", "person"]
    name: str = Field(min_length=1, max_length=200)
    uscc: str | None = Field(default=None, max_length=30)
    id_kind: Literal["resident_id", "other"] = "resident_id"
    id_number: str | None = Field(default=None, max_length=30)
    reason: str = Field(min_length=1, max_length=2000)
    source: str = Field(min_length=1, max_length=200)
    listed_from: date
    listed_to: date | None = None


class EntryOut(BaseModel):
    id: int
    subject: Literal["organisation", "person"]
    name: str
    uscc: str | None
    id_number: str | None = Field(description="Masked.")
    reason: str
    source: str
    listed_from: date
    listed_to: date | None
    active: bool


class EntryList(BaseModel):
    items: list[EntryOut]
    total: int
    page: int
    per_page: int


class EntryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str | None = Field(default=None, max_length=100)
    active: bool = False
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


def _person_json(p):
    return answer(PersonOut, **{**p, "id_number": p["id_number_masked"]})


def organisation_json(organisation):
    version = versions.current_version(organisation)
    listed = certification.tier_on(organisation.uscc) if organisation.is_firm else None
    pending = change_requests.pending_request(organisation)
    return answer(OrganisationOut, organisation, version=version.number,
                  **{name: version.fact(name) for name in (
                      "name", "uscc", "registered_address", "district_id", "contact_phone",
                      "bank_name", "bank_cnaps_code", "bank_account", "firm_tier")},
                  people=[_person_json(p.as_dict()) for p in version.people],
                  certified_tier=listed.citation() if listed else None,
                  pending_change_request_id=pending.id if pending else None)


def request_json(found):
    rows, _before, after = change_requests.comparison(found)
    result = db.session.get(type(found.base_version), found.result_version_id) \
        if found.result_version_id else None
    return answer(ChangeRequestOut, found, base_version=found.base_version.number,
                  result_version=result.number if result else None,
                  changes=[{"field": field, "current": current, "proposed": proposed}
                           for field, current, proposed, changed in rows if changed],
                  people=[_person_json(p) for p in after])


def entry_json(entry):
    return answer(EntryOut, entry, id_number=entry.id_number_masked,
                  active=entry.is_active_on(date.today()))


def _visible_request(request_id):
    found = db.session.get(ChangeRequest, request_id) if request_id <= MAX_ID else None
    require_visible(perms.can_view_change_request, found, user=g.api_user)
    return found


@operation(bp, "/organisation", "GET", tag="identity",
           summary="The caller's organisation: its current version of the regulated facts, "
                   "its people (identity numbers masked) and its certified tier",
           responses={200: OrganisationOut}, rule=perms.is_organisation_member)
def own_organisation():
    return jsonify(organisation_json(g.api_user.organisation))


@operation(bp, "/organisations/<int:organisation_id>", "GET", tag="identity",
           summary="An organisation's current facts (the bureau's reviewers and the admin)",
           responses={200: OrganisationOut}, rule=perms.can_review_identity_changes)
def get_organisation(organisation_id):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return jsonify(organisation_json(organisation))


def _people(body, organisation):
    on_file = versions.current_version(organisation).people
    found = []
    for index, person in enumerate(body.people):
        kept = next((p for p in on_file if p.role.value == person.role
                     and p.name_key == normalise.name_key(person.name)
                     and p.id_number_hash), None) if not person.id_number else None
        found.append(people_rules.person(
            person.role, person.name, title=person.title, id_kind=person.id_kind,
            id_number=person.id_number, share_bp=person.share_bp, field=f"people.{index}",
            kept_hash=kept.id_number_hash if kept else None,
            kept_masked=kept.id_number_masked if kept else None))
    return found


@operation(bp, "/organisation/change-requests", "POST", tag="identity",
           summary="Ask for the organisation's regulated facts and people to change (the "
                   "owner); an auditor decides",
           body=ChangeRequestIn, responses={201: ChangeRequestOut},
           rule=perms.is_organisation_owner, errors=(404, 409))
def create_change_request(body):
    named_in_body(District, body.district_id, field="district_id")
    organisation = g.api_user.organisation
    facts = body.model_dump(include={"name", "uscc", "registered_address", "district_id",
                                     "contact_phone", "bank_name", "bank_cnaps_code",
                                     "bank_account", "firm_tier"})
    found = change_requests.submit(
        organisation, g.api_user, facts=facts, people=_people(body, organisation),
        reason=body.reason,
        certificate=body.certificate.model_dump() if body.certificate else None)
    db.session.commit()
    return jsonify(request_json(db.session.get(ChangeRequest, found.id))), 201


@operation(bp, "/change-requests", "GET", tag="identity",
           summary="Change requests: an organisation's own, the reviewers' all (pending "
                   "first by default)",
           query=ChangeRequestQuery, responses={200: ChangeRequestList},
           rule=perms.is_organisation_member | perms.can_review_identity_changes)
def list_change_requests(query):
    statement = change_requests.review_queue(ChangeRequestStatus(query.status)) \
        if query.status else db.select(ChangeRequest).order_by(ChangeRequest.id.desc())
    if not perms.can_review_identity_changes(g.api_user):
        statement = statement.where(
            ChangeRequest.organisation_id == g.api_user.organisation_id)
    page = db.paginate(statement, page=query.page, per_page=query.per_page, error_out=False)
    return jsonify(answer(ChangeRequestList, items=[request_json(r) for r in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/change-requests/<int:request_id>", "GET", tag="identity",
           summary="A change request with what it changes",
           responses={200: ChangeRequestOut},
           rule=perms.is_organisation_member | perms.can_review_identity_changes)
def get_change_request(request_id):
    return jsonify(request_json(_visible_request(request_id)))


@operation(bp, "/change-requests/<int:request_id>/decision", "POST", tag="identity",
           summary="Approve (the proposal becomes the next version; the parties' open "
                   "claims are checked again) or reject a change request (an auditor)",
           body=DecisionIn, responses={200: ChangeRequestOut},
           rule=perms.can_decide_identity_change, errors=(409,))
def decide_change_request(request_id, body):
    found = _visible_request(request_id)
    if body.decision == "approve":
        change_requests.approve(found, g.api_user, body.comment)
    else:
        change_requests.reject(found, g.api_user, body.comment)
    db.session.commit()
    return jsonify(request_json(db.session.get(ChangeRequest, request_id)))


@operation(bp, "/integrity-list", "GET", tag="identity",
           summary="The bureau's integrity list (reviewers and the admin)",
           query=EntryQuery, responses={200: EntryList},
           rule=integrity_perms.can_view_integrity_list)
def list_integrity_entries(query):
    page = db.paginate(barred.entries(query.q, active_only=query.active), page=query.page,
                       per_page=query.per_page, error_out=False)
    return jsonify(answer(EntryList, items=[entry_json(e) for e in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/integrity-list", "POST", tag="identity",
           summary="List an organisation or a person as barred (an auditor)",
           body=EntryIn, responses={201: EntryOut},
           rule=integrity_perms.can_manage_integrity_list)
def create_integrity_entry(body):
    if not integrity_perms.can_manage_integrity_list(g.api_user):
        raise PermissionDenied()
    entry = barred.add_entry(g.api_user, **body.model_dump())
    db.session.commit()
    return jsonify(entry_json(entry)), 201
