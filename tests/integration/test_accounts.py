"""Registration, sign-in, password reset, invitations: as people use them."""
import re
from datetime import date

import pytest

from marketplace.accounts import change_requests, uscc
from marketplace.accounts.models import District, FirmTier, Organisation, Role, User
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmFactory, FirmMemberFactory, UserFactory
from tests.support.identity import certify, resident_id


def _wrong_check_code():
    good = uscc.make("91360106MA35X0001")
    return good[:17] + ("0" if good[17] != "0" else "1")


def _registration(**overrides):
    district = db.session.query(District).first()
    data = {
        "kind": "firm", "name": "南昌测试科技有限公司", "credit_code": uscc.make("91360106MA35X0001"),
        "legal_representative": "赵六", "registered_address": "南昌市东湖区测试路1号",
        "contact_phone": "0791-12345678", "district_id": str(district.id),
        "legal_representative_id_kind": "resident_id",
        "legal_representative_id_number": resident_id(7),
        "bank_name": "中国工商银行南昌东湖支行", "bank_cnaps_code": "102421000011",
        "bank_account": "6222 0000 1111", "firm_tier": "tech_sme", "owner_name": "赵六",
        "certificate_number": "GR202436000777", "certificate_valid_from": "2024-12-01",
        "certificate_valid_to": f"{date.today().year + 2}-11-30",
        "email": "zhao@example.com",
    }
    data.update(overrides)
    return data


def test_a_firm_registers_chooses_its_password_by_the_mailed_link_and_lands_home(
        client, smtp_server):
    response = client.post("/register", data=_registration())
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    user = db.session.query(User).filter_by(email="zhao@example.com").one()
    assert user.role == Role.FIRM_MEMBER and user.is_owner
    organisation = user.organisation
    assert organisation.contact_phone_key == "+8679112345678"
    version = organisation.current_version
    assert (version.number, version.bank_name, version.bank_cnaps_code) == (
        1, "中国工商银行南昌东湖支行", "102421000011")
    (representative,) = version.people
    assert representative.id_number_masked == resident_id(7)[:4] + "*" * 10 + \
        resident_id(7)[-4:]
    assert resident_id(7) not in str(representative.id_number_hash)
    # the tier the firm declared is not on the lists: an auditor checks its certificate
    assert organisation.firm_tier is None
    request = change_requests.pending_request(organisation)
    assert request.certificate_number == "GR202436000777"
    assert request.proposal["facts"]["firm_tier"] == "tech_sme"
    actions = {r.action for r in db.session.query(AuditRecord)}
    assert {"register", "create"} <= actions
    [mail] = [m for m in smtp_server.to("zhao@example.com")
              if "/password/reset/" in smtp_server.body(m)]
    path = re.search(r"http://localhost(/password/reset/\S+)", smtp_server.body(mail)).group(1)
    assert client.post(path, data={"password": "longenough-7x", "confirm": "longenough-7x"}
                       ).status_code == 302
    login(client, "zhao@example.com", "longenough-7x")
    home = client.get("/")
    assert "南昌测试科技有限公司" in home.get_data(as_text=True)


def test_a_wrong_credit_code_is_refused_and_the_form_keeps_what_was_typed(client):
    response = client.post("/register", data=_registration(credit_code=_wrong_check_code()))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "(check) character" in page or "校验" in page  # the reason, in the user's language
    assert 'value="南昌测试科技有限公司"' in page and 'value="南昌市东湖区测试路1号"' in page
    assert db.session.query(Organisation).count() == 0


def test_the_credit_code_error_is_in_english_for_english_readers(client):
    client.post("/language", data={"locale": "en", "next": "/register"})
    page = client.post("/register", data=_registration(credit_code=_wrong_check_code())) \
        .get_data(as_text=True)
    assert "check" in page and "character" in page


def test_a_firm_on_the_certification_lists_has_its_tier_at_once(client):
    organisation = FirmFactory.build(uscc=uscc.make("91360106MA35X0001"), name="南昌测试科技有限公司")
    certify(organisation, FirmTier.HIGH_TECH, number="GR2024360001")
    db.session.commit()
    response = client.post("/register", data=_registration(certificate_number=""))
    assert response.status_code == 302
    firm = db.session.query(Organisation).one()
    assert firm.firm_tier == FirmTier.HIGH_TECH       # the list's, not the declared tier
    assert firm.current_version.tier_certificate.certificate_number == "GR2024360001"
    assert change_requests.pending_request(firm) is None


