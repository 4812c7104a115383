"""Opening hours in the store's own time zone.

Hours are written per weekday as wall-clock ranges, ``"08:00-20:00"``; several ranges are
separated by commas; ``""`` or ``"closed"`` means closed that day; ``"00:00-24:00"`` is all day.
A range whose end is not after its start crosses midnight: ``"Fri": "22:00-04:00"`` is open from
Friday 22:00 to Saturday 04:00 (it belongs to the day it starts on).

Checks are done on the local wall clock (:mod:`zoneinfo`), so daylight-saving changes need no
special case: 09:00 is 09:00 whether the offset is +01:00 or +02:00. In the repeated hour of an
autumn change both instants share one wall time and get the same answer; a spring-forward gap
never happens on the wall clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_timezone(name: str) -> ZoneInfo:
    """The :class:`ZoneInfo` for an IANA name, with a clear error for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


class TimeRange(BaseModel):
    """One wall-clock range, minutes after local midnight; ``end <= start`` crosses midnight."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Parse ``"HH:MM-HH:MM"`` (``24:00`` allowed as an end)."""
        m = _RANGE.match(text)
        if not m:
            raise ValueError(f"opening hours range {text!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"opening hours range {text!r} holds an impossible time")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise ValueError(f"opening hours range {text!r} is empty")
        return cls(start=start, end=end)

    @property
    def overnight(self) -> bool:
        """Whether the range crosses midnight into the next day."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


def _parse_day(value: Any) -> tuple[TimeRange, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if value.strip().lower() in {"", "closed"}:
            return ()
        value = value.split(",")
    return tuple(r if isinstance(r, TimeRange) else TimeRange.parse(str(r)) for r in value)


class WeeklyHours(BaseModel):
    """Opening hours for each weekday (Monday first).

    Accepts a single string for every day (``"09:00-21:00"``) or a mapping with keys
    ``mon``..``sun`` and optionally ``daily`` (the default for days not listed; without it an
    unlisted day is closed).
    """

    model_config = ConfigDict(frozen=True)

    days: tuple[tuple[TimeRange, ...], ...]

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, WeeklyHours):
            return value
        if isinstance(value, dict) and set(value) == {"days"}:
            return value
        if isinstance(value, str):
            return {"days": tuple(_parse_day(value) for _ in WEEKDAYS)}
        if isinstance(value, dict):
            keys = {str(k).lower(): v for k, v in value.items()}
            unknown = set(keys) - set(WEEKDAYS) - {"daily"}
            if unknown:
                raise ValueError(f"unknown weekday keys {sorted(unknown)}; use {list(WEEKDAYS)} or 'daily'")
            default = keys.get("daily")
            return {"days": tuple(_parse_day(keys.get(d, default)) for d in WEEKDAYS)}
        raise ValueError("opening hours must be a string like '09:00-21:00' or a mapping of weekdays")

    @model_serializer
    def _to_text(self) -> dict[str, str]:
        return {d: ",".join(str(r) for r in ranges) or "closed" for d, ranges in zip(WEEKDAYS, self.days, strict=True)}

    def is_open_local(self, local: datetime) -> bool:
        """Whether the store is open at this local wall-clock time."""
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        for r in self.days[today]:
            if r.overnight and minute >= r.start:
                return True
            if not r.overnight and r.start <= minute < r.end:
                return True
        yesterday = (today - 1) % 7
        return any(r.overnight and minute < r.end for r in self.days[yesterday])


class StoreClock(BaseModel):
    """Opening hours bound to the store's time zone: answers "is the store open at this instant?"."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    timezone: str
    hours: WeeklyHours

    @model_validator(mode="after")
    def _check_zone(self) -> StoreClock:
        parse_timezone(self.timezone)
        return self

    def local(self, instant: datetime) -> datetime:
        """The instant on the store's wall clock (a naive instant is taken as UTC)."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.astimezone(parse_timezone(self.timezone))

    def is_open(self, instant: datetime) -> bool:
        """Whether the store is open at ``instant``."""
        return self.hours.is_open_local(self.local(instant))


ALWAYS_OPEN = "00:00-24:00"
"""Hours for a camera that may photograph at any time."""

__all__ = ["ALWAYS_OPEN", "StoreClock", "TimeRange", "WEEKDAYS", "WeeklyHours", "parse_timezone"]
