"""The answers of the API are built by their declared models (``spec.answer``), and every
answer a test receives is checked against the OpenAPI document (tests/support/answers.py):
here, that the check catches what a drift would look like."""
from datetime import datetime, timezone

import pytest
from pydantic import BaseModel, ValidationError

from marketplace.api.answers import Timestamp, answer
from marketplace.api.spec import OPERATIONS
from tests.support import answers

ME = {"id": 7, "email": "a@example.com", "role": "auditor", "organisation_id": None}


def _errors(operation, status, body):
    return [e.message for e in answers._validators()[(operation, status)].iter_errors(body)]


def test_the_document_declares_a_schema_for_every_success_answer(app):
    validators = answers._validators()
    for op in OPERATIONS:
        for status, model in op.responses.items():
            if model is not None and not hasattr(model, "media_type"):
                assert (op.endpoint, status) in validators, (op.endpoint, status)


@pytest.mark.parametrize("drift, why", [
    ({**ME, "token": "x"}, "a field the document does not name"),
    ({k: v for k, v in ME.items() if k != "email"}, "a declared field left out"),
    ({**ME, "id": "7"}, "a field of another type"),
    ({**ME, "email": None}, "null where the document says never"),
])
def test_an_answer_that_drifts_from_the_document_is_caught(app, drift, why):
    assert _errors("me", 200, ME) == []
    assert _errors("me", 200, drift), why


def test_an_enum_or_a_nested_answer_outside_the_document_is_caught(app):
    error = {"error": {"code": "not_found", "message": "Not found", "details": {}}}
    assert _errors("get_order", 404, error) == []
    assert _errors("get_order", 404, {"error": {**error["error"], "code": 3}})
    item = {"id": 1, "status": "requested"}
    assert _errors("create_order", 201, item) == []
    assert _errors("create_order", 201, {**item, "status": "lost"})


class _Moment(BaseModel):
    at: Timestamp
    name: str


class _Row:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    name = "read from the object"


def test_an_answer_reads_the_object_and_given_values_win():
    assert answer(_Moment, _Row()) == {"at": "2026-01-02T03:04:05+00:00",
                                       "name": "read from the object"}
    assert answer(_Moment, _Row(), name="given") == {"at": "2026-01-02T03:04:05+00:00",
                                                     "name": "given"}


def test_an_answer_missing_a_declared_field_is_refused_not_sent():
    with pytest.raises(ValidationError):
        answer(_Moment, name="no moment")
