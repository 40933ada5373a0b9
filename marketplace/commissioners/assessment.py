"""The rules of a commissioner's year, as pure functions of the figures and the year's
rules (testable without a database).

- The minimum: ``min_services`` confirmed services to at least ``min_firms`` firms (or
  villages, parks), and, if the bureau sets one, a confirmed share of the answered
  services of at least ``min_confirmed_rate_bp``. A commissioner recognised during the
  year needs the services pro rata to the days recognised (rounded up).
- The grade: not competent below the minimum; excellent at ``excellent_services``
  confirmed services to ``excellent_firms`` served with ``excellent_confirmed_rate_bp``
  confirmed; competent otherwise.
- Standing during the year: silent after ``silence_days`` without a service logged (or
  since recognition), behind when the confirmed services trail the minimum's pace.
"""
import enum
import math
from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.core.assessments import Grade


@dataclass(frozen=True)
class Figures:
    logged: int = 0
    confirmed: int = 0
    disputed: int = 0
    served: int = 0          # firms, villages or parks with a confirmed service
    last_service_on: date | None = None

    @property
    def confirmed_rate_bp(self):
        """Confirmed services in basis points of those answered; None before any answer."""
        answered = self.confirmed + self.disputed
        return None if answered == 0 else self.confirmed * 10_000 // answered


class Standing(str, enum.Enum):
    MET = "minimum_met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    SILENT = "silent"


def _year_days(year):
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def required_services(rules, year, recognised_on=None):
    """The year's minimum of confirmed services; pro rata (rounded up) for a commissioner
    recognised after the year began."""
    start = date(year, 1, 1)
    if recognised_on is None or recognised_on <= start:
        return rules.min_services
    days = max(0, (date(year + 1, 1, 1) - recognised_on).days)
    return math.ceil(rules.min_services * days / _year_days(year))


def required_served(rules, year, recognised_on=None):
    return min(rules.min_firms, required_services(rules, year, recognised_on))


def grade(figures, rules, year, recognised_on=None):
    """``(Grade, reasons)``: the reasons are the codes of what decided it."""
    shortfalls = []
    if figures.confirmed < required_services(rules, year, recognised_on):
        shortfalls.append("too_few_services")
    if figures.served < required_served(rules, year, recognised_on):
        shortfalls.append("too_few_served")
    rate = figures.confirmed_rate_bp
    if rules.min_confirmed_rate_bp and (rate or 0) < rules.min_confirmed_rate_bp:
        shortfalls.append("too_few_confirmed")
    if shortfalls:
        return Grade.NOT_COMPETENT, shortfalls
    if (figures.confirmed >= rules.excellent_services
            and figures.served >= rules.excellent_firms
            and (rate or 0) >= rules.excellent_confirmed_rate_bp):
        return Grade.EXCELLENT, ["above_excellent"]
    return Grade.COMPETENT, ["meets_minimum"]


def expected_by(rules, today, recognised_on=None):
    """Confirmed services the minimum's pace asks for by ``today`` (rounded down)."""
    year = today.year
    start = max(date(year, 1, 1), recognised_on or date(year, 1, 1))
    span = (date(year + 1, 1, 1) - start).days
    if span <= 0 or today < start:
        return 0
    elapsed = (today - start).days
    return required_services(rules, year, recognised_on) * elapsed // span


def silent_since(figures, recognised_on):
    """The day the silence began: the last service, else the recognition."""
    return figures.last_service_on or recognised_on


def standing(figures, rules, today, recognised_on):
    since = silent_since(figures, recognised_on)
    if since is not None and (today - since).days >= rules.silence_days:
        return Standing.SILENT
    if (figures.confirmed >= required_services(rules, today.year, recognised_on)
            and figures.served >= required_served(rules, today.year, recognised_on)):
        return Standing.MET
    if figures.confirmed < expected_by(rules, today, recognised_on):
        return Standing.BEHIND
    return Standing.ON_TRACK


def reminder_due(figures, rules, today, recognised_on, reminded_on, interval_days):
    """The reason to remind now (``silent`` or ``behind``), or None: a silence is reminded
    once (until a service breaks it), falling behind at most every ``interval_days``."""
    found = standing(figures, rules, today, recognised_on)
    if found == Standing.SILENT:
        began = silent_since(figures, recognised_on) + timedelta(days=rules.silence_days)
        if reminded_on is None or reminded_on < began:
            return Standing.SILENT
        return None
    if found == Standing.BEHIND and (
            reminded_on is None or (today - reminded_on).days >= interval_days):
        return Standing.BEHIND
    return None
