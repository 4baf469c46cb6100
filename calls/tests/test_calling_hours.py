from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from calls.calling_hours import next_calling_time, parse_calling_hours

KLA = ZoneInfo("Africa/Kampala")


@pytest.mark.parametrize(
    "local,expected",
    [
        (datetime(2026, 11, 23, 8, 59, tzinfo=KLA), datetime(2026, 11, 23, 9, 0, tzinfo=KLA)),
        (datetime(2026, 11, 23, 9, 0, tzinfo=KLA), datetime(2026, 11, 23, 9, 0, tzinfo=KLA)),
        (datetime(2026, 11, 23, 13, 30, tzinfo=KLA), datetime(2026, 11, 23, 14, 0, tzinfo=KLA)),
        (datetime(2026, 11, 23, 18, 59, tzinfo=KLA), datetime(2026, 11, 23, 18, 59, tzinfo=KLA)),
        (datetime(2026, 11, 23, 19, 0, tzinfo=KLA), datetime(2026, 11, 24, 9, 0, tzinfo=KLA)),
    ],
)
def test_next_calling_time_with_a_lunch_break(local, expected):
    assert next_calling_time(tz_name="Africa/Kampala", now=local, hours="09:00-13:00,14:00-19:00") == expected


def test_unknown_customer_timezone_falls_back_to_the_lenders(settings):
    now = datetime(2026, 11, 23, 7, 0, tzinfo=KLA)
    assert next_calling_time(tz_name="Mars/Olympus", now=now, hours="09:00-19:00") == datetime(2026, 11, 23, 9, 0, tzinfo=KLA)


@pytest.mark.parametrize("bad", ["", "9-5", "19:00-09:00", "09:00-25:00"])
def test_bad_calling_hours_fail_loudly(bad):
    with pytest.raises(ImproperlyConfigured):
        parse_calling_hours(bad)
