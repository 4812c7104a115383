"""Report logic shared by the local dashboard (FastAPI) and the Functions blueprint.

k-anonymity over a range
------------------------
The Stream Analytics job suppresses a window's demographics when it holds fewer than ``k``
faces. When windows (and groups) are summed over a range, the same rule is applied again:

* totals (``visitors`` = faces, ``frames``) are summed over every window and are never suppressed;
* a breakdown (gender, age bands, emotions, average age, happiness share) sums only the
  *published* windows: not flagged ``suppressed`` and holding at least ``k`` faces (so a
  larger ``k`` in the API than in the job is honoured too). Suppressed windows never add
  anything to a breakdown, so summing them cannot leak;
* the breakdown is shown only when those published windows hold at least ``k`` faces
  together (and so the group too); otherwise it is ``suppressed: true`` with every
  demographic ``null``, never zeros;
* ``breakdown_visitors`` and ``suppressed_visitors`` say how many of the range's visitors the
  breakdown covers and how many it leaves out.

One base level: store windows
-----------------------------
The job also publishes hourly city and region rows. Their demographics sum only the job's
published store windows (at least 5 faces), so "region minus its published stores" reveals no
suppressed store window. They are still not used here, since they are fixed to the job's k = 5:
every report, at every level, is summed from the *store* rows only (cities and regions are groups
of stores, hourly series are 15-minute windows bucketed by the hour) with the service's ``k``. Any
breakdown is a sum of published store windows, so no combination of reports can isolate a
suppressed one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from functions.reports.models import (
    AGE_COLUMNS, COUNT_COLUMNS, EMOTION_COLUMNS, GENDER_COLUMNS, WINDOW_MINUTES, Breakdown, CityNode, Filters,
    GroupSummary, Level, RegionNode, Report, ReportQuery, SeriesPoint, StoreOption, StoreRef, WindowRow,
)
from functions.reports.reader import ReportReader

DEFAULT_K = 5
UNASSIGNED = "(unassigned)"


def rule_text(k: int) -> str:
    """The range rule in words, as reports state it."""
    return (
        f"Every figure is summed from 15-minute store windows. Breakdowns sum only published store "
        f"windows (not suppressed, at least k={k} faces); visitors in suppressed windows count in the "
        f"totals but never in a breakdown, which is shown only when the published windows hold at "
        f"least k={k} faces together."
    )


def is_published(row: WindowRow, k: int) -> bool:
    """Whether a row's demographics may be used: not suppressed and at least ``k`` faces."""
    return not row.suppressed and row.faces >= k


def breakdown(rows: Iterable[WindowRow], k: int) -> Breakdown:
    """Sum rows into totals and a k-anonymous demographic breakdown (rule: module docstring)."""
    visitors = covered = 0
    counts: dict[str, int] = defaultdict(int)
    age_sum = 0.0
    aged = 0
    for row in rows:
        visitors += row.faces
        if not is_published(row, k):
            continue
        covered += row.faces
        for column in COUNT_COLUMNS:
            counts[column] += getattr(row, column) or 0
        known_age = sum(getattr(row, c) or 0 for band, c in AGE_COLUMNS.items() if band != "unknown")
        if row.avg_age is not None and known_age:
            age_sum += row.avg_age * known_age
            aged += known_age
    if covered < k:
        return Breakdown(suppressed=True, visitors=visitors, breakdown_visitors=0, suppressed_visitors=visitors)
    emotions = {name: counts[column] for name, column in EMOTION_COLUMNS.items()}
    known_emotion = sum(emotions.values())
    return Breakdown(
        suppressed=False,
        visitors=visitors,
        breakdown_visitors=covered,
        suppressed_visitors=visitors - covered,
        gender={name: counts[column] for name, column in GENDER_COLUMNS.items()},
        age_bands={name: counts[column] for name, column in AGE_COLUMNS.items()},
        emotions=emotions,
        avg_age=round(age_sum / aged, 1) if aged else None,
        happiness_share=round(emotions["happiness"] / known_emotion, 4) if known_emotion else None,
    )


def _bucket(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    since_midnight = start.hour * 60 + start.minute
    floor = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=since_midnight - since_midnight % minutes)
    return floor, floor + timedelta(minutes=minutes)


