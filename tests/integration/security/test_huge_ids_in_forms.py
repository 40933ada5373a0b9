"""An id typed into a form's field (a hidden input, a select with its choices not
checked) past any database integer is refused like an unknown id, never a 500: the
broker's proposal, the supervisor's reassignment and disbursement batch."""
import uuid

from marketplace.exchange.models import ListingStatus
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import staff
from tests.integration.exchange.builders import make_broker, make_demand
from tests.integration.security.forms_walker import row_counts

HUGE = str(10**20)


def test_a_broker_proposing_a_result_id_past_the_integers_is_refused(app):
    demand = make_demand()
    demand.status = ListingStatus.PUBLISHED
    broker = make_broker()
    db.session.commit()
    client = app.test_client()
    login(client, broker.email)
    before = row_counts()
    response = client.post(f"/exchange/demands/{demand.id}/propose",
                           data={"result_id": HUGE, "note": "双方技术对口，建议洽谈"})
    assert response.status_code < 500, response.status_code
    assert row_counts() == before


def test_a_disbursement_batch_of_ids_past_the_integers_is_refused(app):
    supervisor = staff("supervisor")
    db.session.commit()
    client = app.test_client()
    login(client, supervisor.email)
    data = {"claim_ids": HUGE, "copay_order_ids": HUGE,
            "idempotency_token": uuid.uuid4().hex}
    before = row_counts()
    response = client.post("/disbursements", data=data)
    assert response.status_code < 500
    assert row_counts() == before
