"""Access-matrix rows of the agency registry (see access_rows/__init__.py).

Objects (built into ``world.extra`` under ``registry_*`` keys): the agency of agency_owner
is on public notice (``own``) with a business licence; another agency is on public notice
(``other``) with an objection filed by firm_owner; a third is submitted (its notice page
does not exist). Empty forms are posted, so form pages answer 422.
"""
from marketplace.agencies import permissions as registry_perms
from marketplace.agencies import services
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, make_agency_profile
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR, EXPERT,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_OWNER, LOGIN, MISSING_ID,
                                  NO_TOKEN, OTHERS, REVIEWERS, ROLES, STAFF, SUPERVISOR,
                                  VISITOR, by_object)

AGENCY_ONLY = {VISITOR: LOGIN, AGENCY_OWNER: 200, OTHERS: 403}
REGISTRY_STAFF = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}
MISSING_FOR_STAFF = {VISITOR: LOGIN, REVIEWERS: 404, ADMIN: 404, OTHERS: 403}


def _auditor_only(status):
    return {VISITOR: LOGIN, AUDITOR: status, OTHERS: 403}


EXPECTED = {
    # the agency's own application (the profile on notice cannot be edited; the empty
    # forms are refused with their errors)
    ("registry.application", "GET"):             AGENCY_ONLY,
    ("registry.application", "POST"):            {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                  OTHERS: 403},
    ("registry.upload_document", "POST"):        {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                  OTHERS: 403},
    # the only licence of an application on notice cannot be withdrawn: flash + redirect
    ("registry.withdraw_document", "POST"): by_object(
        own=                                     {VISITOR: LOGIN, AGENCY_OWNER: 302,
                                                  OTHERS: 403},
        other=                                   {VISITOR: LOGIN, AGENCY_OWNER: 404,
                                                  OTHERS: 403},
        missing=                                 {VISITOR: LOGIN, AGENCY_OWNER: 404,
                                                  OTHERS: 403}),
    ("registry.download_document", "GET"): by_object(
        own=                                     {VISITOR: LOGIN, AGENCY_OWNER: 200,
                                                  REVIEWERS: 200, ADMIN: 200, OTHERS: 404},
        other=                                   {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200,
                                                  OTHERS: 404},
        missing=                                 {VISITOR: LOGIN, OTHERS: 404}),
    # unconfirmed submission / nothing to reopen: flash + redirect
    ("registry.submit_application", "POST"):     {VISITOR: LOGIN, AGENCY_OWNER: 302,
                                                  OTHERS: 403},
    ("registry.reopen_application", "POST"):     {VISITOR: LOGIN, AGENCY_OWNER: 302,
                                                  OTHERS: 403},
    # public notices
    ("registry.notices", "GET"):                 {OTHERS: 200},
    ("registry.notice", "GET"): by_object(
        own=                                     {OTHERS: 200},
        other=                                   {OTHERS: 200},
        submitted=                               {OTHERS: 404},
        missing=                                 {OTHERS: 404}),
    ("registry.file_objection", "POST"): by_object(
        own=                                     {VISITOR: LOGIN, AGENCY_OWNER: 403,
                                                  OTHERS: 422},
        other=                                   {VISITOR: LOGIN, OTHERS: 422},
        submitted=                               {VISITOR: LOGIN, OTHERS: 404},
        missing=                                 {VISITOR: LOGIN, OTHERS: 404}),
    # the bureau
    ("registry_review.queue", "GET"):            REGISTRY_STAFF,
    ("registry_review.agencies", "GET"):         REGISTRY_STAFF,
    ("registry_review.review", "GET"): by_object(
        own=                                     REGISTRY_STAFF,
        submitted=                               REGISTRY_STAFF,
        missing=                                 MISSING_FOR_STAFF),
    ("registry_review.decide", "POST"): by_object(
        submitted=                               _auditor_only(422),
        missing=                                 _auditor_only(404)),
    # the notice is still running: flash + redirect
    ("registry_review.conclude", "POST"): by_object(
        other=                                   _auditor_only(302),
        missing=                                 _auditor_only(404)),
    ("registry_review.change_status", "POST"): by_object(
        other=                                   _auditor_only(422),
        missing=                                 _auditor_only(404)),
    ("registry_review.resolve", "POST"): by_object(
        other=                                   _auditor_only(422),
        missing=                                 _auditor_only(404)),
}


