"""A commissioner never vouches for their own work: a service counts toward the yearly
minimum (12 confirmed services to 3 firms) only when the served party confirms it, so a
commissioner who is a member of a firm may neither ask to be paired with that firm as its
member nor confirm a service they logged themselves."""
from datetime import date

from marketplace.commissioners import activity
from marketplace.commissioners import permissions as perms
from marketplace.commissioners.models import ServiceStatus
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory
from tests.integration.commissioners.builders import log, recognised


def test_a_commissioner_cannot_ask_to_serve_their_own_firm(auditor):
    member = FirmMemberFactory(is_owner=True)
    commissioner = recognised(user=member, auditor=auditor)
    assert not perms.can_request_pairing(member, commissioner)
    assert perms.can_request_pairing(FirmMemberFactory(), commissioner)


def test_a_commissioner_cannot_confirm_a_service_they_logged(app, auditor):
    member = FirmMemberFactory(is_owner=True)
    colleague = FirmMemberFactory(organisation=member.organisation)
    commissioner = recognised(user=member, auditor=auditor)
    # paired with the firm by the bureau (by its credit code), as the bureau may
    pairing = activity.pair(commissioner, auditor, kind="firm",
                            firm_code=member.organisation.uscc)
    service = log(commissioner, pairing, date.today())
    db.session.commit()
    assert not perms.can_answer_service(member, service)
    assert perms.can_answer_service(colleague, service)

    client = app.test_client()
    login(client, member.email)
    prefix = f"service-{service.id}"
    response = client.post(f"/commissioners/services/{service.id}/answer",
                           data={f"{prefix}-decision": "confirm"})
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(type(service), service.id).status == ServiceStatus.LOGGED

    other = app.test_client()
    login(other, colleague.email)
    other.post(f"/commissioners/services/{service.id}/answer",
               data={f"{prefix}-decision": "confirm"})
    db.session.expire_all()
    assert db.session.get(type(service), service.id).status == ServiceStatus.CONFIRMED
