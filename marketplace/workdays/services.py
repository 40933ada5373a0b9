"""Changing the calendar: the admin's edits, the CSV import and the official schedules.
Every function flushes and never commits; each change is audited and clears the cached
calendar when its transaction commits."""
import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.reference import reference_seeder
from marketplace.core import audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.rows import hold_key
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.workdays import calendar
from marketplace.workdays.models import CalendarDay
from marketplace.workdays.official import SCHEDULES, official_days

MAX_IMPORT_ROWS = 2000
# core.rows.hold_key's namespace: one new entry of a date at a time
_DAY_LOCK_NAMESPACE = 7_100_025
# accepted headers (English or Chinese) → field
HEADERS = {"date": "day", "日期": "day", "working": "working", "类型": "working",
           "name_zh": "name_zh", "名称": "name_zh", "name_en": "name_en", "英文名称": "name_en"}
# accepted values of the "working" column
WORKING_VALUES = {"holiday": False, "休息": False, "放假": False, "0": False, "false": False,
                  "workday": True, "上班": True, "调休上班": True, "1": True, "true": True}


class CalendarImportRefused(ValidationFailed):
    code = "calendar_import_refused"
    default_message = _l("The file was not imported: correct the rows listed and upload it "
                         "again.")


def days_of_year(year):
    return db.session.execute(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)).scalars().all()


def _put(day, *, is_working, name_zh, name_en, source, actor):
    found = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)) \
        .scalar_one_or_none()
    creating = found is None
    if creating:
        found = CalendarDay(day=day)
        db.session.add(found)
    found.is_working, found.name_zh, found.name_en = is_working, name_zh, name_en
    found.source = source
    found.updated_by_id = actor.id if actor is not None else None
    found.updated_dt = now_utc()
    db.session.flush()
    audit.record(found, "create" if creating else "update", actor=actor,
                 data={"day": day.isoformat(), "is_working": is_working, "name_zh": name_zh,
                       "source": source})
    calendar.mark_changed()
    return found


def save_day(actor, *, day, is_working, name_zh, name_en, previous=None):
    """Add a day, or change the listed ``previous`` (moving it to another date removes the
    old); a date listed already is changed through its own entry, never by another."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh or not name_en:
        raise ValidationFailed(_l("Name the day in both languages."),
                               details={"field": "name_zh" if not name_zh else "name_en"})
    if previous is None or previous.day != day:
        # a new entry, or one moved, on a date listed already would write over that
        # entry's holiday or make-up day unseen; the date is held first, so the same day
        # saved twice at once (a double click) is found by the second, not inserted twice
        hold_key(_DAY_LOCK_NAMESPACE, day.toordinal())
        clash = db.session.execute(select(CalendarDay.id).where(CalendarDay.day == day)).first()
        if clash:
            raise ValidationFailed(_l("This date is already in the calendar: change that "
                                      "entry instead."), details={"field": "day"})
    if previous is not None and previous.day != day:
        remove_day(actor, previous)
    return _put(day, is_working=is_working, name_zh=name_zh, name_en=name_en,
                source="admin", actor=actor)


def remove_day(actor, listed):
    """The day follows the week's rule again."""
    audit.record(listed, "delete", actor=actor,
                 data={"day": listed.day.isoformat(), "is_working": listed.is_working,
                       "name_zh": listed.name_zh})
    db.session.delete(listed)
    db.session.flush()
    calendar.mark_changed()


def _read_rows(raw):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CalendarImportRefused(details={"errors": [
            {"row": 0, "message": str(_l("The file is neither UTF-8 nor GB18030 text."))}]})
    return list(csv.reader(io.StringIO(text)))


def _parse(rows):
    """``([(day, is_working, name_zh, name_en)], errors)`` of a CSV's rows."""
    if not rows:
        return [], [{"row": 0, "message": str(_l("The file is empty."))}]
    header = [HEADERS.get(cell.strip().lower()) for cell in rows[0]]
    missing = {"day", "working", "name_zh", "name_en"} - set(header)
    if missing:
        return [], [{"row": 1, "message": str(_l("Missing columns: %(columns)s",
                                                 columns=", ".join(sorted(missing))))}]
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        return [], [{"row": 0, "message": str(_l("At most %(count)d rows in one file.",
                                                 count=MAX_IMPORT_ROWS))}]
    parsed, errors, seen = [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {field: (row[i].strip() if i < len(row) else "")
                  for i, field in enumerate(header) if field}
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            errors.append({"row": number, "message": str(_l("Not a date (YYYY-MM-DD)."))})
            continue
        working = WORKING_VALUES.get(values["working"].lower())
        if working is None:
            errors.append({"row": number, "message": str(_l(
                "The type is 'holiday' (休息) or 'workday' (上班)."))})
        elif not values["name_zh"] or not values["name_en"] \
                or len(values["name_zh"]) > 64 or len(values["name_en"]) > 128:
            errors.append({"row": number, "message": str(_l(
                "Name the day in both languages (at most 64 and 128 characters)."))})
        elif day in seen:
            errors.append({"row": number, "message": str(_l("This date is listed twice."))})
        else:
            seen.add(day)
            parsed.append((day, working, values["name_zh"], values["name_en"]))
    return parsed, errors


def import_csv(actor, raw):
    """Add or replace the days of a CSV file (date, working, name_zh, name_en); a file with
    any bad row imports nothing and names each row and reason. Returns how many days."""
    parsed, errors = _parse(_read_rows(raw))
    if errors:
        raise CalendarImportRefused(details={"errors": errors[:50]})
    for day, is_working, name_zh, name_en in parsed:
        _put(day, is_working=is_working, name_zh=name_zh, name_en=name_en, source="import",
             actor=actor)
    return len(parsed)


@reference_seeder
def ensure_official_schedules():
    """The State Council's schedules for each year the calendar has no day of (a year the
    admin has started to enter is left alone)."""
    present = {day.year for day in db.session.execute(select(CalendarDay.day)).scalars()}
    added = 0
    for year in sorted(set(SCHEDULES) - present):
        for day, is_working, name_zh, name_en in official_days(year):
            db.session.add(CalendarDay(day=day, is_working=is_working, name_zh=name_zh,
                                       name_en=name_en, source="official"))
            added += 1
    if added:
        db.session.flush()
        calendar.mark_changed()
    return added
