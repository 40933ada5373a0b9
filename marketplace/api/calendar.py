"""The working-day calendar: which days count toward deadlines, and why."""
from datetime import date, timedelta

from flask import jsonify
from flask_babel import get_locale
from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketplace.api.answers import answer
from marketplace.api.spec import operation
from marketplace.api.views import bp
from marketplace.workdays import calendar

MAX_DAYS = 366


class CalendarQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    from_: date = Field(alias="from", description="First day (YYYY-MM-DD)")
    to: date = Field(description=f"Last day, at most {MAX_DAYS} days after the first")

    @model_validator(mode="after")
    def _a_bounded_range(self):
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        if self.to - self.from_ >= timedelta(days=MAX_DAYS):
            raise ValueError(f"at most {MAX_DAYS} days at once")
        return self


class DayOut(BaseModel):
    date: date
    working: bool
    reason: str = Field(description="The holiday or make-up day's name, else 工作日/周末 "
                                    "(Working day/Weekend) in the request's language")


class CalendarOut(BaseModel):
    days: list[DayOut]


@operation(bp, "/calendar", "GET", tag="calendar", auth=False,
           summary="Working days, public holidays and make-up working days (调休)",
           query=CalendarQuery, responses={200: CalendarOut})
def working_calendar(query):
    locale = str(get_locale() or "zh")
    days = calendar.describe(query.from_, query.to, locale)
    return jsonify(answer(CalendarOut, days=[
        {"date": day, "working": working, "reason": reason} for day, working, reason in days]))
