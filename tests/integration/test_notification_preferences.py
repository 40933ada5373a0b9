"""Per-user notification preferences: e-mail per group of kinds, and a daily digest
instead of single mails. The inbox row is always written; every mail goes out once."""
from datetime import timedelta

from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.tasks import NIGHTLY_JOBS
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.messages import kinds_of_group
from marketplace.notifications.models import Notification, SentMail
from tests.conftest import login
from tests.factories import FirmMemberFactory


def relay():
    db.session.commit()
    outbox.relay_pending()
    db.session.expire_all()


def inbox_kinds(user):
    return [n.kind for n in db.session.execute(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id)).scalars()]


def test_by_default_a_notification_is_mailed_once(smtp_server):
    user = FirmMemberFactory(email="default@firm.example", locale="en")
    services.notify(user, "member_joined", name="Li", organisation="Firm")
    relay()
    outbox.relay_pending()
    assert inbox_kinds(user) == ["member_joined"]
    assert len(smtp_server.to("default@firm.example")) == 1


def test_a_kind_turned_off_stays_in_the_inbox_without_mail(smtp_server):
    user = FirmMemberFactory(email="quiet@firm.example", locale="en")
    services.set_email_preferences(user, {"member_joined": False}, daily_digest=False)
    services.notify(user, "member_joined", name="Li", organisation="Firm")
    services.notify(user, "welcome", organisation="Firm")
    relay()
    assert inbox_kinds(user) == ["member_joined", "welcome"]
    [mail] = smtp_server.to("quiet@firm.example")
    assert "Welcome" in mail["Subject"]


def test_the_daily_digest_sends_one_mail_with_every_item_and_a_rerun_sends_nothing(
        smtp_server):
    user = FirmMemberFactory(email="digest@firm.example", locale="en")
    other = FirmMemberFactory(email="single@firm.example", locale="en")
    services.set_email_preferences(user, {}, daily_digest=True)
    services.notify(user, "member_joined", name="Li Wei", organisation="Firm")
    services.notify(user, "claim_disbursed", claim=7, amount="¥1,000.00")
    services.notify(other, "welcome", organisation="Firm")
    relay()
    assert inbox_kinds(user) == ["member_joined", "claim_disbursed"]
    assert smtp_server.to("digest@firm.example") == []  # no single mails
    assert len(smtp_server.to("single@firm.example")) == 1

    assert services.send_daily_digests in NIGHTLY_JOBS
    assert services.send_daily_digests() == 1
    db.session.commit()
    [digest] = smtp_server.to("digest@firm.example")
    body = smtp_server.body(digest)
    assert "Li Wei joined Firm." in body and "Claim #7 paid" in body
    assert all(n.emailed_dt is not None for n in db.session.execute(
        select(Notification).where(Notification.user_id == user.id)).scalars())

    assert services.send_daily_digests() == 0  # the rerun
    db.session.commit()
    assert len(smtp_server.to("digest@firm.example")) == 1
    assert len(smtp_server.to("single@firm.example")) == 1
    keys = db.session.execute(select(SentMail.dedupe_key)).scalars().all()
    assert sum(key.startswith("digest:") for key in keys) == 1


def test_what_comes_after_the_days_digest_waits_for_the_next_one(smtp_server):
    user = FirmMemberFactory(email="twice@firm.example", locale="zh")
    services.set_email_preferences(user, {}, daily_digest=True)
    services.notify(user, "welcome", organisation="甲公司")
    relay()
    at = now_utc()
    assert services.send_daily_digests(at=at) == 1
    services.notify(user, "member_joined", name="李伟", organisation="甲公司")
    relay()
    assert services.send_daily_digests(at=at + timedelta(seconds=5)) == 0  # same day key
    db.session.commit()
    [digest] = smtp_server.to("twice@firm.example")
    assert "甲公司" in smtp_server.body(digest) and "李伟" not in smtp_server.body(digest)
    assert services.send_daily_digests(at=at + timedelta(days=1)) == 1  # the next day
    assert services.send_daily_digests(at=at + timedelta(days=1, seconds=5)) == 0
    db.session.commit()
    first, second = smtp_server.to("twice@firm.example")
    assert "李伟" in smtp_server.body(second) and "欢迎" not in smtp_server.body(second)


def test_the_profile_form_saves_and_shows_the_choices(client):
    user = FirmMemberFactory(email="form@firm.example", locale="en")
    db.session.commit()
    login(client, "form@firm.example")
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="orders" id="email-group-orders" checked' in page
    assert 'id="daily-digest">' in page

    response = client.post("/profile/notifications",
                           data={"email_group": ["account", "vouchers", "registry"],
                                 "daily_digest": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.wants_digest(user)
    assert not services.wants_email(user, "order_paid")
    assert not services.wants_email(user, "claim_approved")
    assert services.wants_email(user, "welcome")
    assert all(not services.wants_email(user, k) for k in kinds_of_group("claims"))

    page = client.get("/profile").get_data(as_text=True)
    assert 'value="orders" id="email-group-orders">' in page
    assert 'value="account" id="email-group-account" checked' in page
    assert 'id="daily-digest" checked' in page

    client.post("/profile/notifications", data={"email_group": ["orders"]})
    db.session.expire_all()
    assert not services.wants_digest(user) and services.wants_email(user, "order_paid")
    assert not services.wants_email(user, "welcome")


def test_a_name_with_line_breaks_stays_on_one_line_of_the_mail(smtp_server):
    """A name is typed by its owner; a crafted one ("Li\\r\\n\\r\\nPay the fee to …") must
    not start a paragraph of its own in the bureau's mail, nor a header."""
    user = FirmMemberFactory(email="lines@firm.example", locale="en")
    crafted = "Li\r\nBcc: all@evil.example\r\n\r\nPay the 500 yuan fee to account 6222 0001"
    services.notify(user, "member_joined", name=crafted, organisation="Firm\nLtd")
    relay()
    [mail] = smtp_server.to("lines@firm.example")
    assert mail["Bcc"] is None and "evil" not in (mail["Subject"] or "")
    body = smtp_server.body(mail)
    line = next(text for text in body.splitlines() if "joined" in text)
    assert "Li Bcc: all@evil.example Pay the 500 yuan fee to account 6222 0001" in line
    assert "Firm Ltd" in line
    assert not any(text.startswith("Pay the") for text in body.splitlines())