def test_a_declared_tier_without_a_certificate_is_refused(client):
    page = client.post("/register", data=_registration(certificate_number=""))
    assert page.status_code == 200
    assert "certificate" in page.get_data(as_text=True) or "证书" in page.get_data(as_text=True)
    assert db.session.query(Organisation).count() == 0


def test_the_legal_representatives_identity_number_is_checked(client):
    wrong = resident_id(7)[:17] + ("1" if resident_id(7)[17] != "1" else "2")
    page = client.post("/register", data=_registration(legal_representative_id_number=wrong))
    assert page.status_code == 200 and db.session.query(Organisation).count() == 0


def test_registration_of_a_barred_organisation_is_refused(client, app):
    from marketplace.integrity import barred

    barred.add_entry(UserFactory(), subject="organisation", name="南昌测试科技有限公司",
                     uscc=uscc.make("91360106MA35X0001"), reason="虚报冒领补助资金",
                     source="信用中国（江西）", listed_from=date(2025, 1, 1))
    db.session.commit()
    page = client.post("/register", data=_registration())
    assert page.status_code == 200 and "虚报" not in page.get_data(as_text=True)
    assert db.session.query(Organisation).count() == 0


def test_registration_whose_legal_representative_is_barred_is_refused(client):
    from marketplace.integrity import barred

    barred.add_entry(UserFactory(), subject="person", name="赵六", id_kind="resident_id",
                     id_number=resident_id(7), reason="虚报冒领补助资金",
                     source="信用中国（江西）", listed_from=date(2025, 1, 1))
    db.session.commit()
    page = client.post("/register", data=_registration())
    assert page.status_code == 200 and "虚报" not in page.get_data(as_text=True)
    assert db.session.query(Organisation).count() == 0 and \
        db.session.query(User).filter_by(email="zhao@example.com").count() == 0


def test_an_agency_needs_no_tier(client):
    response = client.post("/register", data=_registration(kind="agency", firm_tier=""))
    assert response.status_code == 302
    org = db.session.query(Organisation).one()
    assert org.is_agency and org.firm_tier is None


def test_a_firm_must_choose_its_tier(client):
    response = client.post("/register", data=_registration(firm_tier=""))
    assert response.status_code == 200
    assert db.session.query(Organisation).count() == 0


def test_an_email_can_register_only_once(client, smtp_server):
    FirmMemberFactory(email="zhao@example.com")
    db.session.commit()
    response = client.post("/register", data=_registration())
    assert response.status_code == 302
    assert db.session.query(Organisation).count() == 1


def test_a_wrong_password_does_not_say_which_part_is_wrong(client):
    FirmMemberFactory(email="a@example.com")
    db.session.commit()
    for email in ("a@example.com", "nobody@example.com"):
        page = client.post("/login", data={"email": email, "password": "wrong-password"})
        assert page.status_code == 200
        assert "不正确" in page.get_data(as_text=True) or "not right" in page.get_data(as_text=True)


def test_login_renews_the_session_and_logout_ends_it(client):
    FirmMemberFactory(email="a@example.com")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, "a@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get("/profile").status_code == 200
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_changing_the_password_signs_out_other_devices(app):
    FirmMemberFactory(email="a@example.com")
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "a@example.com")
    login(phone, "a@example.com")
    response = laptop.post("/profile/password", data={
        "pw-current_password": "password123", "pw-password": "new-password-1",
        "pw-confirm": "new-password-1"})
    assert response.status_code == 302
    assert laptop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302


def test_password_reset_by_an_emailed_link(client, smtp_server):
    FirmMemberFactory(email="a@example.com", locale="en")
    db.session.commit()
    client.post("/password/forgot", data={"email": "a@example.com"})
    [mail] = smtp_server.to("a@example.com")
    assert mail["Subject"] == "Reset your password"
    link = re.search(r"http://\S+/password/reset/\S+", smtp_server.body(mail)).group(0)
    path = link.split("localhost", 1)[1]
    response = client.post(path, data={"password": "brand-new-pw", "confirm": "brand-new-pw"})
    assert response.status_code == 302
    login(client, "a@example.com", "brand-new-pw")
    # The link worked once; the changed password makes it useless now.
    assert client.get(path).status_code == 302
    assert client.post(path, data={"password": "x" * 10, "confirm": "x" * 10}).status_code == 302


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, smtp_server):
    response = client.post("/password/forgot", data={"email": "ghost@example.com"})
    assert response.status_code == 302
    assert smtp_server.messages == []


