"""Working days from the calendar: every deadline counted in working days asks here.

A day is a working day when the calendar lists it as a make-up working day (调休上班), or
when it is Monday to Friday and the calendar does not list it as a holiday.

The calendar's exceptions (a few dozen rows a year) are read whole and kept in each
process for ``CALENDAR_CACHE_SECONDS`` (default 300): the review deadlines are counted for
every claim on every queue page and nightly run, and the table changes a few times a
year. A change made in this process clears its copy when it commits; another process sees
it within that time (a deadline is computed when a stage starts and then stored, so a
change can only affect stages started in those minutes). 0 reads the table at each call.
"""
import threading
import time
from collections import namedtuple
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marketplace.extensions import db

_LOCK = threading.Lock()
_CACHE = {"loaded_at": None, "days": None}
_CHANGED = "calendar_changed"
LOADS = {"count": 0}   # how often the table was read (the cache's test reads it)


Listed = namedtuple("Listed", "is_working name_zh name_en")


def forget():
    """Drop this process's copy: the next look-up reads the table."""
    with _LOCK:
        _CACHE["loaded_at"] = _CACHE["days"] = None


def _load():
    from marketplace.workdays.models import CalendarDay

    LOADS["count"] += 1
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_working,
                                     CalendarDay.name_zh, CalendarDay.name_en)).all()
    return {row.day: Listed(row.is_working, row.name_zh, row.name_en) for row in rows}


def listed_days():
    """``{date: Listed}`` of every day the calendar lists."""
    seconds = current_app.config.get("CALENDAR_CACHE_SECONDS", 300)
    now = time.monotonic()
    with _LOCK:
        loaded_at, days = _CACHE["loaded_at"], _CACHE["days"]
    if days is not None and seconds > 0 and now - loaded_at < seconds:
        return days
    days = _load()
    with _LOCK:
        _CACHE["loaded_at"], _CACHE["days"] = now, days
    return days


def mark_changed():
    """Called by the services that change the calendar: forget the copy at commit."""
    db.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session):
    if session.info.pop(_CHANGED, False):
        forget()


@event.listens_for(Session, "after_soft_rollback")
def _keep_after_rollback(session, _previous):
    session.info.pop(_CHANGED, None)


def _working(day, days):
    listed = days.get(day)
    if listed is not None:
        return listed.is_working
    return day.weekday() < 5


def is_working_day(day):
    return _working(day, listed_days())


def working_days_after(start, count):
    """The day ``count`` working days after ``start`` (``start`` itself not counted)."""
    days, current, left = listed_days(), start, count
    while left > 0:
        current += timedelta(days=1)
        if _working(current, days):
            left -= 1
    return current


def working_days_between(start, end):
    """How many working days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    days, current, counted = listed_days(), start, 0
    while current < end:
        current += timedelta(days=1)
        counted += _working(current, days)
    return counted


def first_working_day_from(day):
    """``day`` if it is a working day, else the next one: a deadline falling on a holiday
    or a weekend moves to the next working day."""
    days = listed_days()
    while not _working(day, days):
        day += timedelta(days=1)
    return day


def deadline_after(start, calendar_days):
    """``calendar_days`` days after ``start``, moved on to a working day if it is not one
    (for windows set in days, such as a claim's 90 days after acceptance)."""
    return first_working_day_from(start + timedelta(days=calendar_days))


WEEKEND = ("周末", "Weekend")
WORKING_DAY = ("工作日", "Working day")


def describe(first, last, locale="zh"):
    """``[(day, is_working, reason)]`` for every day from ``first`` to ``last``."""
    days, result = listed_days(), []
    english = locale == "en"
    # counted, not stepped past ``last``: the day after 9999-12-31 cannot be made
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        listed = days.get(day)
        if listed is not None:
            reason = listed.name_en if english else listed.name_zh
        else:
            reason = (WORKING_DAY if day.weekday() < 5 else WEEKEND)[english]
        result.append((day, _working(day, days), reason))
    return result


def known_years():
    """The years the calendar lists any day of (the years whose schedule is entered)."""
    return sorted({day.year for day in listed_days()})
