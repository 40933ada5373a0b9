"""Access-matrix rows of the regulated facts and the bureau's lists (see
access_rows/__init__.py).

Objects, built into ``world.extra`` under ``identity_*`` keys: ``own`` is a pending change
request of the world's firm (asked by firm_owner), ``other`` one of the other firm, and
``entry`` an entry of the integrity list. Empty forms are posted: those who pass the
access rule get 422 (or 404 for a request they may not see); the API's decision is a
valid rejection, which only an auditor may make."""
from datetime import date

from marketplace.accounts import change_requests, versions
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.integrity import barred
from marketplace.integrity import permissions as integrity_perms
from tests.support.access import (ADMIN, AGENCY_OWNER, AUDITOR, EXPERT, FIRM_MEMBER,  # noqa
                                  FIRM_MEMBERS, FIRM_OWNER, LOGIN, MEMBERS, MISSING_ID,
                                  NO_TOKEN, OTHERS, OWNERS, REVIEWERS, ROLES, SUPERVISOR,
                                  VISITOR, by_object)

BUREAU = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}
BUREAU_MISSING = {VISITOR: LOGIN, REVIEWERS: 404, ADMIN: 404, OTHERS: 403}
AUDITOR_ONLY = {VISITOR: LOGIN, AUDITOR: 200, OTHERS: 403}
IMPORTERS = {VISITOR: LOGIN, AUDITOR: 200, ADMIN: 200, OTHERS: 403}
API_BUREAU = {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}

EXPECTED = {
    ("identity.new_change", "GET"):           {VISITOR: LOGIN, OWNERS: 200, OTHERS: 403},
    ("identity.new_change", "POST"):          {VISITOR: LOGIN, OWNERS: 422, OTHERS: 403},
    ("identity.change", "GET"): by_object(
        own=                                  {VISITOR: LOGIN, FIRM_MEMBERS: 200,
                                               AGENCY_OWNER: 404, REVIEWERS: 200, ADMIN: 200,
                                               EXPERT: 403},
        other=                                {VISITOR: LOGIN, MEMBERS: 404, REVIEWERS: 200,
                                               ADMIN: 200, EXPERT: 403},
        missing=                              {VISITOR: LOGIN, MEMBERS: 404, REVIEWERS: 404,
                                               ADMIN: 404, EXPERT: 403}),
    # the firm's members withdraw their own (a second try is told so): flash + redirect
    ("identity.withdraw_change", "POST"): by_object(
        own=                                  {VISITOR: LOGIN, FIRM_MEMBERS: 302,
                                               AGENCY_OWNER: 404, OTHERS: 403},
        other=                                {VISITOR: LOGIN, MEMBERS: 404, OTHERS: 403},
        missing=                              {VISITOR: LOGIN, MEMBERS: 404, OTHERS: 403}),
    ("identity.queue", "GET"):                BUREAU,
    ("identity.review", "GET"): by_object(
        own=                                  BUREAU,
        missing=                              BUREAU_MISSING),
    # only the auditor decides (the empty form is refused)
    ("identity.review", "POST"): by_object(
        other=                                {VISITOR: LOGIN, AUDITOR: 422, OTHERS: 403},
        missing=                              BUREAU_MISSING),
    ("identity.organisation_history", "GET"): by_object(
        firm=                                 BUREAU,
        missing=                              BUREAU_MISSING),
    ("integrity.entries", "GET"):             BUREAU,
    ("integrity.certifications", "GET"):      BUREAU,
    ("integrity.new_entry", "GET"):           AUDITOR_ONLY,
    ("integrity.new_entry", "POST"):          {VISITOR: LOGIN, AUDITOR: 422, OTHERS: 403},
    # no reason given: the list again with the reason asked for, the listing stays
    ("integrity.lift", "POST"): by_object(
        existing=                             {VISITOR: LOGIN, AUDITOR: 422, OTHERS: 403},
        missing=                              {VISITOR: LOGIN, AUDITOR: 404, OTHERS: 403}),
    ("integrity.import_page", "GET"):         IMPORTERS,
    ("integrity.import_page", "POST"):        {VISITOR: LOGIN, AUDITOR: 422, ADMIN: 422,
                                               OTHERS: 403},
    ("integrity.template", "GET"): by_object(
        existing=                             IMPORTERS,
        missing=                              {VISITOR: LOGIN, AUDITOR: 404, ADMIN: 404,
                                               OTHERS: 403}),
    ("api.own_organisation", "GET"):          {**NO_TOKEN, MEMBERS: 200, OTHERS: 403},
    ("api.get_organisation", "GET"): by_object(
        firm=                                 API_BUREAU,
        missing=                              {**NO_TOKEN, REVIEWERS: 404, ADMIN: 404,
                                               OTHERS: 403}),
    ("api.create_change_request", "POST"):    {**NO_TOKEN, OWNERS: 422, OTHERS: 403},
    ("api.list_change_requests", "GET"):      {**NO_TOKEN, MEMBERS: 200, REVIEWERS: 200,
                                               ADMIN: 200, EXPERT: 403},
    ("api.get_change_request", "GET"): by_object(
        own=                                  {**NO_TOKEN, FIRM_MEMBERS: 200,
                                               AGENCY_OWNER: 404, REVIEWERS: 200, ADMIN: 200,
                                               EXPERT: 403},
        missing=                              {**NO_TOKEN, MEMBERS: 404, REVIEWERS: 404,
                                               ADMIN: 404, EXPERT: 403}),
    ("api.decide_change_request", "POST"): by_object(
        other=                                {**NO_TOKEN, AUDITOR: 200, OTHERS: 403},
        missing=                              {**NO_TOKEN, AUDITOR: 404, OTHERS: 403}),
    ("api.list_integrity_entries", "GET"):    API_BUREAU,
    ("api.create_integrity_entry", "POST"):   {**NO_TOKEN, AUDITOR: 422, OTHERS: 403},
}


