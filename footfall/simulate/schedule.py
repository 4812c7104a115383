"""When photos are taken: a store day from 08:00 to 20:00 local, busiest at lunch and after work.

The arrival intensity is a low base plus two Gaussian peaks, 12:30 (lunch) and 17:45 (after
work). Capture times are drawn from it per store, in the store's own time zone, then turned
into UTC as the upload contract requires.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

OPEN_HOUR, CLOSE_HOUR = 8, 20


def intensity(hour: float) -> float:
    """Relative arrival rate at a local hour of the day (0 when closed, at most about 1)."""
    if not OPEN_HOUR <= hour < CLOSE_HOUR:
        return 0.0
    lunch = math.exp(-((hour - 12.5) ** 2) / (2 * 0.9**2))
    after_work = math.exp(-((hour - 17.75) ** 2) / (2 * 1.1**2))
    return 0.2 + 0.75 * lunch + 0.8 * after_work


PEAK_INTENSITY = max(intensity(OPEN_HOUR + i / 60) for i in range(12 * 60))


def capture_times(rng: np.random.Generator, day: date, tz: ZoneInfo, count: int) -> list[datetime]:
    """``count`` sorted UTC capture times on the local ``day``, drawn from :func:`intensity`."""
    opening = datetime.combine(day, time(OPEN_HOUR), tzinfo=tz)
    span_s = (CLOSE_HOUR - OPEN_HOUR) * 3600
    times: list[datetime] = []
    while len(times) < count:  # rejection sampling against the peak
        offset = float(rng.uniform(0, span_s))
        if rng.uniform(0, PEAK_INTENSITY) <= intensity(OPEN_HOUR + offset / 3600):
            local = opening + timedelta(milliseconds=int(offset * 1000))
            times.append(local.astimezone(UTC))
    return sorted(times)


def people_in_frame(rng: np.random.Generator, hour: float) -> int:
    """How many people a photo at a local hour shows: 0 to 6, more when the store is busy."""
    mean = 0.3 + 3.2 * intensity(hour) / PEAK_INTENSITY
    return int(min(6, rng.poisson(mean)))
