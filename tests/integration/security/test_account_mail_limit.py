"""Anyone may ask for a password reset, or register with a taken address, and the
account's owner is mailed each time. From many addresses that was a way to flood an
inbox with the platform's own mails; the account now gets at most ACCOUNT_MAIL_LIMIT of
them, and the answer to the asker stays the same (it reveals no account)."""
from marketplace.accounts import uscc
from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.integration.security.test_registration_enumeration import registration


def test_reset_mails_to_one_account_are_limited_from_any_address(limited_app, smtp_server):
    FirmMemberFactory(email="victim@example.com", locale="en")
    db.session.commit()
    limit = int(limited_app.config["ACCOUNT_MAIL_LIMIT"].split()[0])
    client = limited_app.test_client()
    answers = {client.post("/password/forgot", data={"email": "victim@example.com"},
                           environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code
               for n in range(limit + 3)}
    assert answers == {302}
    assert len(smtp_server.to("victim@example.com")) == limit


def test_registration_attempt_mails_to_one_account_are_limited(limited_app, smtp_server):
    FirmMemberFactory(email="taken@example.com", locale="en")
    db.session.commit()
    limit = int(limited_app.config["ACCOUNT_MAIL_LIMIT"].split()[0])
    client = limited_app.test_client()
    for n in range(limit + 2):
        response = client.post("/register", data=registration(
            "taken@example.com", uscc.make(f"12360100MQLT000{n:02d}")),
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert response.status_code == 302
    assert len(smtp_server.to("taken@example.com")) == limit
