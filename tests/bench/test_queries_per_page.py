"""Scenario 7 of the benchmarks (issue 10): every list page issues a bounded number of
SQL statements, whatever the size of what it lists: at most 8 with 20 rows and with
200 (the page shows 20 of them). Statements are counted with SQLAlchemy's
``before_cursor_execute`` event over one request (the signed-in user's load included),
after a first request has warmed the caches. A page that loads a relationship per row
(N+1) fails at 200 rows."""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from bench import data
from marketplace.accounts.models import OrganisationKind, Role, User
from marketplace.core import outbox
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (TEST_PASSWORD, AgencyMemberFactory, FirmMemberFactory,
                             UserFactory, make_agency_profile, make_offering,
                             make_programme)

MAX_STATEMENTS = 8
SIZES = (20, 200)


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(client, path, user=None):
    """Statements of one GET of ``path`` (as ``user``), and the page's text."""
    if user is not None:
        login(client, user.email)
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return statements, response.get_data(as_text=True)


def committed(value=None):
    db.session.commit()
    outbox._committed_ids.set(None)
    return value


def assert_bounded(statements, path, rows):
    print(f"statements: {path} with {rows} rows: {len(statements)}")
    assert len(statements) <= MAX_STATEMENTS, (
        f"{path} with {rows} rows issued {len(statements)} statements:\n"
        + "\n".join(s.split(" FROM ")[0][:60] + " FROM " + s.split(" FROM ")[1][:60]
                    if " FROM " in s else s[:120] for s in statements))


def staff_user(role):
    return UserFactory(role=Role(role), password_hash=_hash())


def _hash():
    from tests.factories import password_hash
    return password_hash(TEST_PASSWORD)


def agencies(n, status):
    orgs = data.organisations(n, OrganisationKind.AGENCY)
    data.agency_profiles(orgs, status)
    return orgs


# --- the pages -----------------------------------------------------------------------

@pytest.mark.parametrize("rows", SIZES)
def test_catalogue_search_page(client, rows):
    orgs = agencies(max(2, rows // 10), "admitted")
    data.offerings(orgs, rows)
    committed()
    statements, page = statements_for(client, "/catalogue?q=%E6%A3%80%E6%B5%8B")
    assert len(set(re.findall(r'href="/offerings/(\d+)"', page))) == 20
    assert_bounded(statements, "/catalogue", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_agency_page_and_the_agencys_own_offerings(client, rows):
    member = AgencyMemberFactory(password_hash=_hash())
    profile = make_agency_profile(member)
    data.offerings([profile.organisation_id], rows)
    committed()
    path = f"/agencies/{profile.organisation_id}"
    statements, page = statements_for(client, path)
    assert len(set(re.findall(r'href="/offerings/(\d+)"', page))) == 20
    assert_bounded(statements, path, rows)
    statements, _page = statements_for(client, "/my/offerings", member)
    assert_bounded(statements, "/my/offerings", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_moderation_queue(client, rows):
    data.offerings(agencies(max(2, rows // 10), "admitted"), rows, needs_check=True)
    auditor = committed(staff_user("auditor"))
    statements, _page = statements_for(client, "/moderation/offerings", auditor)
    assert_bounded(statements, "/moderation/offerings", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_registry_lists(client, rows):
    agencies(rows, "public_notice")
    agencies(rows, "submitted")
    auditor = committed(staff_user("auditor"))
    statements, _page = statements_for(client, "/registry/notices")
    assert_bounded(statements, "/registry/notices", rows)
    for path in ("/registry/review", "/registry/agencies"):
        statements, _page = statements_for(client, path, auditor)
        assert_bounded(statements, path, rows)


@pytest.mark.parametrize("rows", SIZES)
def test_voucher_application_review_queue(client, rows):
    from marketplace.vouchers import services
    programme = make_programme()
    for _org, user_id, _token in data.firm_members(rows):
        member = db.session.get(User, user_id)
        services.apply_for_voucher(firm=member.organisation, applicant=member,
                                   programme=programme, requested_fen=100_000_00,
                                   purpose="检测服务与工艺改进", declares_no_double_funding=True)
    auditor = committed(staff_user("auditor"))
    statements, _page = statements_for(client, "/review/voucher-applications", auditor)
    assert_bounded(statements, "/review/voucher-applications", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_orders_list(client, rows):
    from marketplace.orders import services
    offering = make_offering()
    member = FirmMemberFactory(password_hash=_hash())
    for _ in range(rows):
        services.request_order(firm_member=member, offering=offering, message="请按报价提供服务")
    committed()
    statements, _page = statements_for(client, "/orders", member)
    assert_bounded(statements, "/orders", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_inbox(client, rows):
    from marketplace.notifications.models import Notification
    member = FirmMemberFactory(password_hash=_hash())
    db.session.flush()
    db.session.execute(insert(Notification), [
        dict(user_id=member.id, kind="welcome", params='{"organisation": "测试企业"}',
             link="/vouchers", created_dt=now_utc()) for _ in range(rows)])
    committed()
    statements, _page = statements_for(client, "/inbox/", member)
    assert_bounded(statements, "/inbox/", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_admin_users(client, rows):
    data.firm_members(rows)
    admin = committed(staff_user("admin"))
    statements, _page = statements_for(client, "/admin/users", admin)
    assert_bounded(statements, "/admin/users", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_change_requests_queue(client, rows):
    from marketplace.accounts import change_requests, versions
    for _org, user_id, _token in data.firm_members(rows):
        member = db.session.get(User, user_id)
        proposal = versions.proposal_of(versions.current_version(member.organisation))
        proposal["facts"]["contact_phone"] = f"0791-8{user_id:07d}"
        change_requests.submit(member.organisation, member, facts=proposal["facts"],
                               people=proposal["people"], reason="新联系电话")
    auditor = committed(staff_user("auditor"))
    statements, page = statements_for(client, "/identity/changes", auditor)
    assert page.count("data-request=") == 20
    assert_bounded(statements, "/identity/changes", rows)


@pytest.mark.parametrize("rows", SIZES)
def test_integrity_list(client, rows):
    from datetime import date

    from marketplace.integrity import barred
    auditor = staff_user("auditor")
    for org_id in data.organisations(rows, OrganisationKind.FIRM):
        organisation = db.session.get(data.Organisation, org_id)
        barred.add_entry(auditor, subject="organisation", name=organisation.name,
                         uscc=organisation.uscc, reason="虚报冒领", source="信用中国",
                         listed_from=date(2025, 1, 1))
    committed()
    statements, page = statements_for(client, "/integrity/list", auditor)
    assert page.count("data-entry=") == min(rows, 30)          # the list's page
    assert_bounded(statements, "/integrity/list", rows)
