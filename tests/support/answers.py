"""Every answer an API operation gives in a test is checked against the schema the
operation declares for its status in the OpenAPI document, so the document cannot drift
from what is sent: a field missing, added, renamed, of another type or outside its enum
fails the test that received it.

The document is built once (the sets kept as data, such as districts, stay named rather
than listed); its OpenAPI 3.0 schemas are read as JSON Schema (``nullable`` becomes a null
type) and, where a model lists its properties, no other property is allowed."""
from collections import Counter

from flask import request
from jsonschema import Draft7Validator

from marketplace.api.spec import OPERATIONS, build_openapi
from marketplace.api.views import PREFIX

MISMATCHES = []            # (operation, status, message) found since the test began
CHECKED = Counter()        # (operation, status) -> answers checked in the session
_state = {}


def install(app):
    app.after_request(_check)


def operations_checked():
    return {name for name, _status in CHECKED}


def json_schema(schema):
    """An OpenAPI 3.0 schema as a JSON Schema: ``nullable`` as a null type, and objects
    with declared properties closed to others."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: (json_schema(value) if key != "properties" else
                    {name: json_schema(prop) for name, prop in value.items()})
              for key, value in schema.items()}
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    if schema.pop("nullable", False):
        if "type" in schema and "enum" not in schema:
            schema["type"] = [schema["type"], "null"]
        elif "enum" not in schema:
            schema = {"anyOf": [schema, {"type": "null"}]}
        else:
            schema.pop("type", None)
    return schema


def _validators():
    if not _state:
        document = build_openapi(PREFIX, "test", "0", current_values=False)
        components = json_schema(document["components"]["schemas"])
        by_endpoint = {}
        for path, methods in document["paths"].items():
            for method, item in methods.items():
                for status, response in item["responses"].items():
                    schema = response.get("content", {}).get("application/json", {}) \
                        .get("schema")
                    if schema is not None:
                        root = {**schema, "components": {"schemas": components}}
                        by_endpoint[(item["operationId"], int(status))] = \
                            Draft7Validator(root)
        _state["validators"] = by_endpoint
        _state["operations"] = {op.endpoint for op in OPERATIONS}
    return _state["validators"]


def _check(response):
    endpoint = request.endpoint or ""
    if not endpoint.startswith("api.") or response.mimetype != "application/json":
        return response
    name = endpoint.split(".", 1)[1]
    validators = _validators()
    if name not in _state["operations"]:
        return response
    validator = validators.get((name, response.status_code))
    if validator is None:
        MISMATCHES.append((name, response.status_code, "this status is not in the document"))
        return response
    body = response.get_json(silent=True)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    for error in errors[:5]:
        where = "/".join(str(part) for part in error.absolute_path) or "(the answer)"
        MISMATCHES.append((name, response.status_code, f"{where}: {error.message}"))
    CHECKED[(name, response.status_code)] += 1
    return response
