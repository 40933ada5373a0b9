"""Access-matrix rows of the contract document and its verification page, the working-day
calendar and the technology fields (see access_rows/__init__.py).

Objects: the orders rows' world (``orders_firm_document`` is an order of the world's firm
with the world's agency whose contract is signed; ``orders_other_firm_document`` another
firm's; ``orders_firm`` is only quoted: no contract, no document), the registry rows'
``turnover_own`` registration, a seeded calendar day and a seeded technology field."""
from datetime import date

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.technology_fields.models import TechnologyField
from marketplace.workdays import permissions as calendar_perms
from marketplace.workdays.models import CalendarDay
from tests.integration.access_rows import orders, turnover_registry
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_OWNER, LOGIN, MISSING_ID,
                                  NO_TOKEN, OTHERS, REVIEWERS, SUPERVISOR, VISITOR, by_object)

PARTIES_AND_BUREAU = {VISITOR: LOGIN, FIRM_MEMBERS: 200, AGENCY_OWNER: 200, REVIEWERS: 200,
                      ADMIN: 200, OTHERS: 404}
BUREAU_ONLY = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 404}
NOBODY = {VISITOR: LOGIN, OTHERS: 404}
ADMIN_FORM = {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403}       # an empty form
ADMIN_MISSING = {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}


def _api(row):
    return {**{k: v for k, v in row.items() if k != VISITOR}, **NO_TOKEN}


EXPECTED = {
    # the contract's PDF: the parties and the bureau; none before signing
    ("orders.contract_pdf", "GET"): by_object(
        firm=PARTIES_AND_BUREAU, other_firm=BUREAU_ONLY, unsigned=NOBODY, missing=NOBODY),
    ("api.order_contract_pdf", "GET"): by_object(
        firm=_api(PARTIES_AND_BUREAU), other_firm=_api(BUREAU_ONLY), unsigned=_api(NOBODY),
        missing=_api(NOBODY)),
    # public: without a code the page asks for it
    ("orders.verify_contract", "GET"):            {OTHERS: 200},
    # public; without from/to the query is refused
    ("api.working_calendar", "GET"):              {OTHERS: 422},
    ("api.list_technology_fields", "GET"):        {OTHERS: 200},
    # the admin's technology fields
    ("technology_fields.fields_list", "GET"):     ADMIN_ONLY,
    ("technology_fields.edit_field", "GET"): by_object(
        new=ADMIN_ONLY, existing=ADMIN_ONLY, missing=ADMIN_MISSING),
    ("technology_fields.edit_field", "POST"): by_object(
        new=ADMIN_FORM, existing=ADMIN_FORM, missing=ADMIN_MISSING),
    # an auditor confirms a migrated field (an empty form: 422)
    ("technology_fields.confirm_field", "POST"): by_object(
        own={VISITOR: LOGIN, AUDITOR: 422, OTHERS: 403},
        missing={VISITOR: LOGIN, AUDITOR: 404, OTHERS: 403}),
    # the admin's working-day calendar
    ("work_calendar.calendar_page", "GET"):       ADMIN_ONLY,
    ("work_calendar.edit_day", "GET"): by_object(
        new=ADMIN_ONLY, existing=ADMIN_ONLY, missing=ADMIN_MISSING),
    ("work_calendar.edit_day", "POST"): by_object(
        new=ADMIN_FORM, existing=ADMIN_FORM, missing=ADMIN_MISSING),
    ("work_calendar.remove_day", "POST"): by_object(
        existing=ADMIN_FORM, missing=ADMIN_MISSING),
    ("work_calendar.import_days", "POST"):        ADMIN_FORM,
    ("work_calendar.year_csv", "GET"):            ADMIN_ONLY,
}

_ORDER_KEYS = {"firm": "orders_firm_document", "other_firm": "orders_other_firm_document"}


def _order_id(world, role, variant):
    if variant == "missing":
        return {"order_id": MISSING_ID}
    if variant == "unsigned":
        return {"order_id": world.extra["orders_firm"].id}
    return {"order_id": world.extra[_ORDER_KEYS[variant]].order_id}


def _field_id(world, role, variant):
    return {"new": {}, "existing": {"field_id": world.extra["paper_field"].id},
            "missing": {"field_id": MISSING_ID}}[variant]


def _day_id(world, role, variant):
    return {"new": {}, "existing": {"day_id": world.extra["paper_day"].id},
            "missing": {"day_id": MISSING_ID}}[variant]


URL_VALUES = {
    "orders.contract_pdf": _order_id,
    "api.order_contract_pdf": _order_id,
    "orders.verify_contract": lambda w, r, v: {"number": "HC-2026-0000001"},
    "technology_fields.edit_field": _field_id,
    "technology_fields.confirm_field": lambda w, r, v: {
        "registration_id": MISSING_ID if v == "missing" else w.extra["turnover_own"].id},
    "work_calendar.edit_day": _day_id,
    "work_calendar.remove_day": _day_id,
    "work_calendar.year_csv": lambda w, r, v: {"year": 2025},
}
BODIES = {}

_ENDPOINTS = {endpoint for endpoint, _method in EXPECTED}


def needs(app, endpoint):
    return endpoint in _ENDPOINTS


def build(world):
    if "paper_day" in world.extra:
        return
    orders.build(world)
    turnover_registry.build(world)
    world.extra.update(
        paper_day=db.session.execute(select(CalendarDay).where(
            CalendarDay.day == date(2025, 10, 1))).scalar_one(),
        paper_field=db.session.execute(select(TechnologyField).where(
            TechnologyField.code == "agriculture")).scalar_one())


# can_download_contract and the technology-field rules live in modules the orders and
# registry rows list already
PREDICATE_MODULES = (calendar_perms,)
PREDICATE_TABLE = {
    ("can_download_contract", "paper_signed_order"):   {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER,
                                                        AUDITOR, SUPERVISOR, ADMIN},
    ("can_download_contract", "orders_firm"):          set(),     # quoted, not signed
    ("can_download_contract", None):                   set(),
    ("can_manage_technology_fields", None):            {ADMIN},
    ("can_confirm_fields", None):                      {AUDITOR},
    ("can_manage_calendar", None):                     {ADMIN},
}
PREDICATE_OBJECTS = {
    "paper_signed_order": lambda w, r: db.session.get(
        Order, w.extra["orders_firm_document"].order_id),
}
