"""Access-matrix rows of the catalogue (see access_rows/__init__.py).

Objects (built into ``world.extra`` under ``catalogue_*`` keys): the agency of
agency_owner is admitted with a published offering (``own``) and a withdrawn one
(``own_withdrawn``); another admitted agency has a published offering (``other``); a
suspended agency has an offering hidden with it (``hidden``). Empty forms are posted, so
form pages answer 422.

The catalogue is public: its pages and its three GET operations of the API answer
visitors (no token needed); a token, when sent, shows hidden items to those the pages
show them to. Only agency members write offerings, only auditors moderate, only the admin
keeps the category tree.
"""
from marketplace.agencies import services as registry
from marketplace.catalogue import permissions as catalogue_perms
from marketplace.catalogue import services
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, make_agency_profile, make_offering
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR, EXPERT,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_OWNER, LOGIN, MISSING_ID,
                                  NO_TOKEN, OTHERS, REVIEWERS, ROLES, STAFF, SUPERVISOR,
                                  VISITOR, by_object)

PUBLIC = {OTHERS: 200}
NOT_FOUND = {OTHERS: 404}
# hidden from the public: its agency and the bureau's reviewers and admin see it
FOR_ITS_AGENCY_AND_BUREAU = {AGENCY_OWNER: 200, REVIEWERS: 200, ADMIN: 200, OTHERS: 404}
FOR_THE_BUREAU = {REVIEWERS: 200, ADMIN: 200, OTHERS: 404}
AGENCY_ONLY = {VISITOR: LOGIN, AGENCY_OWNER: 200, OTHERS: 403}
AUDITOR_ONLY = {VISITOR: LOGIN, AUDITOR: 200, OTHERS: 403}


def _agency_object(own, other, missing):
    return by_object(own=own, other=other, missing=missing)


def _auditor(status):
    return {VISITOR: LOGIN, AUDITOR: status, OTHERS: 403}


def _agency_member(status):
    return {VISITOR: LOGIN, AGENCY_OWNER: status, OTHERS: 403}


