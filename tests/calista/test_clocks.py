"""Each airport's own day: read with the real time zone data, near midnight and on the days the clocks change."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from calista import clocks

# 05:30 UTC on 10 March 2026 is 22:30 on the 9th at LAX (PDT since the 8th) and 01:30 on the 10th at JFK (EDT).
NEAR_MIDNIGHT = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)


def test_one_moment_is_a_different_day_at_lax_and_at_jfk():
    assert clocks.airport_date("LAX", NEAR_MIDNIGHT) == date(2026, 3, 9)
    assert clocks.airport_date("SFO", NEAR_MIDNIGHT) == date(2026, 3, 9)
    assert clocks.airport_date("JFK", NEAR_MIDNIGHT) == date(2026, 3, 10)
    assert clocks.airport_date("ATL", NEAR_MIDNIGHT) == date(2026, 3, 10)


def test_today_at_an_airport_is_the_day_there():
    five_pm_at_lax = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 17:00 PDT on the 9th: already the 10th in UTC
    assert clocks.airport_today("LAX", now=five_pm_at_lax) == date(2026, 3, 9)
    assert clocks.airport_today("JFK", now=five_pm_at_lax) == date(2026, 3, 9)  # 20:00 EDT
    assert clocks.airport_today("JFK", now=five_pm_at_lax + timedelta(hours=4)) == date(2026, 3, 10)


def test_the_day_the_clocks_go_forward_is_23_hours_long_and_the_day_they_go_back_25():
    start, end = clocks.airport_day_bounds("LAX", date(2026, 3, 8))
    assert start == datetime(2026, 3, 8, 8, 0, tzinfo=UTC) and end == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    start, end = clocks.airport_day_bounds("JFK", date(2026, 11, 1))
    assert start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC) and end - start == timedelta(hours=25)


def test_the_hour_the_clocks_skip_and_the_hour_they_repeat_fall_on_their_own_day():
    assert clocks.airport_date("LAX", datetime(2026, 3, 8, 10, 30, tzinfo=UTC)) == date(2026, 3, 8)  # 03:30 PDT
    assert clocks.airport_date("LAX", datetime(2026, 3, 9, 6, 59, tzinfo=UTC)) == date(2026, 3, 8)  # 23:59 PDT
    assert clocks.airport_date("LAX", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)) == date(2026, 11, 1)  # 01:30 PST, the second time
    assert clocks.airport_date("LAX", datetime(2026, 11, 2, 7, 59, tzinfo=UTC)) == date(2026, 11, 1)  # 23:59 PST


def test_an_airport_no_longer_served_reads_the_portals_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert clocks.airport_zone("ORD").key == "Asia/Shanghai"
    assert clocks.airport_date("ORD", NEAR_MIDNIGHT) == date(2026, 3, 10)


def test_the_clocks_of_the_airports_pick_every_row_once(settings):
    settings.TIME_ZONE = "UTC"
    found = [(zone.key, str(rows)) for zone, rows in clocks.airport_clocks()]
    assert found == [
        ("America/Los_Angeles", "(AND: ('destination_airport__in', ['LAX', 'SFO']))"),
        ("America/New_York", "(AND: ('destination_airport__in', ['JFK', 'ATL']))"),
        ("UTC", "(NOT (AND: ('destination_airport__in', ['LAX', 'SFO', 'JFK', 'ATL'])))"),
    ]
    assert [(zone.key, str(rows)) for zone, rows in clocks.airport_clocks("shipment__destination_airport", airport="JFK")] == [
        ("America/New_York", "(AND: ('shipment__destination_airport', 'JFK'))")]


def test_the_newest_day_of_the_airports_is_the_east_coasts_after_its_midnight():
    assert clocks.latest_today(["LAX", "JFK"], now=NEAR_MIDNIGHT) == date(2026, 3, 10)
    assert clocks.latest_today(["LAX", "SFO"], now=NEAR_MIDNIGHT) == date(2026, 3, 9)


@pytest.mark.parametrize("name", ["UTC", "Asia/Shanghai", "America/Los_Angeles", "Europe/London"])
def test_a_time_zone_name_is_an_iana_name(name):
    assert clocks.zone_named(name).key == name
    clocks.validate_time_zone(name)


@pytest.mark.parametrize("name", ["", "localtime", "posixrules", "Beijing", "CST", "../../etc/passwd", "Asia/shanghai "])
def test_anything_else_is_no_time_zone(name):
    assert clocks.zone_named(name) is None
    with pytest.raises(ValidationError):
        clocks.validate_time_zone(name)