def _agency_id(world, role, variant):
    if variant == "missing":
        return {"agency_id": MISSING_ID}
    return {"agency_id": world.extra[f"registry_{variant}"].organisation_id}


def _document_id(world, role, variant):
    if variant == "missing":
        return {"document_id": MISSING_ID}
    return {"document_id": world.extra[f"registry_{variant}"].documents[0].id}


URL_VALUES = {
    "registry.withdraw_document": _document_id,
    "registry.download_document": _document_id,
    "registry.notice": _agency_id,
    "registry.file_objection": _agency_id,
    "registry_review.review": _agency_id,
    "registry_review.decide": _agency_id,
    "registry_review.conclude": _agency_id,
    "registry_review.change_status": _agency_id,
    "registry_review.resolve": lambda w, r, v: {
        "objection_id": MISSING_ID if v == "missing" else w.extra["registry_objection"].id},
}
BODIES = {}


def needs(app, endpoint):
    return endpoint.startswith(("registry.", "registry_review."))


def build(world):
    if "registry_own" in world.extra:
        return
    from marketplace.core import outbox

    auditor = world.users[AUDITOR]
    world.extra["registry_own"] = make_agency_profile(world.users[AGENCY_OWNER],
                                                      status="public_notice", auditor=auditor)
    other = make_agency_profile(status="public_notice", auditor=auditor)
    world.extra["registry_other"] = other
    world.extra["registry_submitted"] = make_agency_profile(status="submitted",
                                                            auditor=auditor)
    world.extra["registry_objection"] = services.file_objection(
        other, world.users[FIRM_OWNER], "This agency's laboratory is not accredited.")
    db.session.commit()
    # the notifications these steps queue are not what is tested here (see add_vouchers)
    outbox._committed_ids.set(None)


def _lazy(status):
    """An agency of nobody in the table, driven to ``status`` when first asked for."""
    key = f"registry_{status}"

    def get(world, role):
        if key not in world.extra:
            world.extra[key] = make_agency_profile(AgencyMemberFactory(), status=status,
                                                   auditor=world.users[AUDITOR])
            db.session.commit()
        return world.extra[key]
    return get


PREDICATE_MODULES = (registry_perms,)
SIGNED_IN_ROLES = set(ROLES) - {VISITOR}
REGISTRY_REVIEWERS = {AUDITOR, SUPERVISOR, ADMIN}
PREDICATE_TABLE = {
    ("can_apply_for_admission", None):                      {AGENCY_OWNER},
    ("can_view_agency_private", "registry_own"):            {AGENCY_OWNER} | REGISTRY_REVIEWERS,
    ("can_view_agency_private", "registry_other"):          REGISTRY_REVIEWERS,
    ("can_view_agency_private", None):                      set(),
    ("can_view_registry_queue", None):                      REGISTRY_REVIEWERS,
    ("can_review_agencies", None):                          {AUDITOR},
    ("can_view_agency_page", "registry_admitted"):          set(ROLES),
    ("can_view_agency_page", "registry_suspended"):         REGISTRY_REVIEWERS,
    ("can_view_agency_page", "registry_removed"):           REGISTRY_REVIEWERS,
    ("can_view_agency_page", "registry_own"):               {AGENCY_OWNER} | REGISTRY_REVIEWERS,
    ("can_view_agency_page", None):                         set(),
    ("can_view_public_notice", "registry_other"):           set(ROLES),
    ("can_view_public_notice", "registry_submitted"):       set(),
    ("can_view_public_notice", "registry_admitted"):        set(),
    ("can_file_objection", "registry_other"):               SIGNED_IN_ROLES,
    ("can_file_objection", "registry_own"):                 SIGNED_IN_ROLES - {AGENCY_OWNER},
    ("can_file_objection", "registry_admitted"):            set(),
}
PREDICATE_OBJECTS = {
    "registry_own": lambda w, r: w.extra["registry_own"],
    "registry_other": lambda w, r: w.extra["registry_other"],
    "registry_submitted": lambda w, r: w.extra["registry_submitted"],
    "registry_admitted": _lazy("admitted"),
    "registry_suspended": _lazy("suspended"),
    "registry_removed": _lazy("removed"),
}
