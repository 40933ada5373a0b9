"""An auditor who opens the queue a counting notice points to has seen what it counts:
the notice is read, and the next item starts a new one with a new mail."""
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.notifications import services
from tests.conftest import login
from tests.factories import UserFactory


def auditor():
    return UserFactory(role=Role.AUDITOR, locale="en")


def unread(user, kind):
    db.session.expire_all()
    return {n.link: n for n in services.inbox_page(user, 1).items
            if n.kind == kind and n.read_dt is None}


def test_opening_a_programmes_waiting_applications_reads_that_programmes_notice(client):
    person = auditor()
    for programme_id in (1, 2):
        services.notify_coalesced(person, "application_to_review",
                                  link=f"/review/voucher-applications?programme={programme_id}",
                                  programme=f"P{programme_id}", amount="1", firm="F")
    db.session.commit()
    login(client, person.email)

    assert client.get("/review/voucher-applications?programme=1").status_code == 200

    assert list(unread(person, "application_to_review")) == [
        "/review/voucher-applications?programme=2"]
    assert client.get("/review/voucher-applications").status_code == 200
    assert unread(person, "application_to_review") == {}


def test_looking_at_decided_applications_leaves_the_notice_unread(client):
    person = auditor()
    services.notify_coalesced(person, "application_to_review",
                              link="/review/voucher-applications?programme=1",
                              programme="P", amount="1", firm="F")
    db.session.commit()
    login(client, person.email)

    assert client.get("/review/voucher-applications?status=approved").status_code == 200

    assert len(unread(person, "application_to_review")) == 1


def test_opening_the_agency_queue_reads_the_agency_notice_and_the_next_one_is_new(client):
    person = auditor()
    services.notify_coalesced(person, "agency_to_review",
                              link="/registry/review?status=submitted", agency="甲")
    db.session.commit()
    login(client, person.email)

    assert client.get("/registry/review?status=submitted").status_code == 200
    assert unread(person, "agency_to_review") == {}

    fresh = services.notify_coalesced(person, "agency_to_review",
                                      link="/registry/review?status=submitted", agency="乙")
    db.session.commit()
    assert fresh.params_dict["count"] == 1
    assert services.unread_count(person) == 1


def test_opening_the_pending_registrations_reads_the_registration_notice(client):
    person = auditor()
    services.notify_coalesced(person, "registration_to_review", link="/contracts?status=pending",
                              number="HT-1", registrant="甲", amount="1")
    db.session.commit()
    login(client, person.email)

    assert client.get("/contracts?status=confirmed").status_code == 200
    assert len(unread(person, "registration_to_review")) == 1
    assert client.get("/contracts?status=pending").status_code == 200
    assert unread(person, "registration_to_review") == {}


def test_searching_the_registry_leaves_the_registration_notice_unread(client):
    person = auditor()
    services.notify_coalesced(person, "registration_to_review", link="/contracts?status=pending",
                              number="HT-1", registrant="甲", amount="1")
    db.session.commit()
    login(client, person.email)

    for path in ("/contracts", "/contracts?q=HT-1", "/contracts?status=pending&q=HT"):
        assert client.get(path).status_code == 200
    assert len(unread(person, "registration_to_review")) == 1
