"""Bad input for the JSON API: schemathesis generates requests from /api/v1/openapi.json
for every operation and checks that none gets a server error and that every answer
matches the document (status code, content type, body schema), and that data the
document calls invalid is refused.

Each operation is called with the bearer token of a role its access rule lets in
(drawn per example among them), on the access matrix's world; half the examples fill
the path with the ids of real objects (the matrix's URL_VALUES) rather than random
ones, so the fuzzing reaches past "404". HC_FUZZ_EXAMPLES sets the examples per
operation and generation mode (positive and negative): a few in `make test`, 100 in
`make check-reliability`.
"""
import os
from collections import Counter

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection,
                                 not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from marketplace.api.spec import OPERATIONS, FileResponse
from marketplace.extensions import db
from tests.integration.access_rows import ROW_MODULES
from tests.integration.test_access_matrix import (EXPECTED, URL_VALUES, add_vouchers,  # noqa: F401
                                                  world)
from tests.support.access import ByObject, VISITOR

pytestmark = pytest.mark.reliability
EXAMPLES = int(os.environ.get("HC_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
NEGATIVE_CHECKS = CHECKS + [negative_data_rejection]
FIGURES = Counter()   # read by the README's figures (printed at the end of the test)


def _roles_for(op, built):
    if not op.auth:
        return [VISITOR]
    return [role for role, user in built.users.items()
            if op.rule is None or op.rule(user)] or [VISITOR]


def _real_path_values(endpoint, method, built, role):
    """The access matrix's ways of filling ``endpoint``'s URL (own object, other
    organisation's, ...), as path-parameter dicts."""
    row = EXPECTED.get((endpoint, method.upper()))
    variants = list(row) if isinstance(row, ByObject) else [None]
    found = []
    for variant in variants:
        try:
            values = URL_VALUES[endpoint](built, role, variant)
        except (KeyError, AttributeError, TypeError, LookupError):
            continue
        found.append({key: value for key, value in values.items()})
    return found


def _fuzz_operation(app, built, schema_op, op, mode):
    roles = _roles_for(op, built)
    endpoint = "api." + op.endpoint
    has_path = bool(schema_op.path_parameters)
    problems = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=schema_op.as_strategy(generation_mode=mode), role=st.sampled_from(roles),
           real_path=st.booleans(), pick=st.integers(min_value=0, max_value=7))
    def run(case, role, real_path, pick):
        if has_path and real_path and mode is GenerationMode.POSITIVE:
            choices = _real_path_values(endpoint, op.method, built, role)
            if choices:
                case.path_parameters = {**(case.path_parameters or {}),
                                        **choices[pick % len(choices)]}
        headers = {}
        if role != VISITOR:
            headers["Authorization"] = f"Bearer {built.tokens[role][1]}"
        client = app.test_client()
        response = case.call(session=client, headers=headers)
        FIGURES["cases"] += 1
        if response.status_code >= 500:
            FIGURES["server_errors"] += 1
        try:
            case.validate_response(
                response, headers=headers,
                checks=NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS)
        except Exception as failure:   # noqa: BLE001  (schemathesis' FailureGroup)
            if len(problems) < 3:
                problems.append(f"{op.method.upper()} {op.path} as {role} ({mode.value}): "
                                f"{str(failure).strip()[:1500]}\n  "
                                f"{case.as_curl_command(headers=headers)}")

    try:
        run()
    except Unsatisfiable:   # nothing about the operation can be made invalid (GET /me)
        assert mode is GenerationMode.NEGATIVE, f"{op.path}: no valid request to generate"
    return problems


GROUPS = ["foundation"] + [rows.__name__.rsplit(".", 1)[-1] for rows in ROW_MODULES]


def _owner(app, endpoint):
    """The access-matrix module whose rows (and objects) an API endpoint belongs to."""
    for rows in ROW_MODULES:
        if rows.needs(app, endpoint) or any(name == endpoint for name, _m in rows.EXPECTED):
            return rows.__name__.rsplit(".", 1)[-1]
    return "foundation"


def _group_operations(app, group):
    """The operations whose objects the access-matrix module ``group`` builds (their
    builders clash with each other's, so each group gets a world of its own); the
    foundation's are the matrix's own."""
    modules = {rows.__name__.rsplit(".", 1)[-1]: rows for rows in ROW_MODULES}
    return ({op.endpoint for op in OPERATIONS if _owner(app, "api." + op.endpoint) == group},
            modules.get(group))


@pytest.mark.parametrize("group", GROUPS)
def test_every_api_operation_survives_generated_input(app, world, group):  # noqa: F811
    endpoints, rows = _group_operations(app, group)
    if not endpoints:
        pytest.skip(f"no API operation builds on the {group} objects")
    add_vouchers(world)
    if rows is not None:
        rows.build(world)
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Unknown query parameters are ignored, as by most APIs, and the bearer token is ours
    # to send (per role): neither is generated as "invalid data".
    schema.config.generation.update(allow_extra_parameters=False,
                                    with_security_parameters=False)
    by_id = {op.endpoint: op for op in OPERATIONS}
    problems, operations, before = [], 0, FIGURES["cases"]
    for result in schema.get_all_operations():
        schema_op = result.ok()
        op = by_id[schema_op.definition.raw["operationId"]]
        if op.endpoint not in endpoints:
            continue
        operations += 1
        FIGURES["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problems += _fuzz_operation(app, world, schema_op, op, mode)
    print(f"\nAPI fuzz [{group}]: {operations} operations, {FIGURES['cases'] - before} "
          f"cases; so far {FIGURES['operations']} operations, {FIGURES['cases']} cases, "
          f"{FIGURES['server_errors']} server errors")
    assert operations == len(endpoints)
    assert FIGURES["cases"] - before >= operations
    assert not problems, "\n\n".join(problems)


def test_the_groups_cover_every_api_operation(app):
    covered = set()
    for group in GROUPS:
        covered |= _group_operations(app, group)[0]
    assert covered == {op.endpoint for op in OPERATIONS}


def test_each_operations_models_are_documented_as_themselves(app):
    """Two domains may name a model alike (ContractOut, DecisionIn): the document must
    still describe each operation's own body and answers, not the other's."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    wrong = []
    for op in OPERATIONS:
        item = document["paths"]["/api/v1" + op.path.replace("<int:", "{").replace(
            "<", "{").replace(">", "}")][op.method]
        documented = [(op.body, item.get("requestBody", {}).get("content", {})
                       .get("application/json", {}).get("schema"))]
        documented += [(model, item["responses"][str(status)]["content"]["application/json"]
                        ["schema"]) for status, model in op.responses.items()
                       if model and not isinstance(model, FileResponse)]   # a PDF: no model
        for model, schema in documented:
            if model is None:
                continue
            name = schema["$ref"].rsplit("/", 1)[-1]
            if set(schemas[name].get("properties", {})) != set(model.model_fields):
                wrong.append(f"{op.method.upper()} {op.path}: {model.__module__}."
                             f"{model.__name__} is documented as {name}")
    assert not wrong, "\n".join(wrong)


def test_a_boolean_is_not_taken_for_a_number(app, client):
    from marketplace.accounts.services import issue_api_token
    from tests.factories import FirmMemberFactory

    member = FirmMemberFactory(is_owner=True)
    _token, plaintext = issue_api_token(member, "t")
    db.session.commit()
    response = client.post("/api/v1/orders",
                           json={"offering_id": True, "message": "请报价检测服务"},
                           headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"][0]["loc"] == ["offering_id"]
