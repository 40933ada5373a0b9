"""Declaring API operations once: the route, its input and output models, its access rule.

:func:`operation` registers a view on the API blueprint, parses and validates the JSON
body and query string with pydantic (422 with the field errors otherwise), checks the
bearer token and the permission predicate, and records everything needed to write the
OpenAPI document, so the document cannot drift from the code.
"""
import re
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Callable, Literal

from flask import g, has_app_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, Field, Strict, ValidationError
from pydantic.json_schema import models_json_schema
from sqlalchemy import select

from marketplace.api.errors import ApiError
from marketplace.core import idempotency
from marketplace.core.errors import NotFound, PermissionDenied
from marketplace.core.forms import MAX_AMOUNT_FEN
from marketplace.extensions import db

OPERATIONS = []
# The largest id a key column holds (PostgreSQL INTEGER): a larger one in a path names
# nothing (404), rather than overflowing the database ("integer out of range": a 500).
MAX_ID = 2**31 - 1

# The numbers and flags of request bodies, strict: the document says integer (boolean),
# so "100000", 1.0, 1.5 and true are refused (422) rather than read as 100000, 1 and 1
# as pydantic's lax mode would. Every body model of marketplace/api/ uses these (a test
# sends each integer and boolean field of every operation the wrong type); query strings
# are text, and their models keep plain ``int``.
Int = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
Id = Annotated[Int, Field(ge=1, le=MAX_ID, json_schema_extra={"format": "int32"})]
Fen = Annotated[Int, Field(ge=0, le=MAX_AMOUNT_FEN, json_schema_extra={"format": "int64"})]
PositiveFen = Annotated[Int, Field(ge=1, le=MAX_AMOUNT_FEN,
                                   json_schema_extra={"format": "int64"})]


