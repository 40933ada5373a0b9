"""Query arguments a person can type into the address bar: a digit that Python's
``str.isdigit`` accepts but ``int`` does not (a superscript two), and a number past any
database integer. Every listing of every role answers them with a page, never a 500."""
import pytest

from marketplace.extensions import db
from tests.conftest import login
from tests.factories import AgencyMemberFactory, FirmMemberFactory, staff

ARGUMENT_NAMES = ("year", "district", "page", "field", "status", "programme", "type",
                  "role", "agencies_page", "active", "mine", "problem")
ODD_VALUES = ("²", str(10**20))


def _listing_paths(app):
    """Every GET page without path arguments (the JSON API and files aside)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        path = rule.rule
        if path.startswith(("/api/", "/static", "/webhooks")) or "." in path.rsplit("/", 1)[-1]:
            continue
        yield path


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_numbers_in_the_query_string_are_never_a_server_error(app, value):
    people = [FirmMemberFactory(is_owner=True), AgencyMemberFactory(is_owner=True)]
    people += [staff(role) for role in ("auditor", "supervisor", "admin", "expert")]
    db.session.commit()
    clients = [app.test_client()]
    for person in people:
        client = app.test_client()
        login(client, person.email)
        clients.append(client)
    query = "&".join(f"{name}={value}" for name in ARGUMENT_NAMES)
    failures = []
    for path in sorted(set(_listing_paths(app))):
        for client in clients:
            response = client.get(f"{path}?{query}")
            if response.status_code >= 500:
                failures.append(path)
                break
    assert failures == [], "\n".join(failures)
