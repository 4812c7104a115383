"""Opening hours: the store's own time zone, ranges across midnight, and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from edge_module.hours import StoreClock, WeeklyHours


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def clock(zone: str, hours: object) -> StoreClock:
    return StoreClock(timezone=zone, hours=WeeklyHours.model_validate(hours))


def test_same_instant_is_open_in_one_store_and_closed_in_another() -> None:
    instant = utc(2026, 11, 23, 8, 30)  # 09:30 in Paris, 03:30 in New York, 17:30 in Tokyo
    hours = "09:00-21:00"
    assert clock("Europe/Paris", hours).is_open(instant)
    assert not clock("America/New_York", hours).is_open(instant)
    assert clock("Asia/Tokyo", hours).is_open(instant)
    assert not clock("Pacific/Auckland", hours).is_open(instant)  # 21:30 there: just closed


def test_opening_is_inclusive_and_closing_exclusive() -> None:
    c = clock("Europe/London", "09:00-17:30")  # November: London is on UTC
    assert not c.is_open(utc(2026, 11, 23, 8, 59, 59))
    assert c.is_open(utc(2026, 11, 23, 9, 0))
    assert c.is_open(utc(2026, 11, 23, 17, 29, 59))
    assert not c.is_open(utc(2026, 11, 23, 17, 30))


def test_overnight_hours_belong_to_the_day_they_start() -> None:
    # A late shop open Friday 22:00 until Saturday 04:00, closed the rest of the week.
    c = clock("Europe/Berlin", {"fri": "22:00-04:00"})  # November: UTC+1
    assert not c.is_open(utc(2026, 11, 27, 20, 59))  # Fri 21:59 local
    assert c.is_open(utc(2026, 11, 27, 21, 0))  # Fri 22:00
    assert c.is_open(utc(2026, 11, 27, 23, 0))  # Sat 00:00, across midnight
    assert c.is_open(utc(2026, 11, 28, 2, 59))  # Sat 03:59
    assert not c.is_open(utc(2026, 11, 28, 3, 0))  # Sat 04:00: closed
    assert not c.is_open(utc(2026, 11, 26, 23, 0))  # Fri 00:00 belongs to Thursday: closed


def test_midnight_in_the_store_is_not_midnight_utc() -> None:
    # Sydney is UTC+11 in November: Monday 00:30 there is Sunday 13:30 UTC.
    c = clock("Australia/Sydney", {"mon": "00:00-12:00", "sun": "closed"})
    assert c.is_open(utc(2026, 11, 22, 13, 30))  # a Sunday in UTC, Monday in Sydney
    assert not c.is_open(utc(2026, 11, 22, 12, 30))  # Sunday 23:30 in Sydney


def test_daily_default_with_overrides_and_closed_days() -> None:
    c = clock("UTC", {"daily": "08:00-20:00", "sat": "10:00-14:00,16:00-18:00", "sun": "closed"})
    assert c.is_open(utc(2026, 11, 25, 19, 0))  # Wednesday
    assert c.is_open(utc(2026, 11, 28, 11, 0)) and not c.is_open(utc(2026, 11, 28, 15, 0))  # Saturday gap
    assert c.is_open(utc(2026, 11, 28, 17, 0))
    assert not c.is_open(utc(2026, 11, 29, 12, 0))  # Sunday


def test_all_day_hours() -> None:
    c = clock("America/Los_Angeles", "00:00-24:00")
    assert c.is_open(utc(2026, 11, 23, 8, 0)) and c.is_open(utc(2026, 11, 23, 7, 59, 59))


def test_hours_follow_the_wall_clock_across_spring_daylight_saving() -> None:
    # New York springs forward on Sunday 2026-03-08: 09:00 local is 14:00 UTC before, 13:00 UTC after.
    c = clock("America/New_York", "09:00-17:00")
    assert not c.is_open(utc(2026, 3, 7, 13, 30))  # Saturday 08:30 EST
    assert c.is_open(utc(2026, 3, 7, 14, 0))  # Saturday 09:00 EST
    assert c.is_open(utc(2026, 3, 9, 13, 0))  # Monday 09:00 EDT
    assert not c.is_open(utc(2026, 3, 9, 21, 0))  # Monday 17:00 EDT


def test_overnight_hours_on_the_autumn_daylight_saving_night() -> None:
    # Paris falls back on Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET. A bar open Sat 20:00-03:00.
    c = clock("Europe/Paris", {"sat": "20:00-03:00"})
    assert c.is_open(utc(2026, 10, 24, 23, 30))  # Sun 01:30 CEST
    assert c.is_open(utc(2026, 10, 25, 0, 30))  # Sun 02:30 CEST (first pass)
    assert c.is_open(utc(2026, 10, 25, 1, 30))  # Sun 02:30 CET (the repeated hour)
    assert not c.is_open(utc(2026, 10, 25, 2, 0))  # Sun 03:00 CET: closed, a full hour later in UTC


def test_hours_round_trip_through_their_text_form() -> None:
    hours = WeeklyHours.model_validate({"daily": "09:00-21:00", "fri": "09:00-12:00,22:00-02:00", "sun": ""})
    dumped = hours.model_dump()
    assert dumped["fri"] == "09:00-12:00,22:00-02:00" and dumped["sun"] == "closed"
    assert WeeklyHours.model_validate(dumped) == hours


@pytest.mark.parametrize("bad", ["9-17", "25:00-26:00", "10:00-10:00", "08:60-09:00", {"funday": "09:00-10:00"}])
def test_malformed_hours_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        WeeklyHours.model_validate(bad)


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        StoreClock(timezone="Mars/Olympus_Mons", hours=WeeklyHours.model_validate("09:00-17:00"))