def test_an_expired_reset_link_is_refused(app, client):
    from marketplace.accounts.services import make_reset_token
    user = FirmMemberFactory(email="a@example.com")
    db.session.commit()
    token = make_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert client.get(f"/password/reset/{token}").status_code == 302
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_an_owner_invites_a_colleague_who_joins_the_organisation(app, smtp_server):
    owner = FirmMemberFactory(email="owner@example.com")
    db.session.commit()
    owner_client = app.test_client()
    login(owner_client, "owner@example.com")
    response = owner_client.post("/organisation/invitations",
                                 data={"inv-email": "new@example.com"})
    assert response.status_code == 302
    [mail] = smtp_server.to("new@example.com")
    path = re.search(r"/invitations/\S+", smtp_server.body(mail)).group(0)
    newcomer = app.test_client()
    response = newcomer.post(path, data={"name": "New Person", "password": "welcome-123",
                                         "confirm": "welcome-123"})
    assert response.status_code == 302
    member = db.session.query(User).filter_by(email="new@example.com").one()
    assert member.organisation_id == owner.organisation_id and not member.is_owner
    assert member.role == Role.FIRM_MEMBER
    assert newcomer.post(path, data={"name": "Again", "password": "welcome-123",
                                     "confirm": "welcome-123"}).status_code == 302
    assert db.session.query(User).filter_by(organisation_id=owner.organisation_id).count() == 2


def test_a_member_who_is_not_owner_cannot_invite(client):
    FirmMemberFactory(email="member@example.com", is_owner=False)
    db.session.commit()
    login(client, "member@example.com")
    assert client.post("/organisation/invitations",
                       data={"inv-email": "x@example.com"}).status_code == 403


def test_the_admin_creates_staff_and_the_cli_does_too(app, client):
    UserFactory(email="admin@example.com", role=Role.ADMIN)
    db.session.commit()
    login(client, "admin@example.com")
    response = client.post("/admin/users/new", data={
        "email": "aud@example.com", "name": "Aud", "role": "auditor",
        "password": "auditor-pw-1"})
    assert response.status_code == 302
    result = app.test_cli_runner().invoke(args=["users", "create", "sup@example.com", "--role",
                                                "supervisor", "--password", "super-pw-1"])
    assert result.exit_code == 0, result.output
    roles = {u.email: u.role for u in db.session.query(User)}
    assert roles["aud@example.com"] == Role.AUDITOR
    assert roles["sup@example.com"] == Role.SUPERVISOR


def test_the_admin_edits_the_district_table(client):
    UserFactory(email="admin@example.com", role=Role.ADMIN)
    db.session.commit()
    login(client, "admin@example.com")
    response = client.post("/admin/districts/new", data={
        "code": "new_zone", "name_zh": "新区测试", "name_en": "Test Zone", "sort_order": "5",
        "is_active": "y"})
    assert response.status_code == 302
    assert db.session.query(District).filter_by(code="new_zone").one().name_en == "Test Zone"
    clash = client.post("/admin/districts/new", data={
        "code": "new_zone", "name_zh": "别的", "name_en": "Other", "sort_order": "1"})
    assert clash.status_code == 200 and "新区测试" not in clash.get_data(as_text=True)


@pytest.mark.parametrize("locale, text", [("zh", "登录"), ("en", "Sign in")])
def test_the_login_page_speaks_both_languages(client, locale, text):
    client.post("/language", data={"locale": locale, "next": "/login"})
    assert text in client.get("/login").get_data(as_text=True)


def test_a_password_reset_revokes_the_accounts_api_tokens(client):
    """A reset is how an owner takes back an account someone else got into: a token that
    someone made meanwhile stops with the sessions, as the sessions do."""
    from marketplace.accounts.models import ApiToken
    from marketplace.accounts.services import make_reset_token
    from tests.support.api import token_for

    user = FirmMemberFactory(email="a@example.com")
    db.session.commit()
    headers = token_for(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = make_reset_token(user)
    response = client.post(f"/password/reset/{token}",
                           data={"password": "brand-new-pw-7", "confirm": "brand-new-pw-7"})
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert all(t.revoked_dt is not None for t in db.session.query(ApiToken))


def test_registration_refuses_two_phone_numbers_in_one_field(app):
    from marketplace.accounts import uscc
    from marketplace.accounts.models import Organisation
    from tests.integration.security.test_registration_enumeration import registration

    client = app.test_client()
    client.post("/language", data={"locale": "en", "next": "/"})
    data = registration("two-phones@example.com", uscc.make("12360100PHQN00001"))
    data["contact_phone"] = "0791-88880001 13800138000"
    response = client.post("/register", data=data)
    assert response.status_code in (200, 422)
    assert "Not a phone number" in response.get_data(as_text=True)
    assert db.session.query(Organisation).filter_by(uscc=data["credit_code"]).count() == 0
