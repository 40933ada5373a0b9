"""API of the voucher domain, over the same services as the pages."""
from datetime import date

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field
from typing import Literal

from marketplace import funds
from marketplace.api.catalogue import CategoryCode
from marketplace.api.answers import answer
from marketplace.api.spec import Flag, Id, PositiveFen, one_of, operation
from marketplace.api.views import bp
from marketplace.core.errors import NotFound
from marketplace.core.permissions import is_authenticated, require_visible
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import permissions as perms
from marketplace.vouchers import services
from marketplace.vouchers.models import (ApplicationStatus, Programme, Voucher,
                                         VoucherApplication, VoucherStatus)
from marketplace.accounts.permissions import is_firm_member


class ProgrammeOut(BaseModel):
    id: int
    name: str
    year: int
    budget_fen: int
    applications_open_on: date
    applications_close_on: date
    vouchers_valid_until: date
    is_open: bool
    rules_version: int


class ProgrammeList(BaseModel):
    items: list[ProgrammeOut]


class BudgetOut(BaseModel):
    budget_fen: int
    issued_fen: int
    reserved_fen: int
    spent_fen: int
    expired_fen: int
    available_fen: int


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    programme_id: Id
    requested_fen: PositiveFen
    purpose: str = Field(min_length=10, max_length=2000)
    planned_categories: list[CategoryCode] = Field(default_factory=list, max_length=20)
    declares_no_double_funding: Flag = True


class ApplicationOut(BaseModel):
    id: int
    firm_id: int
    programme_id: int
    status: one_of(ApplicationStatus)
    requested_fen: int
    approved_fen: int | None
    rules_version: int


class ApplicationList(BaseModel):
    items: list[ApplicationOut]
    total: int
    page: int
    per_page: int


class ApplicationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: one_of(ApplicationStatus) | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject", "return"]
    amount_fen: PositiveFen | None = None
    comment: str | None = Field(default=None, max_length=2000)


class DecisionOut(BaseModel):
    application: ApplicationOut
    voucher_id: int | None


class VoucherOut(BaseModel):
    id: int
    programme_id: int
    status: one_of(VoucherStatus)
    face_value_fen: int
    available_fen: int
    reserved_fen: int
    spent_fen: int
    expires_on: date


class VoucherList(BaseModel):
    items: list[VoucherOut]


def _programme_json(programme):
    return answer(ProgrammeOut, programme, is_open=programme.is_open_on(date.today()),
                  rules_version=programme.current_rules.version)


def _application_json(application):
    return answer(ApplicationOut, application,
                  rules_version=application.rule_version.version)


def _voucher_json(voucher):
    return answer(VoucherOut, voucher, **funds.figures.voucher_balances(voucher))


@operation(bp, "/programmes", "GET", summary="Voucher programmes", tag="vouchers",
           responses={200: ProgrammeList}, rule=is_authenticated)
def list_programmes():
    return jsonify(answer(ProgrammeList,
                          items=[_programme_json(p) for p in services.all_programmes()]))


@operation(bp, "/programmes/<int:programme_id>/budget", "GET", tag="vouchers",
           summary="A programme's budget meter", responses={200: BudgetOut},
           rule=is_authenticated)
def programme_budget(programme_id):
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound()
    return jsonify(answer(BudgetOut, **budget_use.budget_figures(programme)))


@operation(bp, "/voucher-applications", "POST", tag="vouchers",
           summary="Apply for a voucher (firm members)", body=ApplicationIn,
           responses={201: ApplicationOut}, rule=perms.can_apply_for_voucher,
           errors=(404, 409))
def create_application(body):
    firm = g.api_user.organisation
    found = services.programme_for_application(body.programme_id, firm.id)
    if found is None:
        raise NotFound(details={"field": "programme_id"})   # as named_in_body answers
    programme, taken = found
    application = services.apply_for_voucher(
        firm=firm, applicant=g.api_user, programme=programme, taken=taken,
        requested_fen=body.requested_fen, purpose=body.purpose.strip(),
        planned_category_codes=body.planned_categories,
        declares_no_double_funding=body.declares_no_double_funding)
    # the answer is built before the commit expires the object (no reload after it)
    created = _application_json(application)
    db.session.commit()
    return jsonify(created), 201


@operation(bp, "/voucher-applications", "GET", tag="vouchers",
           summary="Voucher applications: a firm sees its own, the bureau all",
           query=ApplicationQuery, responses={200: ApplicationList},
           rule=perms.can_list_applications)
def list_applications(query):
    user = g.api_user
    statement = services.review_queue(
        ApplicationStatus(query.status) if query.status else None)
    if is_firm_member(user):
        statement = statement.where(VoucherApplication.firm_id == user.organisation_id)
    page = db.paginate(statement, page=query.page, per_page=query.per_page, error_out=False)
    return jsonify(answer(ApplicationList, items=[_application_json(a) for a in page.items],
                          total=page.total, page=query.page, per_page=query.per_page))


@operation(bp, "/voucher-applications/<int:application_id>/decisions", "POST",
           tag="vouchers", summary="Decide an application (auditors)", body=DecisionIn,
           responses={200: DecisionOut}, rule=perms.can_decide_application, errors=(409,))
def decide_application(application_id, body):
    application = db.session.get(VoucherApplication, application_id)
    require_visible(perms.can_view_application, application, user=g.api_user)
    voucher = services.decide_application(application, actor=g.api_user,
                                          decision=body.decision,
                                          amount_fen=body.amount_fen, comment=body.comment)
    db.session.commit()
    application = db.session.get(VoucherApplication, application_id)
    return jsonify(answer(DecisionOut, application=_application_json(application),
                          voucher_id=voucher.id if voucher else None))


@operation(bp, "/vouchers", "GET", tag="vouchers", summary="The firm's vouchers",
           responses={200: VoucherList}, rule=perms.can_apply_for_voucher)
def list_vouchers():
    vouchers = db.session.query(Voucher).filter_by(firm_id=g.api_user.organisation_id) \
        .order_by(Voucher.id).all()
    return jsonify(answer(VoucherList, items=[_voucher_json(v) for v in vouchers]))