EXPECTED = {
    # public pages
    ("catalogue.search", "GET"):                 PUBLIC,
    ("catalogue.agency", "GET"): by_object(
        own=                                     PUBLIC,          # admitted: public
        other=                                   PUBLIC,
        suspended=                               FOR_THE_BUREAU,
        missing=                                 NOT_FOUND),
    ("catalogue.offering", "GET"): by_object(
        own=                                     PUBLIC,
        other=                                   PUBLIC,
        own_withdrawn=                           FOR_ITS_AGENCY_AND_BUREAU,
        hidden=                                  FOR_THE_BUREAU,  # its agency is suspended
        missing=                                 NOT_FOUND),
    # the agency's own offerings
    ("catalogue.my_offerings", "GET"):           AGENCY_ONLY,
    ("catalogue.new_offering", "GET"):           AGENCY_ONLY,
    ("catalogue.new_offering", "POST"):          _agency_member(422),
    ("catalogue.edit_offering", "GET"): _agency_object(
        own=AGENCY_ONLY, other=_agency_member(404), missing=_agency_member(404)),
    ("catalogue.edit_offering", "POST"): _agency_object(
        own=_agency_member(422), other=_agency_member(404), missing=_agency_member(404)),
    ("catalogue.withdraw_offering", "POST"): _agency_object(
        own=_agency_member(302), other=_agency_member(404), missing=_agency_member(404)),
    # "own" is the withdrawn offering here, published again
    ("catalogue.publish_offering", "POST"): _agency_object(
        own=_agency_member(302), other=_agency_member(404), missing=_agency_member(404)),
    # moderation
    ("catalogue.moderation_queue", "GET"):       AUDITOR_ONLY,
    ("catalogue.check_offering", "POST"): by_object(
        other=                                   _auditor(302),
        missing=                                 _auditor(404)),
    ("catalogue.take_down_offering", "POST"): by_object(   # no reason: the form again
        other=                                   _auditor(422),
        missing=                                 _auditor(404)),
    # the admin's category tree
    ("category_admin.categories_list", "GET"):   ADMIN_ONLY,
    ("category_admin.edit_category", "GET"): by_object(
        new=                                     ADMIN_ONLY,
        existing=                                ADMIN_ONLY,
        missing=                                 {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    ("category_admin.edit_category", "POST"): by_object(
        new=                                     {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
        existing=                                {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
        missing=                                 {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    # the API: public reads (a visitor sends no token), agency members write
    ("api.list_offerings", "GET"):               PUBLIC,
    ("api.get_offering", "GET"): by_object(
        own=                                     PUBLIC,
        own_withdrawn=                           FOR_ITS_AGENCY_AND_BUREAU,
        hidden=                                  FOR_THE_BUREAU,
        missing=                                 NOT_FOUND),
    ("api.get_agency", "GET"): by_object(
        other=                                   PUBLIC,
        suspended=                               FOR_THE_BUREAU,
        missing=                                 NOT_FOUND),
    ("api.create_offering", "POST"):             {**NO_TOKEN, AGENCY_OWNER: 201,
                                                  OTHERS: 403},
    ("api.update_offering", "PATCH"): by_object(
        own=                                     {**NO_TOKEN, AGENCY_OWNER: 200,
                                                  OTHERS: 403},
        other=                                   {**NO_TOKEN, AGENCY_OWNER: 404,
                                                  OTHERS: 403},
        missing=                                 {**NO_TOKEN, AGENCY_OWNER: 404,
                                                  OTHERS: 403}),
}


def _offering_id(world, role, variant):
    if variant == "missing":
        return {"offering_id": MISSING_ID}
    return {"offering_id": world.extra[f"catalogue_{variant}"].id}


def _agency_id(world, role, variant):
    if variant == "missing":
        return {"agency_id": MISSING_ID}
    key = {"own": "catalogue_own", "other": "catalogue_other",
           "suspended": "catalogue_hidden"}[variant]
    return {"agency_id": world.extra[key].agency_id}


def _category_id(world, role, variant):
    if variant == "new":
        return {}
    if variant == "missing":
        return {"category_id": MISSING_ID}
    return {"category_id": world.extra["catalogue_own"].category_id}


URL_VALUES = {
    "catalogue.agency": _agency_id,
    "catalogue.offering": _offering_id,
    "catalogue.edit_offering": _offering_id,
    "catalogue.withdraw_offering": _offering_id,
    "catalogue.publish_offering": lambda w, r, v: _offering_id(
        w, r, "own_withdrawn" if v == "own" else v),
    "catalogue.check_offering": _offering_id,
    "catalogue.take_down_offering": _offering_id,
    "category_admin.edit_category": _category_id,
    "api.get_offering": _offering_id,
    "api.get_agency": _agency_id,
    "api.update_offering": _offering_id,
}
BODIES = {
    "api.create_offering": lambda world, role: {
        "title": "金属材料力学性能检测", "category": "testing",
        "description": "拉伸、冲击、硬度等力学性能检测，依据GB/T 228。",
        "deliverables": "CMA检测报告", "price_model": "fixed", "price_fen": 12_000_00,
        "typical_duration_days": 7},
    "api.update_offering": lambda world, role: {"title": "材料检测服务（修订）"},
}
API_ENDPOINTS = {"api.list_offerings", "api.get_offering", "api.get_agency",
                 "api.create_offering", "api.update_offering"}


def needs(app, endpoint):
    return endpoint.startswith(("catalogue.", "category_admin.")) or \
        endpoint in API_ENDPOINTS


def build(world):
    if "catalogue_own" in world.extra:
        return
    from marketplace.core import outbox

    auditor = world.users[AUDITOR]
    owner = world.users[AGENCY_OWNER]
    own = make_agency_profile(owner, auditor=auditor)
    world.extra["catalogue_own"] = make_offering(own, actor=owner, title="材料检测服务")
    withdrawn = make_offering(own, actor=owner, title="工业设计", category_code="rnd_design")
    world.extra["catalogue_own_withdrawn"] = services.withdraw_offering(withdrawn, owner)
    other = make_agency_profile(AgencyMemberFactory(), auditor=auditor)
    world.extra["catalogue_other"] = make_offering(other, title="知识产权代理",
                                                   category_code="ip")
    suspended = make_agency_profile(AgencyMemberFactory(), auditor=auditor)
    world.extra["catalogue_hidden"] = make_offering(suspended, title="检测认证咨询")
    registry.suspend(suspended, auditor, "资质核查")
    db.session.commit()
    # the notifications these steps queue are not what is tested here (see add_vouchers)
    outbox._committed_ids.set(None)


# --- predicates -------------------------------------------------------------------------

PREDICATE_MODULES = (catalogue_perms,)
EVERYONE = set(ROLES)
BUREAU = {AUDITOR, SUPERVISOR, ADMIN}
PREDICATE_TABLE = {
    ("can_manage_offerings", None):                         {AGENCY_OWNER},
    ("can_edit_offering", "catalogue_own_offering"):        {AGENCY_OWNER},
    ("can_edit_offering", "catalogue_own_withdrawn_offering"): {AGENCY_OWNER},
    ("can_edit_offering", "catalogue_other_offering"):      set(),
    ("can_edit_offering", None):                            set(),
    ("can_view_offering", "catalogue_own_offering"):        EVERYONE,
    ("can_view_offering", "catalogue_other_offering"):      EVERYONE,
    ("can_view_offering", "catalogue_own_withdrawn_offering"): {AGENCY_OWNER} | BUREAU,
    ("can_view_offering", "catalogue_hidden_offering"):     BUREAU,
    ("can_view_offering", None):                            set(),
    ("can_moderate_offerings", None):                       {AUDITOR},
    ("can_manage_categories", None):                        {ADMIN},
}


def _offering(key):
    return lambda world, role: world.extra[key]


PREDICATE_OBJECTS = {
    "catalogue_own_offering": _offering("catalogue_own"),
    "catalogue_own_withdrawn_offering": _offering("catalogue_own_withdrawn"),
    "catalogue_other_offering": _offering("catalogue_other"),
    "catalogue_hidden_offering": _offering("catalogue_hidden"),
}
