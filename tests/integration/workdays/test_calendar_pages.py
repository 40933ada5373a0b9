"""The admin's calendar pages: a year's days, a day's form and removal, the CSV import
(refused whole with its rows named) and a year's CSV."""
import io
from datetime import date

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.workdays import calendar
from marketplace.workdays.models import CalendarDay
from tests.conftest import login
from tests.factories import FirmMemberFactory, UserFactory
from tests.integration.orders.order_world import committed, page_text


def admin_client(client):
    login(client, committed(UserFactory(role=Role.ADMIN, locale="en")).email)
    return client


def test_the_year_lists_its_holidays_and_make_up_days(client):
    shown = page_text(admin_client(client).get("/admin/calendar?year=2025"))
    assert 'data-day="2025-10-11" data-working="yes"' in shown
    assert 'data-day="2025-10-08" data-working="no"' in shown
    assert "National Day and Mid-Autumn Festival" in shown      # the English name


def test_the_admin_adds_edits_and_removes_a_day(client):
    admin_client(client)
    added = client.post("/admin/calendar/days/new", data={
        "day": "2026-12-31", "kind": "holiday", "name_zh": "市庆", "name_en": "City day"})
    assert added.status_code == 302 and added.location.endswith("year=2026")
    assert not calendar.is_working_day(date(2026, 12, 31))
    listed = db.session.query(CalendarDay).filter_by(day=date(2026, 12, 31)).one()
    refused = client.post(f"/admin/calendar/days/{listed.id}", data={
        "day": "2026-10-01", "kind": "holiday", "name_zh": "市庆", "name_en": "City day"})
    assert refused.status_code == 422                 # 1 October is listed already
    assert "市庆" in page_text(refused)
    unconfirmed = client.post(f"/admin/calendar/days/{listed.id}/remove", data={})
    assert unconfirmed.status_code == 422
    removed = client.post(f"/admin/calendar/days/{listed.id}/remove", data={"confirm": "y"})
    assert removed.status_code == 302
    assert calendar.is_working_day(date(2026, 12, 31))


def test_the_import_takes_a_good_file_and_refuses_a_bad_one_whole(client):
    admin_client(client)
    good = "date,working,name_zh,name_en\n2027-10-01,holiday,国庆节,National Day\n"
    response = client.post("/admin/calendar/import?year=2027", data={
        "file": (io.BytesIO(good.encode()), "2027.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert not calendar.is_working_day(date(2027, 10, 1))
    bad = good.replace("2027-10-01", "2027-10-04") + "2027-10-32,holiday,x,y\n"
    response = client.post("/admin/calendar/import?year=2027", data={
        "file": (io.BytesIO(bad.encode()), "2027.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "row 3" in page_text(response)
    assert calendar.is_working_day(date(2027, 10, 4))      # the good row went in neither
    csv_text = client.get("/admin/calendar/2027.csv").get_data(as_text=True)
    assert "2027-10-01,holiday,国庆节,National Day" in csv_text


def test_only_the_admin_keeps_the_calendar(client):
    login(client, committed(FirmMemberFactory()).email)
    assert client.get("/admin/calendar").status_code == 403
    assert client.get("/api/v1/calendar?from=2025-10-01&to=2025-10-02").status_code == 200


def test_a_new_day_on_a_date_already_listed_is_refused_not_written_over(client):
    """'Add a day' on 1 October (National Day, listed) must not silently turn the holiday
    into what was typed: the admin is sent to that entry, and the form keeps the text."""
    admin_client(client)
    refused = client.post("/admin/calendar/days/new", data={
        "day": "2026-10-01", "kind": "workday", "name_zh": "误录调休", "name_en": "Typo"})
    assert refused.status_code == 422
    assert "误录调休" in page_text(refused)
    assert not calendar.is_working_day(date(2026, 10, 1))
    listed = db.session.query(CalendarDay).filter_by(day=date(2026, 10, 1)).one()
    assert (listed.name_zh, listed.is_working) == ("国庆节", False)