def _has_nul(value):
    """PostgreSQL text cannot hold NUL characters: such input is refused (422), not a 500."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


# A closed set kept as data, in a table the admin edits (service categories, districts):
# the schema carries this key naming the set, and the document lists the set's values as
# they stand when it is built, as an enum; every request is checked against the table.
VALUES_KEY = "x-values-of"
_VALUE_SETS = {}


def values_of(name, current: Callable[[], list], *, description):
    """A string type accepting only the current values of the set ``name``
    (``current()`` reads them from the database, once per request); anything else is
    refused with 422 naming the field. The document shows them as an enum."""
    _VALUE_SETS[name] = current

    def check(value):
        if value not in _current_values(name):
            raise ValueError(f"not one of the {name}")
        return value

    return Annotated[str, AfterValidator(check), Field(
        min_length=1, max_length=200, description=description,
        json_schema_extra={VALUES_KEY: name})]


def _current_values(name):
    cached = g.setdefault("api_value_sets", {}) if has_app_context() else {}
    if name not in cached:
        cached[name] = frozenset(_VALUE_SETS[name]())
    return cached[name]


def _with_current_values(schema):
    """The schema with each set named by VALUES_KEY replaced by its values (an enum)."""
    if isinstance(schema, list):
        return [_with_current_values(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _with_current_values(value) for key, value in schema.items()}
    name = schema.pop(VALUES_KEY, None)
    if name is not None:
        schema["enum"] = sorted(_current_values(name)) + ([None] if schema.get("nullable")
                                                          else [])
    return schema


def one_of(enum_class):
    """The values of an Enum as a ``Literal`` (the document lists them)."""
    return Literal[tuple(member.value for member in enum_class)]


def named_in_body(model, object_id, *, field, rule=None):
    """The object an id of the request body (``field``) names, for the token's user;
    404 when there is none and when ``rule`` says the user may not see it (another
    organisation's), with the same answer either way, so the answer does not tell which
    ids exist. Path ids answer the same through ``require_visible``."""
    [found] = named_all_in_body(model, [object_id], field=field, rule=rule)
    return found


def named_all_in_body(model, object_ids, *, field, rule=None):
    """The objects a list of ids in the request body names, in the order given (each id
    once); 404 as :func:`named_in_body` if any of them is missing or not the user's to
    see."""
    wanted = list(dict.fromkeys(object_ids))
    if len(wanted) == 1:
        found = {wanted[0]: db.session.get(model, wanted[0])}
    else:
        found = {o.id: o for o in db.session.scalars(
            select(model).where(model.id.in_(wanted)))}
    objects = [found.get(object_id) for object_id in wanted]
    if any(o is None or (rule is not None and not rule(g.api_user, o)) for o in objects):
        raise NotFound(details={"field": field})
    return objects


def _refuse_nul(value, message):
    if _has_nul(value):
        raise ApiError(message, code="validation_error",
                       status=422, details={"fields": []})


@dataclass(frozen=True)
class FileResponse:
    """A response that is a file, not JSON: its media type in the document."""
    media_type: str


@dataclass
class Operation:
    path: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict
    auth: bool
    rule: object
    errors: tuple = field(default_factory=tuple)
    idempotent_key: bool = False
    upload: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict


class ErrorBody(BaseModel):
    error: ErrorDetail


def _pydantic_errors(exc):
    return {"fields": [{"loc": [str(part) for part in err["loc"]], "msg": err["msg"],
                        "type": err["type"]} for err in exc.errors()]}


def operation(bp, path, method, *, summary, tag, body=None, query=None, responses,
              auth=True, rule=None, errors=(), idempotency_key=False, upload=None):
    """Register ``view(**path_args, body=..., query=...)`` at ``path`` (Flask syntax).

    With ``upload="file"`` the body may instead be ``multipart/form-data`` with a file in
    that field: the view gets ``upload=`` (the file, or None) and ``body=None`` then, and
    ``upload=None`` with a JSON body.

    With ``idempotency_key=True`` the operation requires an ``Idempotency-Key`` header
    and runs once per key and user (see marketplace/core/idempotency.py): a repeat
    replays the first answer, the key with another body is refused with 422.
    """
    if idempotency_key and not auth:
        raise ValueError(f"{path}: idempotency keys belong to a user; the operation "
                         "needs auth=True")

    def decorate(view):
        endpoint = view.__name__

        @wraps(view)
        def handle(**path_args):
            from marketplace.api.auth import authenticate_request
            if auth:
                authenticate_request()
            if any(isinstance(value, int) and value > MAX_ID for value in path_args.values()):
                raise NotFound()
            if rule is not None and not rule(g.api_user):
                raise PermissionDenied(details={"rule": rule.name})
            key = idempotency.api_key_from_request() if idempotency_key else None
            kwargs = dict(path_args)
            if upload is not None:
                kwargs["upload"] = None
            if upload is not None and request.mimetype == "multipart/form-data":
                kwargs["upload"] = request.files.get(upload)
                if kwargs["upload"] is None:
                    raise ApiError(f"The form has no file in '{upload}'.",
                                   code="validation_error", status=422,
                                   details={"fields": [{"loc": [upload],
                                                        "msg": "a file is required",
                                                        "type": "missing"}]})
                kwargs["body"] = None
            elif body is not None:
                payload = request.get_json(silent=True)
                if payload is None:
                    raise ApiError(_("The request body must be a JSON object."),
                                   code="bad_request", status=400)
                _refuse_nul(payload, _l("The request body contains a NUL character."))
                try:
                    kwargs["body"] = body.model_validate(payload)
                except ValidationError as exc:
                    raise ApiError(_("Some fields are not valid."), code="validation_error",
                                   status=422, details=_pydantic_errors(exc))
            if query is not None:
                _refuse_nul(request.args.to_dict(),
                            _l("The query string contains a NUL character."))
                try:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                except ValidationError as exc:
                    raise ApiError(_("Some query parameters are not valid."),
                                   code="validation_error", status=422,
                                   details=_pydantic_errors(exc))
            if key is not None:
                return idempotency.run_api_operation(g.api_user.id, key,
                                                     lambda: view(**kwargs))
            return view(**kwargs)

        bp.add_url_rule(path, endpoint=endpoint, view_func=handle, methods=[method])
        handle.access_rule = rule
        handle.api_auth = auth
        OPERATIONS.append(Operation(path=path, method=method.lower(), endpoint=endpoint,
                                    summary=summary, tag=tag, body=body, query=query,
                                    responses=responses, auth=auth, rule=rule,
                                    errors=tuple(errors), idempotent_key=idempotency_key,
                                    upload=upload))
        return handle
    return decorate


_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(flask_path):
    return _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", flask_path)


def _path_parameters(flask_path):
    params = []
    for converter, name in _PATH_PARAM.findall(flask_path):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" \
            else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def to_openapi30(schema):
    """Rewrite pydantic's JSON Schema (2020-12) into the OpenAPI 3.0 dialect:
    ``anyOf: [X, {type: null}]`` becomes ``X`` with ``nullable: true``; ``const`` an enum."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: to_openapi30(value) for key, value in schema.items()}
    variants = schema.get("anyOf")
    if variants and any(v == {"type": "null"} for v in variants):
        others = [v for v in variants if v != {"type": "null"}]
        schema.pop("anyOf")
        if len(others) == 1:
            other = others[0]
            if "$ref" in other:
                schema["allOf"] = [other]
            else:
                schema.update(other)
        else:
            schema["anyOf"] = others
        schema["nullable"] = True
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    if schema.get("nullable") and "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]   # 3.0.3: an enum must list null itself
    return schema


def _query_parameters(model):
    schema = to_openapi30(
        model.model_json_schema(ref_template="#/components/schemas/{model}"))
    params = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        prop.pop("title", None)
        if prop.pop("nullable", False):   # a parameter is left out, never null
            if "enum" in prop:
                prop["enum"] = [value for value in prop["enum"] if value is not None]
            if "default" in prop and prop["default"] is None:
                del prop["default"]
        params.append({"name": name, "in": "query", "required": name in required,
                       "schema": prop})
    return params


def build_openapi(prefix, title, version, *, current_values=True):
    """The OpenAPI document of every declared operation. The sets kept as data are listed
    as they stand (``current_values``), or left named by ``x-values-of`` (the schema
    checks of the tests, which build the document once)."""
    paths = {}
    # All models in one pass: two domains' models of the same name (orders' and turnover's
    # ContractOut) get distinct component names instead of the last overwriting the first.
    models = [ErrorBody] + [model for op in OPERATIONS
                            for model in (op.body, *op.responses.values())
                            if model is not None and not isinstance(model, FileResponse)]
    refs, definitions = models_json_schema(
        [(model, "validation") for model in dict.fromkeys(models)],
        ref_template="#/components/schemas/{model}")
    components = {name: to_openapi30(schema)
                  for name, schema in definitions.get("$defs", {}).items()}
    if current_values:
        components = _with_current_values(components)

    def ref(model):
        return dict(refs[(model, "validation")])

    error_ref = ref(ErrorBody)
    for op in OPERATIONS:
        item = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": _path_parameters(op.path),
            "responses": {},
        }
        if op.query is not None:
            parameters = _query_parameters(op.query)
            item["parameters"] += (_with_current_values(parameters) if current_values
                                   else parameters)
        if op.idempotent_key:
            item["parameters"].append({
                "name": "Idempotency-Key", "in": "header", "required": True,
                "description": "One key per intended action (a UUID, say): a repeat with "
                               "the same body replays the first answer; with another "
                               "body it is refused (422 idempotency_key_reused).",
                "schema": {"type": "string", "minLength": 1,
                           "maxLength": idempotency.MAX_KEY_LENGTH}})
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(op.body)}}}
            if op.upload is not None:
                item["requestBody"]["content"]["multipart/form-data"] = {"schema": {
                    "type": "object", "required": [op.upload],
                    "properties": {op.upload: {"type": "string", "format": "binary"}}}}
        for status, model in op.responses.items():
            response = {"description": _describe(status)}
            if isinstance(model, FileResponse):
                response["content"] = {model.media_type: {
                    "schema": {"type": "string", "format": "binary"}}}
            elif model is not None:
                response["content"] = {"application/json": {"schema": ref(model)}}
            item["responses"][str(status)] = response
        # 503: the database or a service it needs went away mid-request (retry later);
        # 422: a NUL character anywhere in the query string is refused before any
        # operation runs (create_app's refuse_nul_characters), whatever it takes
        error_statuses = set(op.errors) | {422, 500, 503}
        if op.auth:
            item["security"] = [{"bearerAuth": []}]
            error_statuses |= {401}
        if op.rule is not None:
            error_statuses.add(403)
        if op.body is not None or op.query is not None:
            error_statuses |= {400, 422}
        if op.body is not None:
            error_statuses.add(413)     # a body over MAX_CONTENT_LENGTH
        if op.idempotent_key:
            error_statuses |= {400, 409, 422}
        if _path_parameters(op.path):
            error_statuses.add(404)
        for status in sorted(error_statuses):
            item["responses"].setdefault(str(status), {
                "description": _describe(status),
                "content": {"application/json": {"schema": error_ref}}})
        if not item["parameters"]:
            del item["parameters"]
        paths.setdefault(prefix + openapi_path(op.path), {})[op.method] = item
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


_DESCRIPTIONS = {200: "OK", 201: "Created", 204: "No content", 400: "Malformed request",
                 401: "Missing or invalid bearer token", 403: "Not allowed for this user",
                 404: "Not found", 409: "Conflicts with the current state",
                 413: "Request body too large",
                 422: "Invalid input", 429: "Too many requests", 500: "Server error",
                 503: "Temporarily unavailable: retry later"}


def _describe(status):
    return _DESCRIPTIONS.get(status, "Response")
