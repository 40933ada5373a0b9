"""Listing results and demands. Services flush and never commit; every status change goes
through the listing transition table (and leaves an audit record). The matching index is
kept by the flush hook in matching.py, in the same transaction."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.permissions import is_admin, is_firm_member, is_reviewer
from marketplace.agencies.models import AgencyProfile, AgencyStatus
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.exchange.models import (IpType, ListingStatus, TechDemand, TechResult,
                                         TransferMode)
from marketplace.extensions import db
from marketplace.technology_fields.services import field_codes

MAX_FEN = 10**14
RESULT_FIELDS = ("title", "field_code", "summary", "ip_type", "ip_numbers", "trl",
                 "transfer_modes", "asking_price_fen")
DEMAND_FIELDS = ("title", "field_code", "description", "budget_min_fen", "budget_max_fen",
                 "deadline", "intends_voucher")


class AgencyNotAdmitted(Conflict):
    code = "agency_not_admitted"
    default_message = _l("Only agencies admitted to the registry can publish technology "
                         "results.")


def _invalid(message, field):
    return ValidationFailed(message, details={"field": field})


def _text(value, field, minimum, maximum):
    value = (value or "").strip()
    if len(value) < minimum or len(value) > maximum:
        raise _invalid(_l("Between %(min)s and %(max)s characters.", min=minimum,
                          max=maximum), field)
    return value


def _field_code(code):
    if code not in field_codes():
        raise _invalid(_l("Choose a technology field from the list."), "field_code")
    return code


def _result_values(fields):
    values = {
        "title": _text(fields.get("title"), "title", 4, 200),
        "field_code": _field_code(fields.get("field_code")),
        "summary": _text(fields.get("summary"), "summary", 20, 5000),
        "ip_numbers": (fields.get("ip_numbers") or "").strip()[:500],
    }
    try:
        values["ip_type"] = IpType(fields.get("ip_type"))
    except ValueError:
        raise _invalid(_l("Choose the kind of intellectual property."), "ip_type")
    trl = fields.get("trl")
    if not isinstance(trl, int) or not 1 <= trl <= 9:
        raise _invalid(_l("The technology readiness level is between 1 and 9."), "trl")
    values["trl"] = trl
    try:
        modes = {TransferMode(mode) for mode in fields.get("transfer_modes") or ()}
    except ValueError:
        raise _invalid(_l("Choose the transfer modes from the list."), "transfer_modes")
    if not modes:
        raise _invalid(_l("Choose at least one transfer mode."), "transfer_modes")
    values["transfer_modes"] = ",".join(m.value for m in TransferMode if m in modes)
    price = fields.get("asking_price_fen")
    if price is not None and not 0 < price <= MAX_FEN:
        raise _invalid(_l("The asking price must be positive, or leave it empty for "
                          "negotiable."), "asking_price_fen")
    values["asking_price_fen"] = price
    return values


def _demand_values(fields, today):
    values = {
        "title": _text(fields.get("title"), "title", 4, 200),
        "field_code": _field_code(fields.get("field_code")),
        "description": _text(fields.get("description"), "description", 20, 5000),
        "intends_voucher": bool(fields.get("intends_voucher")),
    }
    low, high = fields.get("budget_min_fen"), fields.get("budget_max_fen")
    for name, amount in (("budget_min_fen", low), ("budget_max_fen", high)):
        if amount is not None and not 0 <= amount <= MAX_FEN:
            raise _invalid(_l("The budget must be a positive amount."), name)
    if low is not None and high is not None and low > high:
        raise _invalid(_l("The lower end of the budget is above its upper end."),
                       "budget_min_fen")
    values["budget_min_fen"], values["budget_max_fen"] = low, high
    deadline = fields.get("deadline")
    if deadline is not None and deadline <= today:
        raise _invalid(_l("The deadline must be in the future."), "deadline")
    values["deadline"] = deadline
    return values


# --- results ------------------------------------------------------------------------------

def create_result(agency, actor, *, publish=True, **fields):
    if agency is None or agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotAdmitted()
    result = TechResult(agency_id=agency.organisation_id, created_by_id=actor.id,
                        status=ListingStatus.DRAFT, **_result_values(fields))
    db.session.add(result)
    db.session.flush()
    audit.record(result, "create", actor=actor, after=result.status,
                 data={"title": result.title, "field_code": result.field_code})
    if publish:
        change_result_status(result, actor, "publish")
    return result


def update_result(result, actor, **fields):
    merged = {name: getattr(result, name) for name in RESULT_FIELDS}
    merged["transfer_modes"] = [m.value for m in result.modes]
    merged["ip_type"] = result.ip_type.value
    merged.update(fields)
    for name, value in _result_values(merged).items():
        setattr(result, name, value)
    result.updated_dt = now_utc()
    db.session.flush()
    audit.record(result, "update", actor=actor, data={"fields": sorted(fields)})
    return result


def change_result_status(result, actor, action):
    if action == "publish" and result.agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotAdmitted()
    transition(result, action, actor=actor)
    result.updated_dt = now_utc()
    db.session.flush()
    return result


def _listing(model, *conditions, field_code=None):
    """Results or demands, the latest changed first (the pages and the API), by field."""
    statement = (select(model).where(*conditions)
                 .order_by(model.updated_dt.desc(), model.id.desc()))
    if field_code:
        statement = statement.where(model.field_code == field_code)
    return statement


def visible_results(field_code=None):
    return _listing(TechResult, TechResult.status == ListingStatus.PUBLISHED,
                    AgencyProfile.status == AgencyStatus.ADMITTED, field_code=field_code) \
        .join(AgencyProfile, AgencyProfile.organisation_id == TechResult.agency_id)


def results_of(agency_id):
    return _listing(TechResult, TechResult.agency_id == agency_id)


def is_result_visible(result):
    return (result.status == ListingStatus.PUBLISHED
            and result.agency.status == AgencyStatus.ADMITTED)


# --- demands ------------------------------------------------------------------------------

def create_demand(firm_member, *, publish=True, today=None, **fields):
    demand = TechDemand(firm_id=firm_member.organisation_id, created_by_id=firm_member.id,
                        status=ListingStatus.DRAFT,
                        **_demand_values(fields, today or date.today()))
    db.session.add(demand)
    db.session.flush()
    audit.record(demand, "create", actor=firm_member, after=demand.status,
                 data={"title": demand.title, "field_code": demand.field_code})
    if publish:
        change_demand_status(demand, firm_member, "publish")
    return demand


def update_demand(demand, actor, today=None, **fields):
    merged = {name: getattr(demand, name) for name in DEMAND_FIELDS}
    merged.update(fields)
    if "deadline" not in fields and merged["deadline"] is not None \
            and merged["deadline"] <= (today or date.today()):
        merged["deadline"] = None      # an old deadline does not block other edits
    for name, value in _demand_values(merged, today or date.today()).items():
        setattr(demand, name, value)
    demand.updated_dt = now_utc()
    db.session.flush()
    audit.record(demand, "update", actor=actor, data={"fields": sorted(fields)})
    return demand


def change_demand_status(demand, actor, action):
    transition(demand, action, actor=actor)
    demand.updated_dt = now_utc()
    db.session.flush()
    return demand


def published_demands(field_code=None):
    return _listing(TechDemand, TechDemand.status == ListingStatus.PUBLISHED,
                    field_code=field_code)


def demands_of(firm_id):
    return _listing(TechDemand, TechDemand.firm_id == firm_id)


def all_demands():
    return _listing(TechDemand)


def demands_listed_for(user, field_code=None):
    """The demands a listing shows (the page and the API): a firm its own, the bureau
    all of them, everyone else the published ones, by field."""
    if is_firm_member(user):
        return demands_of(user.organisation_id)
    if is_reviewer(user) or is_admin(user):
        return all_demands()
    return published_demands(field_code)
