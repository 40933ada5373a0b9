"""A page number past what PostgreSQL's OFFSET can hold (a bigint) is a page past the
end, never a server error: anyone can type ``?page=`` into the address bar."""
import pytest

from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory, staff

HUGE = str(10**20)


@pytest.mark.parametrize("path", ["/transparency", "/registry/notices", "/commissioners",
                                  "/results"])
def test_a_visitor_page_number_beyond_a_bigint_is_not_a_server_error(client, path):
    response = client.get(f"{path}?page={HUGE}")
    assert response.status_code < 500, path


def test_a_member_page_number_beyond_a_bigint_is_not_a_server_error(app):
    member = FirmMemberFactory(is_owner=True)
    auditor = staff("auditor")
    db.session.commit()
    firm, bureau = app.test_client(), app.test_client()
    login(firm, member.email)
    login(bureau, auditor.email)
    for path in ("/orders", "/inbox/"):
        assert firm.get(f"{path}?page={HUGE}").status_code < 500, path
    for path in ("/claims", "/registry/review", "/identity/changes", "/contracts"):
        assert bureau.get(f"{path}?page={HUGE}").status_code < 500, path
