"""The admin's calendar pages: a year's holidays and make-up working days, a day's form,
its removal, the CSV import and a year's CSV (the import's format)."""
import io
from datetime import date

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.core.labels import register_labels
from marketplace.core.permissions import access, require_visible
from marketplace.core.spreadsheets import csv_writer
from marketplace.core.web import attempt, year_argument
from marketplace.extensions import db
from marketplace.workdays import calendar, services
from marketplace.workdays.forms import CalendarDayForm, CalendarImportForm, RemoveDayForm
from marketplace.workdays.models import CalendarDay
from marketplace.workdays.official import SCHEDULES
from marketplace.workdays.permissions import can_manage_calendar

bp = Blueprint("work_calendar", __name__, url_prefix="/admin/calendar")

register_labels({"calendar_official": _l("State Council schedule"),
                 "calendar_admin": _l("entered by the admin"),
                 "calendar_import": _l("imported")})


def _page(year, import_form=None, status=200):
    known = sorted(set(calendar.known_years()) | {year, date.today().year})
    return render_template(
        "workdays/calendar.html", year=year, days=services.days_of_year(year),
        years=known, year_known=year in calendar.known_years(),
        official=year in SCHEDULES,
        next_year_missing=date.today().year + 1 not in calendar.known_years(),
        import_form=import_form or CalendarImportForm(formdata=None)), status


@bp.route("")
@access(can_manage_calendar)
def calendar_page():
    return _page(year_argument())


def _listed(day_id):
    listed = db.session.get(CalendarDay, day_id)
    require_visible(can_manage_calendar, listed)
    return listed


@bp.route("/days/new", methods=["GET", "POST"])
@bp.route("/days/<int:day_id>", methods=["GET", "POST"])
@access(can_manage_calendar)
def edit_day(day_id=None):
    listed = _listed(day_id) if day_id is not None else None
    form = CalendarDayForm()
    if request.method == "GET" and listed is not None:
        form.fill_from(listed)
    if form.validate_on_submit():
        saved, refused = attempt(services.save_day, current_user, day=form.day.data,
                                 is_working=form.kind.data == "workday",
                                 name_zh=form.name_zh.data, name_en=form.name_en.data,
                                 previous=listed, form=form)
        if not refused:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".calendar_page", year=saved.day.year))
        listed = db.session.get(CalendarDay, day_id) if day_id is not None else None
    status = 422 if request.method == "POST" else 200
    return render_template("workdays/day_form.html", form=form, listed=listed,
                           remove_form=RemoveDayForm(formdata=None)), status


@bp.route("/days/<int:day_id>/remove", methods=["POST"])
@access(can_manage_calendar)
def remove_day(day_id):
    listed = _listed(day_id)
    form = RemoveDayForm()
    if not form.validate_on_submit():
        edit = CalendarDayForm(formdata=None)
        edit.fill_from(listed)
        return render_template("workdays/day_form.html", form=edit, listed=listed,
                               remove_form=form), 422
    year = listed.day.year
    services.remove_day(current_user, listed)
    db.session.commit()
    flash(_("The day is removed."), "success")
    return redirect(url_for(".calendar_page", year=year))


@bp.route("/import", methods=["POST"])
@access(can_manage_calendar)
def import_days():
    form = CalendarImportForm()
    year = year_argument()
    if not form.validate_on_submit():
        return _page(year, form, 422)
    count, refused = attempt(services.import_csv, current_user, form.file.data.read(),
                             form=form)
    if refused:
        form.file.errors = list(form.file.errors) + [
            f"{_('row %(row)s', row=error['row'])}: {error['message']}"
            for error in refused.details.get("errors", [])]
        return _page(year, form, refused.status)
    db.session.commit()
    flash(_("%(count)d days imported.", count=count), "success")
    return redirect(url_for(".calendar_page", year=year))


@bp.route("/<int:year>.csv")
@access(can_manage_calendar)
def year_csv(year):
    """The year's days in the import's format (UTF-8 with BOM, for spreadsheets)."""
    if not 2000 <= year <= 2100:
        abort(404)
    out = io.StringIO()
    writer = csv_writer(out)   # a name typed as =HYPERLINK(...) stays text
    writer.writerow(["date", "working", "name_zh", "name_en"])
    for listed in services.days_of_year(year):
        writer.writerow([listed.day.isoformat(), "workday" if listed.is_working else "holiday",
                         listed.name_zh, listed.name_en])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="calendar-{year}.csv"'})
