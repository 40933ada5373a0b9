"""The working-day calendar: the State Council's schedules as seeded, deadlines counted
across a National Day week and its make-up Saturday, the cache, the API."""
from datetime import date

import pytest

from marketplace.core import audit
from marketplace.core.audit_seal import seal
from marketplace.extensions import db
from marketplace.workdays import calendar, services
from marketplace.workdays.models import CalendarDay
from marketplace.workdays.official import SCHEDULES, official_days
from tests.factories import staff

D = date


def test_every_make_up_day_is_a_weekend_day_and_every_holiday_is_named():
    for year in SCHEDULES:
        days = official_days(year)
        assert len({day for day, *_ in days}) == len(days), year       # no date twice
        for day, working, name_zh, name_en in days:
            assert day.year == year and name_zh and name_en
            if working:
                assert day.weekday() >= 5, (day, name_zh)              # 调休: Sat or Sun


@pytest.mark.parametrize("day, working", [
    (D(2025, 9, 27), False),   # Saturday before National Day
    (D(2025, 9, 28), True),    # Sunday worked (调休)
    (D(2025, 10, 1), False), (D(2025, 10, 3), False), (D(2025, 10, 6), False),  # Monday off
    (D(2025, 10, 8), False),   # the eighth day, a Wednesday, off
    (D(2025, 10, 9), True),
    (D(2025, 10, 11), True),   # Saturday worked (调休)
    (D(2025, 10, 12), False),
    (D(2025, 1, 28), False), (D(2025, 2, 4), False), (D(2025, 1, 26), True),
    (D(2025, 2, 8), True),     # Spring Festival 2025 and its make-up days
    (D(2024, 10, 12), True), (D(2024, 9, 29), True), (D(2024, 10, 7), False),
    (D(2026, 2, 14), True), (D(2026, 2, 23), False), (D(2026, 2, 28), True),
    (D(2026, 1, 4), True), (D(2026, 10, 10), True), (D(2026, 9, 20), True),
    (D(2026, 10, 7), False), (D(2026, 10, 8), True),
    (D(2027, 10, 1), True),    # 2027 not published: Mon–Fri (a Friday)
])
def test_the_seeded_calendar_says_which_days_are_worked(day, working):
    assert calendar.is_working_day(day) is working


