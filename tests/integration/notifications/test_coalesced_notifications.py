"""Work waiting in a staff queue: one unread notice per user and queue that counts the items
(and one mail), instead of a notice and a mail per item. Sequential here; two workers at
once in test_coalesced_concurrency.py."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.models import Notification, NotificationPreference
from marketplace.orders.models import ContractType
from marketplace.turnover.registry import review
from tests.conftest import login
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_application, make_programme)


def relay():
    """Commit, then run the outbox messages (and the mails they queue) in-process."""
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()


def notices(user, kind):
    return db.session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        .order_by(Notification.id)).scalars().all()


def auditor(email=None):
    fields = {"email": email} if email else {}
    return UserFactory(role=Role.AUDITOR, locale="en", **fields)


def test_applications_to_a_programme_make_one_counting_notice_and_one_mail_per_auditor(
        smtp_server):
    first, second = auditor("a1@bureau.example"), auditor("a2@bureau.example")
    programme = make_programme(name="2026 first call")
    firms = [FirmMemberFactory(locale="en") for _ in range(3)]
    for member in firms:
        make_application(programme, member)
    relay()
    for person in (first, second):
        [notice] = notices(person, "application_to_review")
        assert notice.read_dt is None and notice.params_dict["count"] == 3
        assert notice.link == f"/review/voucher-applications?programme={programme.id}"
        assert notice.params_dict["firm"] == firms[-1].organisation.name   # the latest
        subject, body = services.rendered(notice, "en")
        assert subject == "Voucher applications waiting for review in 2026 first call: 3 new"
        assert "since you last read this notice or opened the queue: 3." in body
        assert len(smtp_server.to(person.email)) == 1
    zh_subject, _body = services.rendered(notices(first, "application_to_review")[0], "zh")
    assert zh_subject == "「2026 first call」有 3 份新的科创券申请待审核"
    for member in firms:   # the firm's own receipt stays one per application
        assert len(notices(member, "application_received")) == 1


def test_once_read_the_next_application_starts_a_new_notice_and_a_new_mail(smtp_server):
    person = auditor("reader@bureau.example")
    programme = make_programme()
    make_application(programme)
    make_application(programme)
    relay()
    services.mark_read(person)
    [read] = notices(person, "application_to_review")
    read.read_dt -= services.MAIL_QUIET_PERIOD + timedelta(minutes=1)   # read a while ago
    make_application(programme)
    relay()
    old, new = notices(person, "application_to_review")
    assert old.read_dt is not None and old.params_dict["count"] == 2
    assert new.read_dt is None and new.params_dict["count"] == 1
    assert services.unread_count(person) == 1
    assert len(smtp_server.to("reader@bureau.example")) == 2


def test_an_auditor_at_work_on_the_queue_gets_a_new_notice_but_no_new_mail(smtp_server):
    """Each decision brings the auditor back to the queue, which reads its notice: the
    applications arriving meanwhile are counted in a new notice, not mailed one by one."""
    person = auditor("busy@bureau.example")
    programme = make_programme()
    make_application(programme)
    relay()
    services.mark_read(person)      # just now
    make_application(programme)
    make_application(programme)
    relay()
    old, new = notices(person, "application_to_review")
    assert new.read_dt is None and new.params_dict["count"] == 2
    assert new.emailed_dt is None
    assert len(smtp_server.to("busy@bureau.example")) == 1


def test_each_programme_has_its_own_notice():
    person = auditor()
    spring, autumn = make_programme(), make_programme()
    make_application(spring)
    make_application(autumn)
    make_application(spring)
    relay()
    counts = {n.link: n.params_dict["count"] for n in notices(person, "application_to_review")}
    assert counts == {f"/review/voucher-applications?programme={spring.id}": 2,
                      f"/review/voucher-applications?programme={autumn.id}": 1}


def test_a_counted_item_moves_the_notice_to_the_top_of_the_inbox():
    person = auditor()
    services.notify_coalesced(person, "agency_to_review", link="/registry/review", agency="甲")
    services.notify(person, "welcome", organisation="Bureau")
    services.notify_coalesced(person, "agency_to_review", link="/registry/review", agency="乙")
    db.session.commit()
    first = services.inbox_page(person, 1).items[0]
    assert first.kind == "agency_to_review"
    assert first.params_dict == {"agency": "乙", "count": 2}


def test_e_mail_turned_off_for_the_kind_keeps_the_counting_notice_without_mail(smtp_server):
    person = auditor("quiet@bureau.example")
    services.set_email_preferences(person, {"application_to_review": False},
                                   daily_digest=False)
    programme = make_programme()
    make_application(programme)
    make_application(programme)
    relay()
    [notice] = notices(person, "application_to_review")
    assert notice.params_dict["count"] == 2 and notice.emailed_dt is None
    assert smtp_server.to("quiet@bureau.example") == []


def test_a_digest_reader_gets_the_notice_once_in_the_digest_with_its_count(smtp_server):
    person = auditor("digest@bureau.example")
    services.set_email_preferences(person, {}, daily_digest=True)
    programme = make_programme(name="Digest call")
    for _ in range(4):
        make_application(programme)
    relay()
    assert smtp_server.to("digest@bureau.example") == []
    assert services.send_daily_digests() == 1
    db.session.commit()
    [digest] = smtp_server.to("digest@bureau.example")
    assert "Digest call: 4 new" in smtp_server.body(digest)
    make_application(programme)   # still unread: counted, not mailed again
    relay()
    [notice] = notices(person, "application_to_review")
    assert notice.params_dict["count"] == 5 and notice.emailed_dt is not None
    assert len(smtp_server.to("digest@bureau.example")) == 1


def test_agency_applications_make_one_counting_notice_per_auditor(smtp_server):
    person = auditor("registry@bureau.example")
    make_agency_profile(AgencyMemberFactory(), status="submitted", auditor=person)
    make_agency_profile(AgencyMemberFactory(), status="submitted", auditor=person)
    relay()
    [notice] = notices(person, "agency_to_review")
    assert notice.params_dict["count"] == 2
    assert notice.link == "/registry/review?status=submitted"
    assert len(smtp_server.to("registry@bureau.example")) == 1


def _register_by_hand(member, number):
    today = date.today()
    return review.register_by_hand(
        member, party="seller", counterparty="江西某某制造有限公司", contract_number=number,
        contract_type=ContractType.DEVELOPMENT, contract_amount_fen=1_000_000_00,
        technical_amount_fen=800_000_00, seller_district_id=member.organisation.district_id,
        seller_in_city=True, field_code="new_energy", signed_on=today - timedelta(days=5),
        registered_on=today)


def test_contract_registrations_make_one_counting_notice_per_auditor(smtp_server):
    person = auditor("contracts@bureau.example")
    member = AgencyMemberFactory(name="Registrant")
    _register_by_hand(member, "JX2026-0101")
    _register_by_hand(member, "JX2026-0102")
    relay()
    [notice] = notices(person, "registration_to_review")
    assert notice.params_dict["count"] == 2 and notice.params_dict["number"] == "JX2026-0102"
    assert notice.link == "/contracts?status=pending"
    subject, body = services.rendered(notice, "en")
    assert subject == "Contract registrations waiting for confirmation: 2 new"
    assert "Registrant registered contract JX2026-0102" in body
    assert len(smtp_server.to("contracts@bureau.example")) == 1


def test_a_notice_stored_before_the_kind_counted_still_renders_as_one_item():
    person = auditor()
    db.session.add(Notification(
        user_id=person.id, kind="application_to_review", link="/review/voucher-applications/7",
        params=json.dumps({"firm": "某企业", "programme": "2025", "amount": "¥1.00"})))
    db.session.flush()
    [notice] = notices(person, "application_to_review")
    subject, _body = services.rendered(notice, "en")
    assert subject == "Voucher applications waiting for review in 2025: 1 new"


def test_stored_preferences_for_a_kind_that_no_longer_exists_are_ignored(client):
    member = FirmMemberFactory(email="old-prefs@firm.example")
    db.session.add(NotificationPreference(user_id=member.id, kind="a_kind_since_removed",
                                          email_enabled=False))
    db.session.commit()
    assert "a_kind_since_removed" not in services.email_preferences(member)
    login(client, "old-prefs@firm.example")
    assert client.get("/profile").status_code == 200
    saved = client.post("/profile/notifications", data={"email_group": ["orders"]})
    assert saved.status_code == 302
    assert services.email_preferences(member)["order_requested"] is True


def test_only_queue_kinds_are_coalesced():
    with pytest.raises(KeyError):
        services.notify_coalesced(auditor(), "claim_to_review", link="/claims/1")
