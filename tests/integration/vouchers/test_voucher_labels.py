"""Words people read instead of raw values: role names, money in the expiry reminder."""
from datetime import timedelta
from html import unescape

import pytest

from marketplace.accounts.models import Role
from marketplace.core.labels import LABELS, label
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import rendered
from marketplace.vouchers import lifecycle
from tests.conftest import login
from tests.factories import FirmMemberFactory, UserFactory, make_programme, make_voucher


def test_every_role_has_a_name_of_its_own():
    unnamed = [role.value for role in Role if role.value not in LABELS]
    assert unnamed == []
    with_locale = {role: label(role) for role in Role}
    assert all(name != role.value for role, name in with_locale.items())


def test_the_admin_sees_role_names_not_codes_on_the_user_list(client):
    admin = UserFactory(role=Role.ADMIN)               # zh, the bureau's language
    UserFactory(role=Role.AUDITOR, name="Auditor Wu")
    UserFactory(role=Role.EXPERT, name="Expert Xu")
    db.session.commit()
    login(client, admin.email)
    shown = unescape(client.get("/admin/users").get_data(as_text=True))

    assert ">审核员<" in shown and ">专家<" in shown and ">管理员<" in shown
    for code in ("auditor", "expert", "admin", "supervisor"):
        assert f">{code}<" not in shown, code
    assert 'value="auditor"' in shown                  # the filter still sends the code


def test_the_role_filter_and_table_speak_english_to_an_english_admin(client):
    admin = UserFactory(role=Role.ADMIN, locale="en")
    FirmMemberFactory(name="Firm Person")
    db.session.commit()
    login(client, admin.email)
    shown = client.get("/admin/users").get_data(as_text=True)

    assert ">Firm member<" in shown and ">Agency member<" in shown
    assert ">Administrator<" in shown
    assert ">firm_member<" not in shown and ">agency_member<" not in shown


@pytest.mark.parametrize("role, name", [("supervisor", "复核员"), ("expert", "专家")])
def test_the_staff_home_names_the_role(client, role, name):
    person = UserFactory(role=Role(role))
    db.session.commit()
    login(client, person.email)
    shown = client.get("/").get_data(as_text=True)
    assert f"· {name}</p>" in shown
    assert f"· {role}</p>" not in shown


def test_the_expiry_reminder_states_the_balance_as_money():
    voucher = make_voucher(programme=make_programme(), amount_fen=123_456_78)
    db.session.commit()
    assert lifecycle.send_expiry_reminders(
        today=voucher.expires_on - timedelta(days=7)) == 1
    db.session.commit()

    [reminder] = db.session.query(Notification).filter_by(kind="voucher_expiring").all()
    assert reminder.params_dict["available"] == "¥123,456.78"
    _subject, body = rendered(reminder, "en")
    assert body == (f"Your innovation voucher expires on {voucher.expires_on.isoformat()} "
                    "with ¥123,456.78 still available. Unspent value returns to the "
                    "programme.")
