"""Access-matrix rows of the technology-contract registry, its imports and the turnover
targets (see access_rows/__init__.py).

Objects, built into ``world.extra`` under ``turnover_*`` keys: ``own`` is a confirmed
registration whose buyer is the world's firm and whose seller is the world's agency (so
firm_owner, firm_member and agency_owner are parties); ``other`` is the other firm's;
``pending`` is a contract the other firm's owner registered by hand (waiting for an
auditor); ``auditor_pending`` an amendment of ``own`` the world's auditor registered
(four eyes: nobody of the world may decide it); ``batch`` an import batch.

Empty forms are posted: those who pass the access rule get 422 (or 404 for a registration
they may not see)."""
from datetime import date

from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover import permissions as perms
from marketplace.turnover.models import RegistrationImportBatch, RegistrationSource
from marketplace.turnover.registry import registration, review
from tests.support.access import (ADMIN, AGENCY_OWNER, AUDITOR, EXPERT, FIRM_MEMBER,  # noqa
                                  FIRM_OWNER, LOGIN, MEMBERS, MISSING_ID, NO_TOKEN, OTHERS,
                                  REVIEWERS, SUPERVISOR, VISITOR, ADMIN_ONLY, by_object)

PARTIES = {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER}
BUREAU = {AUDITOR, SUPERVISOR, ADMIN}
LISTERS = {VISITOR: LOGIN, MEMBERS: 200, REVIEWERS: 200, ADMIN: 200, EXPERT: 403}
IMPORTERS = {VISITOR: LOGIN, AUDITOR: 200, ADMIN: 200, OTHERS: 403}

EXPECTED = {
    ("contract_registry.registry", "GET"):          LISTERS,
    ("contract_registry.contract", "GET"): by_object(
        own=                                        LISTERS,
        other=                                      {VISITOR: LOGIN, REVIEWERS: 200,
                                                     ADMIN: 200, EXPERT: 403, OTHERS: 404},
        missing=                                    {VISITOR: LOGIN, EXPERT: 403,
                                                     OTHERS: 404}),
    ("contract_registry.register", "GET"):          {VISITOR: LOGIN, MEMBERS: 200,
                                                     OTHERS: 403},
    ("contract_registry.register", "POST"):         {VISITOR: LOGIN, MEMBERS: 422,
                                                     OTHERS: 403},
    ("contract_registry.adjust", "POST"): by_object(
        own=                                        {VISITOR: LOGIN, MEMBERS: 422,
                                                     REVIEWERS: 422, OTHERS: 403},
        other=                                      {VISITOR: LOGIN, MEMBERS: 404,
                                                     REVIEWERS: 422, OTHERS: 403},
        missing=                                    {VISITOR: LOGIN, MEMBERS: 404,
                                                     REVIEWERS: 404, OTHERS: 403}),
    ("contract_registry.decide", "POST"): by_object(
        pending=                                    {VISITOR: LOGIN, AUDITOR: 422,
                                                     OTHERS: 403},
        missing=                                    {VISITOR: LOGIN, AUDITOR: 404,
                                                     OTHERS: 403}),
    ("registration_imports.import_page", "GET"):    IMPORTERS,
    ("registration_imports.import_page", "POST"):   {VISITOR: LOGIN, AUDITOR: 422,
                                                     ADMIN: 422, OTHERS: 403},
    ("registration_imports.template", "GET"):       IMPORTERS,
    ("registration_imports.batch", "GET"): by_object(
        existing=                                   IMPORTERS,
        missing=                                    {VISITOR: LOGIN, AUDITOR: 404,
                                                     ADMIN: 404, OTHERS: 403}),
    ("registration_imports.batch_status", "GET"): by_object(
        existing=                                   IMPORTERS,
        missing=                                    {VISITOR: LOGIN, AUDITOR: 404,
                                                     ADMIN: 404, OTHERS: 403}),
    ("turnover_targets.targets_page", "GET"):       ADMIN_ONLY,
    ("turnover_targets.targets_page", "POST"):      {VISITOR: LOGIN, ADMIN: 422,
                                                     OTHERS: 403},
    # the JSON API
    ("api.list_contracts", "GET"):                  {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200,
                                                     OTHERS: 403},
    ("api.register_contract", "POST"):              {**NO_TOKEN, MEMBERS: 201,
                                                     OTHERS: 403},
}


def _quiet():
    db.session.commit()
    # the notifications these steps queue are not what is tested here
    outbox._committed_ids.set(None)


