"""The API's edge (issue 18, item 8; found items 6 and 7).

- Numbers and flags in request bodies are strict: every integer and boolean field of
  every operation, found by walking the operations' body schemas (so a field added later
  is tested too), refuses text, floats and booleans for integers ("100000", 1.0, 1.5,
  true) and text or numbers for booleans with 422 naming the field; the document types
  them integer/boolean.
- An id in a body that names nothing, and one that names another organisation's object,
  get the same 404 with the same body, for every body id of every operation.
"""
import importlib
import itertools
import pkgutil
import re

import pytest

from marketplace import funds
from marketplace.accounts.models import Role
from marketplace.accounts.services import issue_api_token
from marketplace.api.spec import openapi_path
from marketplace.catalogue import services as catalogue
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Voucher
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_offering, make_programme,
                             make_quoted_order, make_voucher)
from tests.integration.claims.builders import approved_claim
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import bearer


def _operations():
    import marketplace.api as package
    from marketplace.api.spec import OPERATIONS

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"marketplace.api.{module.name}")
    return list(OPERATIONS)


def _typed_fields(schema, defs, path=()):
    """(path, type) of every integer and boolean in a body schema, nested models and
    list items included (a list item's path ends in 0)."""
    if "$ref" in schema:
        return _typed_fields(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, path)
    found = []
    for variant in schema.get("anyOf", []) + schema.get("allOf", []):
        found += _typed_fields(variant, defs, path)
    kind = schema.get("type")
    if kind in ("integer", "boolean"):
        found.append((path, kind))
    elif kind == "array":
        found += _typed_fields(schema["items"], defs, path + (0,))
    elif kind == "object":
        for name, prop in schema.get("properties", {}).items():
            found += _typed_fields(prop, defs, path + (name,))
    return found


def _body_fields():
    for op in _operations():
        if op.body is None:
            continue
        schema = op.body.model_json_schema()
        for path, kind in _typed_fields(schema, schema.get("$defs", {})):
            yield op, path, kind


BODY_FIELDS = list(_body_fields())
WRONG = {"integer": ["7", "100000", 1.0, 1.5, True, False],
         "boolean": ["true", "false", 1, 0, "yes"]}


def _placed(path, value):
    """A body holding ``value`` at ``path`` (and nothing else: the other fields' errors
    are beside the point)."""
    for step in reversed(path):
        value = [value] if step == 0 else {step: value}
    return value


def _concrete(path):
    return "/".join(str(part) for part in path)


def _users():
    agency = AgencyMemberFactory()
    make_agency_profile(agency)
    people = [FirmMemberFactory(), agency] + [UserFactory(role=Role(role)) for role in (
        "auditor", "supervisor", "expert", "admin")]
    db.session.commit()
    return people


_keys = itertools.count(1)


def _headers(user):
    _token, plaintext = issue_api_token(user, "edge")
    db.session.commit()
    return {**bearer(plaintext), "Idempotency-Key": f"edge-{next(_keys)}"}


def test_the_walk_finds_the_numbers_and_flags_of_the_bodies():
    found = {(op.endpoint, _concrete(path)) for op, path, _kind in BODY_FIELDS}
    assert {("sign_order_contract", "voucher_id"), ("create_disbursement", "claim_ids/0"),
            ("decide_claim", "scores/necessity"), ("answer_order_cancellation", "agree"),
            ("create_offering", "price_fen")} <= found
    assert len(found) >= 25


@pytest.mark.parametrize("op, path, kind", BODY_FIELDS,
                         ids=[f"{op.endpoint}:{_concrete(path)}" for op, path, _ in BODY_FIELDS])
def test_a_number_or_flag_of_the_wrong_type_is_refused(client, op, path, kind):
    user = next((u for u in _users() if op.rule is None or op.rule(u)), None)
    assert user is not None, f"nobody may call {op.endpoint}"
    url = PREFIX + re.sub(r"<(?:\w+:)?\w+>", "1", op.path)
    for value in WRONG[kind]:
        response = getattr(client, op.method)(url, headers=_headers(user),
                                              json=_placed(path, value))
        error = assert_error(response, 422, "validation_error")
        locs = [tuple(field["loc"]) for field in error["details"]["fields"]]
        assert tuple(str(part) for part in path) in locs, (value, locs)


