from datetime import datetime, timezone


def now_utc():
    """The current time as an aware UTC datetime (callable default for timestamp columns)."""
    return datetime.now(timezone.utc)


def local_date(moment):
    """The day an aware ``moment`` falls on in the server's own time zone.

    "Today" throughout the product is ``date.today()``, the server's local day (run the
    processes with ``TZ=Asia/Shanghai`` for the bureau's). Timestamps are stored in UTC,
    and the UTC date of one is the day before the local one for the first eight hours of
    a Beijing day: compared with ``date.today()`` it would count a working day too many,
    or refuse a contract signed on the day its voucher was issued."""
    return moment.astimezone().date()


def bureau_time_text(moment):
    """``moment`` as the bureau reads a deadline in a message stored as text (rendered
    once, in whatever language): its clock time, with the offset that says which, e.g.
    ``2026-12-10 17:00 (UTC+08:00)``. The zone is the one pages show times in
    (``BABEL_DEFAULT_TIMEZONE``), not UTC, which no one in Nanchang reads a deadline by."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def local_year_start(year):
    """Midnight of 1 January of ``year`` on the server's clock, as an aware datetime: the
    bound of a year's timestamps that agrees with ``date.today().year`` (a contract
    signed at 02:00 on New Year's Day in Nanchang belongs to the new year)."""
    return datetime(year, 1, 1).astimezone()
