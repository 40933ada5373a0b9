"""Closed sets in the OpenAPI document (issue 20, item 11): where the API accepts one of a
closed set the document lists it as an enum, and anything else is refused with 422
naming the field.

Fixed sets (contract types, technology fields, statuses) are Literals of the models.
Service categories and districts are tables the admin edits: each request is checked
against the table, and the document lists the values as they stand when it is built, so
a category added by the admin is in the next document and accepted at once, and one
switched off is neither.
"""
import itertools

import pytest

from marketplace.accounts.models import District, Role
from marketplace.accounts.services import issue_api_token
from marketplace.agencies.categories import save_category
from marketplace.agencies.models import ServiceCategory
from marketplace.extensions import db
from marketplace.orders.models import ContractType, OrderStatus
from marketplace.technology_fields.services import field_codes
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_programme)
from tests.integration.test_api_base import PREFIX, assert_error
from tests.support.api import bearer

_keys = itertools.count(1)
REGISTRY_IN = "marketplace__api__contracts__ContractIn"   # orders have a ContractIn too


def _document(client):
    return client.get(f"{PREFIX}/openapi.json").get_json()


def _body_property(document, component, name):
    return document["components"]["schemas"][component]["properties"][name]


def _parameter(document, path, name):
    item = document["paths"][PREFIX + path]["get"]
    return next(p for p in item["parameters"] if p["name"] == name)["schema"]


def _codes(model):
    return sorted(db.session.scalars(db.select(model.code)).all())


def _active_category_codes():
    return sorted(db.session.scalars(db.select(ServiceCategory.code).where(
        ServiceCategory.is_active.is_(True))).all())


def test_fixed_sets_are_enums_of_the_document(client):
    document = _document(client)
    assert _body_property(document, "QuoteIn", "contract_type")["enum"] == \
        [t.value for t in ContractType]
    assert set(_body_property(document, "TechResultIn", "field_code")["enum"]) == \
        set(field_codes())
    registry_types = _body_property(document, REGISTRY_IN, "contract_type")["enum"]
    assert {"development", "技术开发", "服务"} <= set(registry_types)
    fields = _body_property(document, REGISTRY_IN, "field")["enum"]
    assert {"agriculture", "农业", "Agriculture"} <= set(fields)
    statuses = document["components"]["schemas"]["OrderOut"]["properties"]["status"]
    assert statuses["enum"] == [s.value for s in OrderStatus]
    assert _parameter(document, "/results", "field")["enum"] == sorted(field_codes())


def test_categories_and_districts_are_listed_as_they_stand(client):
    document = _document(client)
    categories = _active_category_codes()
    assert categories, "the reference data has categories"
    assert _body_property(document, "OfferingIn", "category")["enum"] == categories
    assert _body_property(document, "OfferingPatch", "category")["enum"] == \
        categories + [None]
    assert _body_property(document, "ApplicationIn", "planned_categories")["items"][
        "enum"] == categories
    assert _parameter(document, "/offerings", "category")["enum"] == categories
    assert _parameter(document, "/offerings", "district")["enum"] == _codes(District)
    spellings = set(_body_property(document, REGISTRY_IN, "seller_district")["enum"])
    honggutan = db.session.scalars(db.select(District).where(
        District.code == "honggutan")).one()
    assert {honggutan.code, honggutan.name_zh, honggutan.name_en, "市外", "outside"} <= \
        spellings


def test_a_category_the_admin_adds_is_listed_and_accepted_and_one_switched_off_is_not(
        client):
    admin = UserFactory(role=Role.ADMIN)
    added = save_category(admin, code="quantum_tests", name_zh="量子检测",
                          name_en="Quantum tests", parent_id=None, is_active=True,
                          sort_order=99)
    db.session.commit()
    assert "quantum_tests" in _parameter(_document(client), "/offerings", "category")["enum"]
    assert client.get(f"{PREFIX}/offerings?category=quantum_tests").status_code == 200
    save_category(admin, category=added, name_zh="量子检测", name_en="Quantum tests",
                  parent_id=None, is_active=False, sort_order=99)
    db.session.commit()
    assert "quantum_tests" not in _parameter(_document(client), "/offerings",
                                             "category")["enum"]
    refused = client.get(f"{PREFIX}/offerings?category=quantum_tests")
    error = assert_error(refused, 422, "validation_error")
    assert [f["loc"] for f in error["details"]["fields"]] == [["category"]]


def _headers(user):
    _token, plaintext = issue_api_token(user, "enums")
    db.session.commit()
    return {**bearer(plaintext), "Idempotency-Key": f"enum-{next(_keys)}"}


def _agency():
    member = AgencyMemberFactory()
    make_agency_profile(member)
    return member


OFFERING = {"title": "Coating tests", "category": "testing",
            "description": "Salt spray and adhesion tests of coatings.",
            "deliverables": "A test report", "price_model": "fixed", "price_fen": 8_000_00,
            "typical_duration_days": 10}
CONTRACT = {"party": "buyer", "contract_number": "ENUM-1", "contract_type": "技术咨询",
            "contract_amount_fen": 100_000_00, "technical_amount_fen": 80_000_00,
            "seller": "南昌大学", "seller_district": "红谷滩区", "field": "agriculture",
            "signed_on": "2020-05-01"}
RESULT = {"title": "碳纤维复合材料快速模压成型", "field_code": "new_materials",
          "summary": "快速固化树脂与模压成型工艺，碳纤维复合材料构件十分钟成型，适合汽车轻量化。",
          "ip_type": "invention_patent", "ip_numbers": "ZL202110234567.8", "trl": 6,
          "transfer_modes": ["mode_licence"]}

# (who, method, path, body or None for a query, the field, an unknown value)
UNKNOWN = {
    "offering category": (_agency, "post", "/offerings", OFFERING, "category", "astrology"),
    "catalogue category filter": (None, "get", "/offerings", None, "category", "astrology"),
    "catalogue district filter": (None, "get", "/offerings", None, "district", "atlantis"),
    "planned categories": (FirmMemberFactory, "post", "/voucher-applications", {
        "programme_id": None, "requested_fen": 100_000_00,
        "purpose": "Testing our new coating line"}, "planned_categories", ["astrology"]),
    "registry contract type": (FirmMemberFactory, "post", "/contracts", CONTRACT,
                               "contract_type", "合作"),
    "registry district": (FirmMemberFactory, "post", "/contracts", CONTRACT,
                          "seller_district", "北京"),
    "registry field": (FirmMemberFactory, "post", "/contracts", CONTRACT, "field",
                       "alchemy"),
    "result field": (_agency, "post", "/results", RESULT, "field_code", "astrology"),
    "results filter": (None, "get", "/results", None, "field", "astrology"),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_a_value_outside_the_set_is_refused_naming_the_field(client, case):
    who, method, path, body, field, value = UNKNOWN[case]
    if body is not None and "programme_id" in body:
        body = {**body, "programme_id": make_programme().id}
    headers = _headers(who()) if who else {}
    if body is None:
        response = client.get(f"{PREFIX}{path}?{field}={value}", headers=headers)
    else:
        response = getattr(client, method)(PREFIX + path, headers=headers,
                                           json={**body, field: value})
    error = assert_error(response, 422, "validation_error")
    locs = [f["loc"][0] for f in error["details"]["fields"]]
    assert locs == [field], error
    if body is not None:   # the same body with a value of the set goes through
        good = getattr(client, method)(PREFIX + path, headers=_headers(who()),
                                       json=body)
        assert good.status_code == 201, good.get_json()