def _request_of(member, phone):
    organisation = member.organisation
    proposal = versions.proposal_of(versions.current_version(organisation))
    proposal["facts"]["contact_phone"] = phone
    return change_requests.submit(organisation, member, facts=proposal["facts"],
                                  people=proposal["people"], reason="换了新的联系电话")


def build(world):
    if "identity_own" in world.extra:
        return
    world.extra["identity_own"] = _request_of(world.users[FIRM_OWNER], "0791-86660001")
    world.extra["identity_other"] = _request_of(world.outsider, "0791-86660002")
    world.extra["identity_entry"] = barred.add_entry(
        world.users[AUDITOR], subject="organisation", name="南昌失信科技有限公司",
        uscc=_listed_code(), reason="虚报冒领财政补助资金", source="信用中国（江西）",
        listed_from=date(2025, 1, 1))
    db.session.commit()
    outbox._committed_ids.set(None)


def _listed_code():
    from marketplace.accounts import uscc

    return uscc.make("91360100MA35LKTDW")


def needs(app, endpoint):
    return endpoint.startswith(("identity.", "integrity.")) or endpoint in {
        "api.get_change_request", "api.decide_change_request"}


def _request_id(world, role, variant):
    if variant == "missing":
        return {"request_id": MISSING_ID}
    return {"request_id": world.extra[f"identity_{variant}"].id}


URL_VALUES = {
    "identity.change": _request_id,
    "identity.withdraw_change": _request_id,
    "identity.review": _request_id,
    "identity.organisation_history": lambda w, r, v: {
        "organisation_id": MISSING_ID if v == "missing" else w.firm.id},
    "integrity.lift": lambda w, r, v: {
        "entry_id": MISSING_ID if v == "missing" else w.extra["identity_entry"].id},
    "integrity.template": lambda w, r, v: {"kind": "nothing" if v == "missing" else "people"},
    "api.get_organisation": lambda w, r, v: {
        "organisation_id": MISSING_ID if v == "missing" else w.firm.id},
    "api.get_change_request": _request_id,
    "api.decide_change_request": _request_id,
}
BODIES = {
    "api.decide_change_request": lambda world, role: {
        "decision": "reject", "comment": "请提供新号码的证明材料。"},
}
PREDICATE_MODULES = (integrity_perms,)
PREDICATE_TABLE = {
    ("can_request_identity_change", "firm"):          {FIRM_OWNER},
    ("can_request_identity_change", "agency"):        {AGENCY_OWNER},
    ("can_request_identity_change", "other_firm"):    set(),
    ("can_view_change_request", "identity_own"):      {FIRM_OWNER, FIRM_MEMBER, AUDITOR,
                                                       SUPERVISOR, ADMIN},
    ("can_view_change_request", "identity_other"):    {AUDITOR, SUPERVISOR, ADMIN},
    ("can_view_change_request", None):                set(),
    ("can_withdraw_change_request", "identity_own"):  {FIRM_OWNER, FIRM_MEMBER},
    ("can_withdraw_change_request", "identity_other"): set(),
    ("can_review_identity_changes", None):            {AUDITOR, SUPERVISOR, ADMIN},
    ("can_decide_identity_change", None):             {AUDITOR},
    ("can_view_integrity_list", None):                {AUDITOR, SUPERVISOR, ADMIN},
    ("can_manage_integrity_list", None):              {AUDITOR},
    ("can_import_identity_lists", None):              {AUDITOR, ADMIN},
}
PREDICATE_OBJECTS = {
    "identity_own": lambda world, role: world.extra["identity_own"],
    "identity_other": lambda world, role: world.extra["identity_other"],
}
