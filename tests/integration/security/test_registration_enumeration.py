"""Registration reveals no account: a taken e-mail gets the same answer as a new one
(status, redirect, message), its owner is told by mail, and /register is rate-limited."""
import re

from marketplace.accounts import uscc
from marketplace.accounts.models import District, Organisation, User
from marketplace.extensions import db
from tests.factories import FirmMemberFactory
from tests.support.identity import resident_id


def registration(email, code):
    district = db.session.query(District).first()
    return {"kind": "agency", "name": f"测试机构 {code[-4:]}", "credit_code": code,
            "legal_representative": "钱七", "registered_address": "南昌市西湖区测试路2号",
            "contact_phone": "0791-87654321", "district_id": str(district.id),
            "legal_representative_id_kind": "resident_id",
            "legal_representative_id_number": resident_id(sum(map(ord, code)) % 900 + 1),
            "owner_name": "钱七", "email": email}


def answer(client, email, code):
    response = client.post("/register", data=registration(email, code))
    shown = client.get(response.headers.get("Location", "/login")).get_data(as_text=True)
    flash = re.search(r"We have sent a message to [^:]+: open its link[^<]*", shown)
    return response.status_code, response.headers.get("Location"), \
        flash.group(0).replace(email, "EMAIL") if flash else None


def test_a_taken_email_gets_the_same_answer_as_a_new_one_and_its_owner_a_mail(
        app, smtp_server):
    FirmMemberFactory(email="taken@example.com", name="Owner", locale="en")
    db.session.commit()
    client = app.test_client()
    client.post("/language", data={"locale": "en", "next": "/"})
    taken = answer(client, "taken@example.com", uscc.make("12360100ENUM00001"))
    new = answer(client, "new@example.com", uscc.make("12360100ENUM00002"))
    assert taken == new and taken[0] == 302 and taken[2], (taken, new)

    [attempt] = smtp_server.to("taken@example.com")
    assert attempt["Subject"] == "Someone tried to register with your address"
    assert "/password/forgot" in smtp_server.body(attempt)
    subjects = [mail["Subject"] for mail in smtp_server.to("new@example.com")]
    assert "Choose your password" in subjects, subjects
    assert db.session.query(Organisation).count() == 2          # the taken one made none
    assert db.session.query(User).filter_by(email="taken@example.com").one().name == "Owner"


def test_a_taken_credit_code_is_still_refused_on_the_form_either_way(app):
    FirmMemberFactory(email="taken@example.com")
    db.session.commit()
    code = db.session.query(Organisation).one().uscc
    client = app.test_client()
    for email in ("taken@example.com", "fresh@example.com"):
        response = client.post("/register", data=registration(email, code))
        assert response.status_code == 200
    assert db.session.query(User).count() == 1


def test_registration_is_rate_limited_per_address(limited_app):
    client = limited_app.test_client()
    limit = int(limited_app.config["REGISTER_RATE_LIMIT"].split()[0])
    for attempt in range(limit):
        response = client.post("/register", data={"email": f"x{attempt}@example.com"},
                               environ_overrides={"REMOTE_ADDR": "192.0.2.9"})
        assert response.status_code == 200, attempt          # the form's errors
    refused = client.post("/register", data={"email": "y@example.com"},
                          environ_overrides={"REMOTE_ADDR": "192.0.2.9"})
    assert refused.status_code == 429
    assert client.get("/register", environ_overrides={"REMOTE_ADDR": "192.0.2.9"}
                      ).status_code == 200
    assert client.post("/register", data={"email": "z@example.com"},
                       environ_overrides={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
