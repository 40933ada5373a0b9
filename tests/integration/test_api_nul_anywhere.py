"""Every request is refused with 422 when its query string holds a NUL character (the app's
``refuse_nul_characters``, before any operation runs), also for an operation that takes no
query: the document lists that answer for every operation, so what is sent is what it says
(the schema check of tests/support/answers.py found ``list_vouchers 422`` undocumented)."""
from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.support.api import token_for


def test_a_nul_in_the_query_of_an_operation_without_one_is_a_documented_422(client):
    member = FirmMemberFactory()
    db.session.commit()
    response = client.get("/api/v1/vouchers?x=%00", headers=token_for(member))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