def _original(number, buyer, seller, district_id):
    return registration.register_original(
        contract_number=number, contract_type=ContractType.DEVELOPMENT,
        contract_amount_fen=300_000_00, technical_amount_fen=200_000_00,
        buyer_name=buyer.name, buyer_org_id=buyer.id, seller_name=seller.name if seller
        else "外地某研究院", seller_org_id=seller.id if seller else None,
        seller_district_id=district_id, seller_in_city=True, field_code="new_materials",
        signed_on=date.today(), source=RegistrationSource.IMPORT)


def build(world):
    if "turnover_own" in world.extra:
        return
    district_id = world.district.id
    own = _original("AR-OWN-1", world.firm, world.agency, district_id)
    other = _original("AR-OTHER-1", world.other_firm, None, district_id)
    pending = review.register_by_hand(
        world.outsider, party="buyer", counterparty="某大学", contract_number="AR-PEND-1",
        contract_type=ContractType.CONSULTING, contract_amount_fen=50_000_00,
        technical_amount_fen=50_000_00, seller_district_id=district_id,
        seller_in_city=True, field_code="agriculture", signed_on=date.today())
    auditor_pending = review.register_adjustment_by_hand(
        world.users[AUDITOR], own, kind="amendment", contract_amount_fen=320_000_00,
        technical_amount_fen=210_000_00, note="补充协议")
    batch = RegistrationImportBatch(filename="a.csv", sha256="0" * 64,
                                    imported_by_id=world.users[AUDITOR].id)
    db.session.add(batch)
    world.extra.update(turnover_own=own, turnover_other=other, turnover_pending=pending,
                       turnover_auditor_pending=auditor_pending, turnover_batch=batch)
    _quiet()


def needs(app, endpoint):
    return endpoint.startswith(("contract_registry.", "registration_imports."))


def _registration_id(world, role, variant):
    if variant == "missing":
        return {"registration_id": MISSING_ID}
    return {"registration_id": world.extra[f"turnover_{variant}"].id}


def _batch_id(world, role, variant):
    return {"batch_id": MISSING_ID if variant == "missing"
            else world.extra["turnover_batch"].id}


URL_VALUES = {
    "contract_registry.contract": _registration_id,
    "contract_registry.adjust": _registration_id,
    "contract_registry.decide": _registration_id,
    "registration_imports.batch": _batch_id,
    "registration_imports.batch_status": _batch_id,
}


def _contract_body(world, role):
    return {"party": "seller", "contract_number": f"AR-API-{role}", "contract_type": "技术服务",
            "contract_amount_fen": 80_000_00, "technical_amount_fen": 60_000_00,
            "buyer": "江西某企业有限公司", "seller_district": world.district.name_zh,
            "field": "电子信息", "signed_on": date.today().isoformat()}


BODIES = {"api.register_contract": _contract_body}

PREDICATE_MODULES = (perms,)
PREDICATE_TABLE = {
    ("is_bureau", None):                                BUREAU,
    ("is_party_to_registration", "turnover_own"):       PARTIES,
    ("is_party_to_registration", "turnover_other"):     set(),
    ("is_party_to_registration", None):                 set(),
    ("can_list_registrations", None):                   PARTIES | BUREAU,
    ("can_view_registration", "turnover_own"):          PARTIES | BUREAU,
    ("can_view_registration", "turnover_other"):        BUREAU,
    ("can_view_registration", None):                    set(),
    ("can_register_contracts", None):                   PARTIES,
    ("can_adjust_registration", None):                  PARTIES | {AUDITOR, SUPERVISOR},
    ("can_adjust_registration", "turnover_own"):        PARTIES | {AUDITOR, SUPERVISOR},
    ("can_adjust_registration", "turnover_other"):      {AUDITOR, SUPERVISOR},
    ("can_decide_registrations", None):                 {AUDITOR},
    ("can_decide_registration", None):                  {AUDITOR},
    ("can_decide_registration", "turnover_pending"):    {AUDITOR},
    ("can_decide_registration", "turnover_auditor_pending"): set(),   # four eyes
    ("can_import_registrations", None):                 {AUDITOR, ADMIN},
    ("can_manage_targets", None):                       {ADMIN},
}
PREDICATE_OBJECTS = {
    name: (lambda key: lambda world, role: world.extra[key])(name)
    for name in ("turnover_own", "turnover_other", "turnover_pending",
                 "turnover_auditor_pending")
}
