"""Store-local time, occupancy and dwell, and the daily rollups of store windows.

Local time
----------
Every store counts its hours and days in its own IANA time zone (``time_zone`` of ``stores.csv``,
carried by every store window; a store without one counts in UTC). A store's local day runs from
one local midnight to the next: 24 hours, or 23 and 25 on the days daylight saving starts and ends.
A window belongs to the local day and hour its start falls in; windows are UTC quarter hours, which
are local quarter hours in every real zone (offsets are multiples of 15 minutes).

Occupancy and dwell
-------------------
Door counters give entries and exits, not people inside, so occupancy is derived the way the
industry does: the running sum of entries minus exits since the store's local day began, never
below 0 (a missed entry must not make people negative), taken at each window's end. Stores count
nothing while closed, so "since the day began" is "since opening". Person-seconds inside
(``occupancy_s``) add the occupancy over time from the day's first window to its last (linear within
a window; held level across quarter hours without a row). By Little's law the average visit length
is ``occupancy_s / visitors``. Occupancy after the last window is not counted, so drift in the door
counts (people who left unseen) cannot add phantom hours overnight.

Cells
-----
The service sums :class:`Cell` values: a store window or a store day with its totals, the visit
faces its breakdown may use (0 unless published) and those faces' demographic counts. A day's
counts sum only its published windows, so any sum of cells obeys the k rule of :mod:`.service`.

Which windows a day sums depends on ``k`` (and on l-diversity), so a rollup records the ``k`` and the
``l_diversity`` it was written with and its number of ``windows``: a rollup written under another rule
is never summed as it stands (see :func:`rollup_applies`), and a rollup whose windows changed is
written again (the timer in :mod:`.cosmos`; locally on every write).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.aggregates import CATEGORIES, COUNT_COLUMNS, TOTAL_COLUMNS, WINDOW_MINUTES
from functions.contracts import utc_iso

WINDOW = timedelta(minutes=WINDOW_MINUTES)
WINDOW_S = WINDOW.total_seconds()
UTC_NAME = "UTC"
MAX_OFFSET = timedelta(hours=14)
"""No zone is further from UTC (Pacific/Kiritimati): local dates are read with this margin, then cut per store."""


@lru_cache(maxsize=512)
def zone(name: str | None) -> tzinfo:
    """The time zone of a store (UTC when it has none or an unknown one)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """Local midnight starting ``day``, in UTC (where midnight is skipped, the first instant of the day)."""
    naive = datetime.combine(day, time())
    aware = naive.replace(tzinfo=tz)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:  # midnight does not exist: the day starts later
        utc = (naive + timedelta(hours=1)).replace(tzinfo=tz).astimezone(UTC)
        while (utc - WINDOW).astimezone(tz).date() == day:
            utc -= WINDOW
    return utc


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants starting and ending a local day (23, 24 or 25 hours apart)."""
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def local_date(utc: datetime, tz: tzinfo) -> date:
    """The local date of an instant."""
    return utc.astimezone(tz).date()


@dataclass(slots=True)
class Cell:
    """One store window or store day, ready to be summed (see the module docstring)."""

    store_id: str
    store_name: str | None
    city: str | None
    country: str | None
    region: str | None
    time_zone: str | None
    day: date
    """The store-local date."""
    utc_start: datetime
    utc_end: datetime
    totals: dict[str, int]
    covered: int
    """Visit faces its breakdown may use: 0 unless published."""
    counts: dict[str, int] | None
    """Demographic counts of those faces (None when nothing is published)."""
    occupancy_s: float = 0.0
    occupancy_max: int = 0
    occupancy_end: int = 0
    """People inside at the cell's end (windows only)."""
    windows: int = 1
    suppressed_faces: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def single_valued(counts: dict[str, int]) -> bool:
    """Whether, in some category, every face with a known value has the same one (l-diversity with
    l = 2 fails): a breakdown like that tells anyone who knows a person was there what they are.

    A sum of counts that are not single-valued is never single-valued (each category has no known
    value or at least two), so parents of l-diverse windows are l-diverse too."""
    return any(sum(1 for value in cat.values if counts.get(cat.column(value), 0) > 0) == 1 for cat in CATEGORIES)


def is_published(row: Any, k: int, diverse: bool = False) -> bool:
    """Whether a store window's demographics may be used: not suppressed, at least ``k`` visit faces and,
    with ``diverse`` (l-diversity), not single-valued in any category."""
    if row.suppressed or row.visit_faces < k:
        return False
    return not (diverse and single_valued({c: getattr(row, c) or 0 for c in COUNT_COLUMNS}))


