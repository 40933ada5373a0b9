"""A broker's proposal that is refused (a note of blanks, or a pair another broker has
proposed meanwhile) shows the demand page again, 422, with the note as typed beside the
result it was for and what is wrong, instead of a redirect that lost the explanation."""
from html import unescape

from marketplace.exchange import brokerage
from marketplace.exchange.models import BrokeredMatch
from marketplace.extensions import db
from tests.conftest import login
from tests.integration.exchange.builders import make_broker, make_demand, make_result

NOTE = "该成果的快速固化树脂体系正好满足需求方的减重目标"


def _signed_in_broker(app):
    result = make_result()
    demand = make_demand()
    broker = make_broker()
    broker.locale = "en"
    db.session.commit()
    client = app.test_client()
    login(client, broker.email)
    assert result.title in client.get(f"/exchange/demands/{demand.id}").get_data(as_text=True)
    return client, broker, demand, result


def test_a_note_of_blanks_is_refused_on_the_page_keeping_the_form(app):
    client, _broker, demand, result = _signed_in_broker(app)
    refused = client.post(f"/exchange/demands/{demand.id}/propose",
                          data={"result_id": str(result.id), "note": "    "})
    assert refused.status_code == 422
    body = unescape(refused.get_data(as_text=True))
    assert "This field is required." in body
    assert db.session.query(BrokeredMatch).count() == 0


def test_a_pair_proposed_meanwhile_is_refused_keeping_the_note(app):
    client, _broker, demand, result = _signed_in_broker(app)
    brokerage.propose_match(make_broker(), demand, result, "另一位经纪人已推荐")
    db.session.commit()
    refused = client.post(f"/exchange/demands/{demand.id}/propose",
                          data={"result_id": str(result.id), "note": NOTE})
    assert refused.status_code == 409
    body = unescape(refused.get_data(as_text=True))
    assert NOTE in body
    assert "This result has already been proposed for this demand." in body
