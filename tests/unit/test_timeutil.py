"""The server's day and the bureau's clock: a UTC timestamp read as a local date."""
import os
import time
from datetime import date, datetime, timezone

import pytest
from flask import Flask

from marketplace.core.timeutil import bureau_time_text, local_date, local_year_start

EVENING_IN_UTC = datetime(2026, 12, 7, 20, 30, tzinfo=timezone.utc)   # 04:30 on the 8th in Nanchang


@pytest.fixture
def server_zone():
    before = os.environ.get("TZ")

    def use(zone):
        os.environ["TZ"] = zone
        time.tzset()
    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_utc_evening_is_the_next_day_on_a_beijing_server(server_zone):
    server_zone("Asia/Shanghai")
    assert local_date(EVENING_IN_UTC) == date(2026, 12, 8)


def test_on_a_utc_server_the_local_date_is_the_utc_date(server_zone):
    server_zone("UTC")
    assert local_date(EVENING_IN_UTC) == date(2026, 12, 7)


def test_a_deadline_in_a_message_reads_in_the_bureau_zone_with_its_offset():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
    with app.app_context():
        assert bureau_time_text(EVENING_IN_UTC) == "2026-12-08 04:30 (UTC+08:00)"
        app.config["BABEL_DEFAULT_TIMEZONE"] = "America/St_Johns"   # a half-hour offset
        assert bureau_time_text(EVENING_IN_UTC) == "2026-12-07 17:00 (UTC-03:30)"


def test_a_year_starts_at_midnight_on_the_server_clock(server_zone):
    server_zone("Asia/Shanghai")
    assert local_year_start(2027) == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)
    server_zone("UTC")
    assert local_year_start(2027) == datetime(2027, 1, 1, tzinfo=timezone.utc)
