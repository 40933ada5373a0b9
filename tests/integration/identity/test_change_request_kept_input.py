"""The change request form's hidden ``kept`` field says which person on file a row
keeps: anyone can change a hidden field, and a value ``str.isdigit`` accepts but ``int``
does not (a superscript two) is no server error; the row is then a new person."""
import pytest

from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.integration.claims.builders import signed_in
from tests.integration.identity.test_change_requests import _form


@pytest.mark.parametrize("kept", ["²", "٣", str(10**30)])
def test_an_odd_kept_value_is_no_server_error(app, kept):
    owner = FirmMemberFactory(locale="en")
    db.session.commit()
    client = signed_in(owner)
    data = _form(client)
    data.update({"people-0-kept": kept, "contact_phone": "0791-86660001",
                 "reason": "联系电话变更"})
    response = client.post("/organisation/changes/new", data=data)
    assert response.status_code < 500