def rollup_applies(day: Any, k: int, diverse: bool) -> bool:
    """Whether a daily rollup's breakdown was summed under this rule: written with this ``k`` and the same
    l-diversity. Equality, not "at least": the windows published at a larger k are not those published at
    a smaller one, so another rule's sum could be split, by subtraction, into windows this rule hides."""
    return day.k == k and bool(day.l_diversity) == diverse


def _store_fields(row: Any) -> dict[str, Any]:
    return {"store_id": row.store_id, "store_name": row.store_name, "city": row.city, "country": row.country,
            "region": row.region, "time_zone": row.time_zone}


def window_cells(rows: Iterable[Any], k: int, diverse: bool = False) -> list[Cell]:
    """Cells of store windows, with occupancy run per store and local day (rows in any order)."""
    by_day: dict[tuple[str, date], list[Any]] = defaultdict(list)
    for row in rows:
        by_day[(row.store_id, local_date(row.window_start, zone(row.time_zone)))].append(row)
    cells: list[Cell] = []
    for (_, day), members in by_day.items():
        members.sort(key=lambda r: r.window_start)
        inside = 0
        previous_end: datetime | None = None
        for row in members:
            gap_s = (row.window_start - previous_end).total_seconds() if previous_end is not None else 0.0
            after = max(0, inside + row.visitors - row.exits)
            occupancy_s = inside * gap_s + (inside + after) / 2 * WINDOW_S
            published = is_published(row, k, diverse)
            cells.append(Cell(
                **_store_fields(row), day=day, utc_start=row.window_start, utc_end=row.window_end,
                totals={c: getattr(row, c) for c in TOTAL_COLUMNS},
                covered=row.visit_faces if published else 0,
                counts={c: getattr(row, c) or 0 for c in COUNT_COLUMNS} if published else None,
                occupancy_s=occupancy_s, occupancy_max=after, occupancy_end=after,
                suppressed_faces=0 if published else row.visit_faces,
            ))
            inside, previous_end = after, row.window_end
    return cells


def day_cells(days: Iterable[Any], k: int, diverse: bool = False) -> list[Cell]:
    """Cells of store days (daily rollups); a rollup written under another rule (:func:`rollup_applies`)
    gives its totals only, its breakdown suppressed."""
    cells = []
    for d in days:
        published = d.published_faces if rollup_applies(d, k, diverse) else 0
        cells.append(Cell(
            **_store_fields(d), day=date.fromisoformat(d.date), utc_start=d.day_start, utc_end=d.day_end,
            totals={c: getattr(d, c) for c in TOTAL_COLUMNS}, covered=published,
            counts={c: getattr(d, c) for c in COUNT_COLUMNS} if published else None,
            occupancy_s=d.occupancy_s, occupancy_max=d.occupancy_max, windows=d.windows,
            suppressed_faces=d.visit_faces - published))
    return cells


def roll_up_cells(cells: Iterable[Cell], k: int, diverse: bool = False) -> list[dict[str, Any]]:
    """Store-day documents (:data:`functions.aggregates.STORE_DAY`) from the window cells of whole days,
    cut with ``k`` and ``diverse`` (which they record)."""
    by_day: dict[tuple[str, date], list[Cell]] = defaultdict(list)
    for cell in cells:
        by_day[(cell.store_id, cell.day)].append(cell)
    documents = []
    for (store_id, day), members in sorted(by_day.items(), key=lambda item: (item[0][0], item[0][1])):
        first = members[0]
        start, end = day_bounds(day, zone(first.time_zone))
        published = sum(c.covered for c in members)
        counts = dict.fromkeys(COUNT_COLUMNS, 0)
        for cell in members:
            if cell.counts:
                for column, value in cell.counts.items():
                    counts[column] += value
        documents.append({
            "id": f"{store_id}|{day.isoformat()}", "doc_type": "store_day",
            "store_id": store_id, "store_name": first.store_name, "city": first.city, "country": first.country,
            "region": first.region, "time_zone": first.time_zone,
            "date": day.isoformat(), "day_start": utc_iso(start), "day_end": utc_iso(end),
            "windows": len(members),
            **{c: sum(m.totals[c] for m in members) for c in TOTAL_COLUMNS},
            "occupancy_s": round(sum(m.occupancy_s for m in members), 1),
            "occupancy_max": max(m.occupancy_max for m in members),
            "published_faces": published, **counts, "suppressed": published < k,
            "k": k, "l_diversity": diverse,
        })
    return documents


def roll_up_days(windows: Iterable[Any], k: int, diverse: bool = False) -> list[dict[str, Any]]:
    """Store-day documents from store windows: one per store and local day they cover.

    Pass every window of each day (a day's occupancy runs from its first window).
    """
    return roll_up_cells(window_cells(windows, k, diverse), k, diverse)
