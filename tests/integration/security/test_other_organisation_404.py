"""Objects of another organisation answer 404, as if they did not exist (not 403, which
would confirm they do). Checked on the designed answers of the access matrix
(test_access_matrix.py and access_rows/), whose test runs every one of them against the
app: so every object route with rows for an own and another organisation's object is
covered, whoever adds it.

For each organisation member (firm owner, firm member, agency owner) and each object
route: where the role reaches its own organisation's object, the other organisation's
answers 404; and another organisation's object answers the same as an id that does not
exist.
"""
from tests.integration.test_access_matrix import EXPECTED, expected_status
from tests.support.access import LOGIN, MEMBERS, VISITOR, ByObject

OWN = ("own", "firm")
OTHER = ("other", "other_firm")
NO_TOKEN_OR_LOGIN = (LOGIN, 401)
# objects of another organisation that are public by design: endpoint -> why
PUBLIC_BY_DESIGN = {
    "registry.file_objection": "an agency's admission notice is public: anyone signed in "
                               "may object to it",
}


def _reaches(status):
    return status not in NO_TOKEN_OR_LOGIN and status not in (403, 404)


def _object_rows():
    for (endpoint, method), row in EXPECTED.items():
        if not isinstance(row, ByObject):
            continue
        own = next((row[v] for v in OWN if v in row), None)
        other = next((row[v] for v in OTHER if v in row), None)
        if other is None or expected_status(other, VISITOR) not in NO_TOKEN_OR_LOGIN \
                or endpoint in PUBLIC_BY_DESIGN:
            continue   # no other organisation's object, or a public one
        yield endpoint, method, own, other, row.get("missing")


def test_the_matrix_has_object_routes_with_another_organisations_object():
    rows = list(_object_rows())
    assert len(rows) >= 20, [r[:2] for r in rows]
    assert any(endpoint.startswith("api.") for endpoint, *_rest in rows)


def test_another_organisations_object_is_not_found_for_members():
    wrong = []
    for endpoint, method, own, other, missing in _object_rows():
        for role in MEMBERS:
            answer = expected_status(other, role)
            if own is not None and _reaches(expected_status(own, role)) and answer != 404:
                wrong.append(f"{method} {endpoint}: {role} reaches its own object but gets "
                             f"{answer} for another organisation's, not 404")
            if _reaches(answer):
                wrong.append(f"{method} {endpoint}: {role} reaches another organisation's "
                             f"object ({answer})")
    assert not wrong, "\n".join(wrong)


def test_another_organisations_object_looks_like_a_missing_one():
    wrong = []
    for endpoint, method, own, other, missing in _object_rows():
        if missing is None:
            continue
        for role in MEMBERS:
            if expected_status(other, role) != expected_status(missing, role):
                wrong.append(f"{method} {endpoint}: {role} gets "
                             f"{expected_status(other, role)} for another organisation's "
                             f"object but {expected_status(missing, role)} for a missing id")
    assert not wrong, "\n".join(wrong)
