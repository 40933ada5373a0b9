"""Access-matrix rows of the technology exchange (see access_rows/__init__.py).

Objects, built once per world into ``world.extra["exchange"]``: the world's agency
(agency_owner's, admitted; agency_owner is also marked as a broker) publishes ``result``;
another agency has a draft ``hidden`` result and a broker who proposed ``match`` (the
world firm's published ``demand`` with ``result``, awaiting both answers) and whose
``accepted`` match (a second demand of the world firm with ``result``) both parties
accepted, with one message carrying a PDF. ``other_demand`` is another firm's draft.

HTML forms are posted empty: the form pages answer 422 to those who pass the rule, the
one-button forms (status, answer, propose) send them back with a message (302).
"""
import io

from marketplace.exchange import brokerage
from marketplace.exchange import permissions as exchange_perms
from marketplace.extensions import db
from tests.factories import PDF_BYTES, AgencyMemberFactory, make_agency_profile
from tests.integration.exchange.builders import make_demand, make_result
from tests.support.access import (ADMIN, AGENCY_OWNER, AUDITOR, EXPERT,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_OWNER, LOGIN, MISSING_ID,
                                  NO_TOKEN, OTHERS, REVIEWERS, ROLES, SUPERVISOR, VISITOR,
                                  by_object)

BUREAU = (AUDITOR, SUPERVISOR, ADMIN)
PARTIES = (FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER)
AGENCY_ONLY = {VISITOR: LOGIN, AGENCY_OWNER: 200, OTHERS: 403}
FIRMS_ONLY = {VISITOR: LOGIN, FIRM_MEMBERS: 200, OTHERS: 403}
BROWSERS = {VISITOR: LOGIN, EXPERT: 403, OTHERS: 200}
PARTIES_ONLY = {VISITOR: LOGIN, PARTIES: 200, OTHERS: 403}
MISSING_FOR_PARTIES = {VISITOR: LOGIN, PARTIES: 404, OTHERS: 403}

EXPECTED = {
    ("exchange.results", "GET"):                {OTHERS: 200},
    ("exchange.new_result", "GET"):             AGENCY_ONLY,
    ("exchange.new_result", "POST"):            {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 OTHERS: 403},
    ("exchange.result", "GET"): by_object(
        own=                                    {OTHERS: 200},
        hidden=                                 {BUREAU: 200, OTHERS: 404},
        missing=                                {OTHERS: 404}),
    ("exchange.edit_result", "GET"): by_object(
        own=                                    AGENCY_ONLY,
        hidden=                                 {VISITOR: LOGIN, AGENCY_OWNER: 404,
                                                 OTHERS: 403}),
    ("exchange.edit_result", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 OTHERS: 403}),
    ("exchange.result_status", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, AGENCY_OWNER: 302,
                                                 OTHERS: 403},
        missing=                                {VISITOR: LOGIN, AGENCY_OWNER: 404,
                                                 OTHERS: 403}),
    ("exchange.demands", "GET"):                BROWSERS,
    ("exchange.new_demand", "GET"):             FIRMS_ONLY,
    ("exchange.new_demand", "POST"):            {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 OTHERS: 403},
    ("exchange.demand", "GET"): by_object(
        own=                                    BROWSERS,
        other=                                  {VISITOR: LOGIN, BUREAU: 200, EXPERT: 403,
                                                 OTHERS: 404},
        missing=                                {VISITOR: LOGIN, EXPERT: 403, OTHERS: 404}),
    ("exchange.edit_demand", "GET"): by_object(
        own=                                    FIRMS_ONLY,
        other=                                  {VISITOR: LOGIN, FIRM_MEMBERS: 404,
                                                 OTHERS: 403}),
    ("exchange.edit_demand", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 OTHERS: 403}),
    ("exchange.demand_status", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, FIRM_MEMBERS: 302,
                                                 OTHERS: 403},
        other=                                  {VISITOR: LOGIN, FIRM_MEMBERS: 404,
                                                 OTHERS: 403}),
    ("exchange.propose", "POST"): by_object(    # agency_owner is a broker (empty form)
        own=                                    {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 OTHERS: 403},
        other=                                  {VISITOR: LOGIN, AGENCY_OWNER: 404,
                                                 OTHERS: 403}),
    ("exchange.matches", "GET"):                PARTIES_ONLY,
    ("exchange.match", "GET"): by_object(
        proposed=                               PARTIES_ONLY,
        missing=                                MISSING_FOR_PARTIES),
    ("exchange.answer", "POST"): by_object(
        proposed=                               {VISITOR: LOGIN, PARTIES: 302, OTHERS: 403},
        accepted=                               {VISITOR: LOGIN, OTHERS: 403}),
    ("exchange.withdraw", "POST"): by_object(   # the broker is another agency's member
        proposed=                               {VISITOR: LOGIN, OTHERS: 403},
        accepted=                               {VISITOR: LOGIN, OTHERS: 403}),
    ("exchange.post_message", "POST"): by_object(
        proposed=                               {VISITOR: LOGIN, OTHERS: 403},
        accepted=                               {VISITOR: LOGIN, PARTIES: 422, OTHERS: 403}),
    ("exchange.attachment", "GET"): by_object(
        accepted=                               PARTIES_ONLY,
        missing=                                MISSING_FOR_PARTIES),
    ("exchange.register_deal", "POST"): by_object(
        accepted=                               {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 OTHERS: 403},
        proposed=                               {VISITOR: LOGIN, OTHERS: 403}),
    ("exchange.order_deal", "POST"): by_object(
        accepted=                               {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 OTHERS: 403},
        proposed=                               {VISITOR: LOGIN, OTHERS: 403}),
    ("exchange.brokers", "GET"):                {VISITOR: LOGIN, AGENCY_OWNER: 200,
                                                 BUREAU: 200, OTHERS: 403},
    ("exchange.brokers", "POST"):               {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 BUREAU: 422, OTHERS: 403},
    # the JSON API
    ("api.list_results", "GET"):                {OTHERS: 200},
    ("api.create_result", "POST"):              {**NO_TOKEN, AGENCY_OWNER: 201, OTHERS: 403},
    ("api.list_demands", "GET"):                {**NO_TOKEN, EXPERT: 403, OTHERS: 200},
    ("api.create_demand", "POST"):              {**NO_TOKEN, FIRM_MEMBERS: 201, OTHERS: 403},
    ("api.demand_matches", "GET"): by_object(
        own=                                    {**NO_TOKEN, EXPERT: 403, OTHERS: 200},
        other=                                  {**NO_TOKEN, BUREAU: 200, EXPERT: 403,
                                                 OTHERS: 404},
        missing=                                {**NO_TOKEN, EXPERT: 403, OTHERS: 404}),
}