def test_the_document_types_every_body_number_and_flag(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for op, path, kind in BODY_FIELDS:
        item = document["paths"][PREFIX + openapi_path(op.path)][op.method]
        body = item["requestBody"]["content"]["application/json"]["schema"]
        typed = dict(_typed_fields(body, schemas))
        assert typed.get(path) == kind, (op.endpoint, path, typed)


# --- ids in bodies --------------------------------------------------------------------------

MISSING = 987_654


def _firm_with_quoted_order():
    member = FirmMemberFactory()
    order = make_quoted_order(make_offering(), member)
    db.session.commit()
    return member, order


def _offering_case():
    firm = FirmMemberFactory()
    hidden = make_offering()
    catalogue.withdraw_offering(hidden, hidden.agency.organisation.members[0])
    db.session.commit()
    return firm, "/orders", {"message": "Please quote"}, "offering_id", hidden.id


def _voucher_case():
    member, order = _firm_with_quoted_order()
    other_firms = make_voucher(make_programme(), firm_member=FirmMemberFactory())
    db.session.commit()
    return member, f"/orders/{order.id}/contract", {}, "voucher_id", other_firms.id


def _quote_case():
    member, order = _firm_with_quoted_order()
    _other_member, others = _firm_with_quoted_order()
    db.session.commit()
    return member, f"/orders/{order.id}/contract", {}, "quote_id", others.current_quote.id


def _programme_case():
    return FirmMemberFactory(), "/voucher-applications", {
        "requested_fen": 100_000_00, "purpose": "Testing our new coating line"}, \
        "programme_id", None


def _claims_case():
    return UserFactory(role=Role.SUPERVISOR), "/disbursements", {}, "claim_ids", None


def _copays_case():
    return UserFactory(role=Role.SUPERVISOR), "/disbursements", {}, "copay_order_ids", None


def _district_case():
    from tests.integration.commissioners.builders import application_fields

    fields = application_fields(district_id=1)
    fields.pop("district_id")
    return AgencyMemberFactory(), "/commissioner-applications", fields, "district_id", None


def _pairing_case():
    from datetime import date

    from tests.integration.commissioners.builders import paired, recognised

    mine = recognised(user=AgencyMemberFactory())
    paired(mine, FirmMemberFactory())
    others = paired(recognised(user=AgencyMemberFactory()), FirmMemberFactory())
    db.session.commit()
    fields = {"service_on": date.today().isoformat(), "place": "车间", "participants": "三人",
              "work_done": "诊断", "outcome": "改进"}
    return mine.user, f"/commissioners/{mine.id}/services", fields, "pairing_id", others.id


def _change_district_case():
    from tests.support.identity import resident_id

    owner = FirmMemberFactory(is_owner=True)
    db.session.commit()
    organisation = owner.organisation
    fields = {"name": organisation.name, "uscc": organisation.uscc,
              "registered_address": "南昌市红谷滩区丰和中大道1号", "contact_phone": "0791-88888888",
              "people": [{"role": "legal_representative", "name": "王明",
                          "id_kind": "resident_id", "id_number": resident_id(3)}],
              "reason": "地址变更"}
    return owner, "/organisation/change-requests", fields, "district_id", None


# (endpoint, field) -> setup: setup returns (user, path, other fields, field, an id of
# another organisation's object, or None where every signed-in user sees them all)
BODY_IDS = {("create_order", "offering_id"): _offering_case,
            ("sign_order_contract", "voucher_id"): _voucher_case,
            ("sign_order_contract", "quote_id"): _quote_case,
            ("create_application", "programme_id"): _programme_case,
            ("create_disbursement", "claim_ids"): _claims_case,
            ("create_disbursement", "copay_order_ids"): _copays_case,
            ("apply_as_commissioner", "district_id"): _district_case,
            ("log_commissioner_service", "pairing_id"): _pairing_case,
            ("create_change_request", "district_id"): _change_district_case}


def test_every_id_in_a_body_has_its_case(client):
    ids = {(op.endpoint, path[0]) for op, path, kind in BODY_FIELDS
           if kind == "integer" and (path[0].endswith("_id") or path[0].endswith("_ids"))}
    assert ids == set(BODY_IDS)
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    endpoints = {endpoint for endpoint, _field in BODY_IDS}
    for op in _operations():
        if op.endpoint in endpoints:
            assert "404" in document["paths"][PREFIX + openapi_path(op.path)][op.method][
                "responses"], f"{op.endpoint} does not document its 404"


def _send(client, user, path, fields, field, object_id):
    value = [object_id] if field.endswith("_ids") else object_id
    return client.post(PREFIX + path, headers=_headers(user), json={**fields, field: value})


@pytest.mark.parametrize("case", sorted(BODY_IDS), ids="-".join)
def test_a_missing_id_and_another_organisations_id_get_the_same_404(client, case):
    user, path, fields, field, foreign = BODY_IDS[case]()
    db.session.commit()
    missing = _send(client, user, path, fields, field, MISSING)
    assert_error(missing, 404, "not_found")
    assert missing.get_json()["error"]["details"] == {"field": field}
    if foreign is not None:
        other = _send(client, user, path, fields, field, foreign)
        assert (other.status_code, other.get_json()) == (404, missing.get_json())


def test_signing_with_another_firms_voucher_reserves_nothing(client):
    user, path, fields, field, foreign = _voucher_case()
    assert _send(client, user, path, fields, field, foreign).status_code == 404
    order_id = int(path.split("/")[2])
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == OrderStatus.QUOTED
    assert funds.figures.voucher_balances(db.session.get(Voucher, foreign))["reserved_fen"] == 0


def test_one_missing_claim_among_payable_ones_is_the_same_404(client):
    auditor, supervisor = (UserFactory(role=Role(r)) for r in ("auditor", "supervisor"))
    claim = approved_claim(auditor, supervisor)
    response = client.post(f"{PREFIX}/disbursements", headers=_headers(supervisor),
                           json={"claim_ids": [claim.id, MISSING]})
    assert_error(response, 404, "not_found")
    assert response.get_json()["error"]["details"] == {"field": "claim_ids"}