def series(rows: Iterable[WindowRow], k: int, minutes: int | None = None) -> list[SeriesPoint]:
    """Visitors per window (or per ``minutes`` bucket of windows), summed over groups, in time order."""
    points: dict[tuple[datetime, datetime], list[int]] = {}
    for row in rows:
        key = (row.window_start, row.window_end) if minutes is None else _bucket(row.window_start, minutes)
        point = points.setdefault(key, [0, 0, 0])
        point[0] += row.faces
        point[1] += row.frames
        if not is_published(row, k):
            point[2] += row.faces
    return [
        SeriesPoint(window_start=start, window_end=end, visitors=v, frames=f, suppressed_visitors=s)
        for (start, end), (v, f, s) in sorted(points.items())
    ]


def _child_level(query: ReportQuery) -> Level | None:
    """The groups one step below the selection: a region's cities, a city's stores, the fleet's regions."""
    if query.store_id:
        return None
    return "store" if query.city else "city" if query.region else "region"


def _group_identity(row: WindowRow, level: Level) -> tuple[str, str, dict[str, str | None]]:
    if level == "store":
        key = row.store_id or ""
        return key, row.store_name or key, {"store_id": row.store_id, "city": row.city, "region": row.region}
    if level == "city":
        return row.city or "", row.city or UNASSIGNED, {"city": row.city, "region": row.region}
    return row.region or "", row.region or UNASSIGNED, {"region": row.region}


def groups(rows: Iterable[WindowRow], k: int, level: Level) -> list[GroupSummary]:
    """One k-anonymous summary per store, city or region (``level``) of the rows, by label."""
    by_key: dict[str, list[WindowRow]] = defaultdict(list)
    identity: dict[str, tuple[str, dict[str, str | None]]] = {}
    for row in rows:
        key, label, fields = _group_identity(row, level)
        by_key[key].append(row)
        identity.setdefault(key, (label, fields))
    summaries = []
    for key, members in by_key.items():
        label, fields = identity[key]
        summaries.append(GroupSummary(level=level, key=key, label=label, **fields, **breakdown(members, k).model_dump()))
    return sorted(summaries, key=lambda g: g.label.lower())


class ReportService:
    """Answers the reports API from any :class:`ReportReader`."""

    def __init__(self, reader: ReportReader, k: int = DEFAULT_K) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.reader = reader
        self.k = k

    def filters(self) -> Filters:
        """Regions > cities > stores, sorted by name, and the span of the data."""
        tree: dict[str, dict[tuple[str, str | None], list[StoreOption]]] = defaultdict(lambda: defaultdict(list))
        unassigned: list[StoreOption] = []
        for store in sorted(self.reader.stores(), key=_store_sort_key):
            option = StoreOption(store_id=store.store_id, store_name=store.store_name)
            if store.region and store.city:
                tree[store.region][(store.city, store.country)].append(option)
            else:
                unassigned.append(option)
        regions = [
            RegionNode(region=region, cities=[
                CityNode(city=city, country=country, stores=stores)
                for (city, country), stores in sorted(cities.items(), key=lambda item: item[0][0].lower())
            ])
            for region, cities in sorted(tree.items(), key=lambda item: item[0].lower())
        ]
        first, last = self.reader.time_range()
        return Filters(regions=regions, unassigned_stores=unassigned, first_window_start=first,
                       last_window_end=last, k=self.k)

    def report(self, query: ReportQuery) -> Report:
        """The time series, breakdown and sub-group summaries of one selection, from store windows."""
        level = query.resolved_level
        rows = self.reader.windows(query.selection("store"))
        child_level = _child_level(query)
        store_name = next((r.store_name for r in rows if r.store_name), None) if query.store_id else None
        minutes = WINDOW_MINUTES[level]
        points = series(rows, self.k, None if minutes == WINDOW_MINUTES["store"] else minutes)
        return Report(
            level=level,
            window_minutes=minutes,
            region=query.region, city=query.city, store_id=query.store_id, store_name=store_name,
            start=query.start, end=query.end,
            k=self.k,
            frames=sum(p.frames for p in points),
            windows=len(points),
            series=points,
            groups=groups(rows, self.k, child_level) if child_level else [],
            rule=rule_text(self.k),
            **breakdown(rows, self.k).model_dump(),
        )


def _store_sort_key(store: StoreRef) -> tuple[str, str, str]:
    return ((store.region or "").lower(), (store.city or "").lower(), (store.store_name or store.store_id).lower())