def build(world):
    if "exchange" in world.extra:
        return
    owner = world.users[AGENCY_OWNER]
    profile = make_agency_profile(owner, auditor=world.users[AUDITOR])
    brokerage.set_broker(world.users[ADMIN], owner, True)
    other = make_agency_profile(AgencyMemberFactory(), auditor=world.users[AUDITOR])
    broker = AgencyMemberFactory(organisation=other.organisation, is_owner=False)
    brokerage.set_broker(world.users[ADMIN], broker, True)
    result = make_result(profile)
    demand = make_demand(world.users[FIRM_OWNER])
    second = make_demand(world.users[FIRM_OWNER], title="复合材料构件快速成型替代钢件")
    match = brokerage.propose_match(broker, demand, result, "成果与需求对口")
    accepted = brokerage.propose_match(broker, second, result, "成果与需求对口")
    brokerage.answer_match(accepted, world.users[FIRM_OWNER], True)
    brokerage.answer_match(accepted, owner, True)

    class Upload:
        filename, stream = "说明.pdf", io.BytesIO(PDF_BYTES)
    message = brokerage.post_message(accepted, owner, "附件", Upload())
    world.extra["exchange"] = {
        "result": result, "hidden": make_result(other, publish=False), "demand": demand,
        "second": second, "other_demand": make_demand(world.outsider, publish=False),
        "match": match, "accepted": accepted, "message": message, "broker": broker}
    db.session.commit()


def _get(world, key):
    build(world)
    return world.extra["exchange"][key]


def needs(app, endpoint):
    return endpoint == "api.create_result"     # the agency must be admitted


def _result_id(world, role, variant):
    if variant == "missing":
        return {"result_id": MISSING_ID}
    return {"result_id": _get(world, "result" if variant == "own" else "hidden").id}


def _demand_id(world, role, variant):
    if variant == "missing":
        return {"demand_id": MISSING_ID}
    return {"demand_id": _get(world, "demand" if variant == "own" else "other_demand").id}


def _match_id(world, role, variant):
    if variant == "missing":
        return {"match_id": MISSING_ID}
    return {"match_id": _get(world, "match" if variant == "proposed" else "accepted").id}


def _attachment(world, role, variant):
    accepted = _get(world, "accepted")
    message = _get(world, "message")
    return {"match_id": accepted.id,
            "message_id": MISSING_ID if variant == "missing" else message.id}