def test_ten_working_days_across_the_national_day_week_count_the_make_up_days():
    # Friday 26 September 2025: Sun 28 (调休), Mon 29, Tue 30, then 1–8 October off,
    # Thu 9, Fri 10, Sat 11 (调休), Mon 13, Tue 14, Wed 15, Thu 16
    assert calendar.working_days_after(D(2025, 9, 26), 10) == D(2025, 10, 16)
    assert calendar.working_days_after(D(2025, 9, 26), 3) == D(2025, 9, 30)
    assert calendar.working_days_after(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert calendar.working_days_between(D(2025, 9, 26), D(2025, 10, 11)) == 6
    assert calendar.working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0
    assert calendar.working_days_between(D(2025, 10, 9), D(2025, 10, 9)) == 0


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day():
    assert calendar.first_working_day_from(D(2025, 10, 4)) == D(2025, 10, 9)
    assert calendar.first_working_day_from(D(2025, 10, 11)) == D(2025, 10, 11)
    assert calendar.deadline_after(D(2025, 7, 3), 90) == D(2025, 10, 9)   # 1 Oct + 8 days


def test_the_calendar_is_read_once_and_forgotten_when_it_changes(app, monkeypatch):
    monkeypatch.setitem(app.config, "CALENDAR_CACHE_SECONDS", 300)
    calendar.forget()
    before = calendar.LOADS["count"]
    for _ in range(5):
        calendar.working_days_after(D(2025, 9, 26), 10)
    assert calendar.LOADS["count"] == before + 1
    admin = staff("admin")
    # the city declares Friday 17 October 2025 a holiday: the deadline moves by a day
    services.save_day(admin, day=D(2025, 10, 17), is_working=False, name_zh="市庆",
                      name_en="City day")
    db.session.commit()
    assert calendar.working_days_after(D(2025, 9, 26), 11) == D(2025, 10, 20)
    assert calendar.LOADS["count"] == before + 2


def test_a_change_rolled_back_keeps_the_calendar_as_it_was(app, monkeypatch):
    monkeypatch.setitem(app.config, "CALENDAR_CACHE_SECONDS", 300)
    services.save_day(staff("admin"), day=D(2025, 10, 17), is_working=False, name_zh="市庆",
                      name_en="City day")
    db.session.rollback()
    calendar.forget()
    assert calendar.is_working_day(D(2025, 10, 17))


def test_an_edit_is_audited_and_a_removed_day_follows_the_week_again():
    admin = staff("admin")
    listed = db.session.query(CalendarDay).filter_by(day=D(2025, 10, 11)).one()
    services.remove_day(admin, listed)
    db.session.commit()
    assert not calendar.is_working_day(D(2025, 10, 11))     # a Saturday again
    seal()
    assert audit.verify_chain() > 0


CSV = ("date,working,name_zh,name_en\n"
       "2027-01-01,holiday,元旦,New Year's Day\n"
       "2027-02-06,上班,春节调休上班,Make-up working day (Spring Festival)\n")


def test_a_csv_file_adds_days_in_either_language_and_encoding():
    admin = staff("admin")
    assert services.import_csv(admin, CSV.encode("utf-8-sig")) == 2
    db.session.commit()
    assert not calendar.is_working_day(D(2027, 1, 1))
    assert calendar.is_working_day(D(2027, 2, 6))            # a Saturday worked
    chinese = "日期,类型,名称,英文名称\n2027-01-01,休息,元旦假期,New Year holiday\n"
    assert services.import_csv(admin, chinese.encode("gb18030")) == 1
    db.session.commit()
    assert db.session.query(CalendarDay).filter_by(day=D(2027, 1, 1)).one().name_zh == "元旦假期"


def test_a_file_with_a_bad_row_imports_nothing_and_names_each_row():
    bad = CSV + "2027-02-30,holiday,x,x\n2027-03-01,maybe,x,x\n2027-01-01,holiday,重复,Again\n"
    with pytest.raises(services.CalendarImportRefused) as refused:
        services.import_csv(staff("admin"), bad.encode())
    rows = [error["row"] for error in refused.value.details["errors"]]
    assert rows == [4, 5, 6]
    db.session.rollback()
    assert calendar.is_working_day(D(2027, 1, 1))
    with pytest.raises(services.CalendarImportRefused):
        services.import_csv(staff("admin"), b"day,kind\n2027-01-01,holiday\n")


def test_the_api_lists_each_day_with_its_reason_in_the_requests_language(client):
    response = client.get("/api/v1/calendar?from=2025-09-27&to=2025-10-12",
                          headers={"Accept-Language": "zh"})
    assert response.status_code == 200
    days = {d["date"]: d for d in response.get_json()["days"]}
    assert len(days) == 16
    assert days["2025-09-28"] == {"date": "2025-09-28", "working": True,
                                  "reason": "国庆节、中秋节调休上班"}
    assert days["2025-10-01"]["working"] is False
    assert days["2025-10-01"]["reason"] == "国庆节、中秋节"
    assert days["2025-10-09"] == {"date": "2025-10-09", "working": True, "reason": "工作日"}
    assert days["2025-10-12"] == {"date": "2025-10-12", "working": False, "reason": "周末"}


@pytest.mark.parametrize("query", ["from=2025-10-02&to=2025-10-01",
                                   "from=2025-01-01&to=2026-01-02", "from=2025-13-01&to=x",
                                   "to=2025-10-01"])
def test_the_api_refuses_a_range_it_cannot_answer(client, query):
    response = client.get(f"/api/v1/calendar?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("query", ["from=9999-12-31&to=9999-12-31",
                                   "from=9999-12-01&to=9999-12-31"])
def test_the_api_answers_the_last_days_a_date_can_hold_without_a_server_error(client, query):
    # the day after 9999-12-31 cannot be made: listing up to it must not try to
    response = client.get(f"/api/v1/calendar?{query}")
    assert response.status_code == 200
    assert response.get_json()["days"][-1] == {"date": "9999-12-31", "working": True,
                                               "reason": "工作日"}


@pytest.mark.postgres
def test_a_day_added_twice_at_once_is_added_once(app):
    """A double click on "save" for a new day: both found the date free and the second
    insert broke its unique key, a 500. The second now waits and is told it is listed."""
    from marketplace.accounts.models import User
    from tests.support.races import at_once

    admin = staff("admin")
    db.session.commit()
    admin_id = admin.id

    def act(user):
        services.save_day(user, day=D(2030, 5, 20), is_working=False, name_zh="市庆",
                          name_en="City day")

    outcomes = at_once(app, [(lambda: (db.session.get(User, admin_id),), act)] * 2)
    assert sorted(outcomes) == ["ok", "validation_error"], outcomes
    db.session.expire_all()
    assert db.session.query(CalendarDay).filter_by(day=D(2030, 5, 20)).count() == 1