URL_VALUES = {
    "exchange.result": _result_id,
    "exchange.edit_result": _result_id,
    "exchange.result_status": _result_id,
    "exchange.demand": _demand_id,
    "exchange.edit_demand": _demand_id,
    "exchange.demand_status": _demand_id,
    "exchange.propose": _demand_id,
    "exchange.match": _match_id,
    "exchange.answer": _match_id,
    "exchange.withdraw": _match_id,
    "exchange.post_message": _match_id,
    "exchange.attachment": _attachment,
    "exchange.register_deal": _match_id,
    "exchange.order_deal": _match_id,
    "api.demand_matches": _demand_id,
}
BODIES = {
    "api.create_result": lambda w, r: {
        "title": "稀土永磁晶界扩散技术", "field_code": "new_materials",
        "summary": "重稀土晶界扩散工艺，钕铁硼永磁体矫顽力显著提升，重稀土用量减少。",
        "ip_type": "invention_patent", "trl": 6, "transfer_modes": ["mode_licence"]},
    "api.create_demand": lambda w, r: {
        "title": "钕铁硼磁体降本", "field_code": "new_materials",
        "description": "电机用钕铁硼永磁体重稀土成本高，希望引进晶界扩散工艺降低镝铽用量。",
        "budget_max_fen": 50_000_000},
}

PREDICATE_MODULES = (exchange_perms,)
BROWSING = {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER, AUDITOR, SUPERVISOR, ADMIN}
FIRM = {FIRM_OWNER, FIRM_MEMBER}
PREDICATE_TABLE = {
    ("can_manage_results", None):                       {AGENCY_OWNER},
    ("can_edit_result", "exchange_result"):             {AGENCY_OWNER},
    ("can_edit_result", "exchange_hidden"):             set(),
    ("can_edit_result", None):                          set(),
    ("can_view_result", "exchange_result"):             set(ROLES),
    ("can_view_result", "exchange_hidden"):             set(BUREAU),
    ("can_view_result", None):                          set(),
    ("can_post_demands", None):                         FIRM,
    ("can_browse_demands", None):                       BROWSING,
    ("can_edit_demand", "exchange_demand"):             FIRM,
    ("can_edit_demand", "exchange_other_demand"):       set(),
    ("can_view_demand", "exchange_demand"):             BROWSING,
    ("can_view_demand", "exchange_other_demand"):       set(BUREAU),
    ("can_view_demand", None):                          set(),
    ("can_see_demand_firm", "exchange_demand"):         FIRM | set(BUREAU),
    ("can_see_demand_firm", "exchange_second"):         BROWSING,   # the firm accepted
    ("can_see_demand_firm", "exchange_other_demand"):   set(BUREAU),
    ("is_broker", "exchange_built"):                    {AGENCY_OWNER},
    ("is_broker", None):                                set(),          # nobody is marked
    ("can_manage_brokers", None):                       {AGENCY_OWNER} | set(BUREAU),
    ("can_mark_broker", "exchange_own_member"):         {AGENCY_OWNER} | set(BUREAU),
    ("can_mark_broker", "exchange_broker"):             set(BUREAU),
    ("can_mark_broker", None):                          set(),
    ("can_propose_match", "exchange_built"):            {AGENCY_OWNER},
    ("can_view_match", "exchange_match"):               set(PARTIES),
    ("can_view_match", None):                           set(),
    ("can_list_matches", None):                         set(PARTIES),
    ("can_answer_match", "exchange_match"):             set(PARTIES),
    ("can_answer_match", "exchange_accepted"):          set(),
    ("can_withdraw_match", "exchange_match"):           set(),     # only its broker
    ("can_withdraw_match", "exchange_accepted"):        set(),
    ("can_post_message", "exchange_match"):             set(),
    ("can_post_message", "exchange_accepted"):          set(PARTIES),
    ("can_register_deal", "exchange_accepted"):         {AGENCY_OWNER},
    ("can_register_deal", "exchange_match"):            set(),
    ("can_order_deal", "exchange_accepted"):            FIRM,
    ("can_order_deal", "exchange_match"):               set(),
}
PREDICATE_OBJECTS = {
    "exchange_built": lambda w, r: None,      # the world with its broker, no object
    "exchange_result": lambda w, r: _get(w, "result"),
    "exchange_hidden": lambda w, r: _get(w, "hidden"),
    "exchange_demand": lambda w, r: _get(w, "demand"),
    "exchange_second": lambda w, r: _get(w, "second"),
    "exchange_other_demand": lambda w, r: _get(w, "other_demand"),
    "exchange_match": lambda w, r: _get(w, "match"),
    "exchange_accepted": lambda w, r: _get(w, "accepted"),
    "exchange_broker": lambda w, r: _get(w, "broker"),
    "exchange_own_member": lambda w, r: w.users[AGENCY_OWNER],
}
