"""Report logic shared by the local dashboard (FastAPI) and the Functions blueprint.

Visitors are people who entered
-------------------------------
``visitors`` is the sum of entries over the entrance cameras' lines (each person once); ``exits``
the sum of exits. Faces are never visitors: ``visit_faces`` (one per visit crop with a face) is
what demographic breakdowns count, and ``sightings`` (faces in whole frames) is reported apart.

k-anonymity over a range
------------------------
The Stream Analytics job suppresses a store window's demographics when it holds fewer than ``k``
visit faces. When windows (and groups) are summed over a range, the same rule is applied again:

* totals are summed over every window and are never suppressed;
* a breakdown sums only the *published* windows: not flagged ``suppressed`` and holding at least
  ``k`` visit faces (so a larger ``k`` in the API than in the job is honoured too). Suppressed
  windows never add anything to a breakdown, so summing them cannot leak;
* the breakdown is shown only when those published windows hold at least ``k`` visit faces
  together; otherwise it is ``suppressed: true`` with ``demographics`` null, never zeros;
* ``breakdown_faces`` and ``suppressed_faces`` say how many of the range's visit faces the
  breakdown covers and how many it leaves out.

One base level: store windows
-----------------------------
The job publishes only store windows (and zone windows). Every report, at every level, is summed
from them here: cities and regions are groups of stores, hourly series are 15-minute windows
bucketed by the hour. Any breakdown is a sum of published store windows, so no combination of
reports can isolate a suppressed one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from functions.aggregates import CATEGORIES, DWELL_COLUMNS, TOTAL_COLUMNS, WINDOW_MINUTES
from functions.contracts import DEFAULT_K
from functions.reports.models import (
    GRANULARITY_MINUTES, Breakdown, CityNode, Filters, GroupSummary, Level, Meta, RegionNode, Report, ReportQuery,
    SeriesPoint, StoreOption, StoreRef, ZoneSummary,
)
from functions.reports.reader import ReportReader

UNASSIGNED = "(unassigned)"


def rule_text(k: int) -> str:
    """The range rule in words, as reports state it."""
    return (
        f"Every figure is summed from 15-minute store windows. Visitors are entries counted at the doors. "
        f"Breakdowns describe visits (one face per visit) and sum only published store windows (not "
        f"suppressed, at least k={k} visit faces); faces in suppressed windows count in the totals but never "
        f"in a breakdown, which is shown only when the published windows hold at least k={k} visit faces together."
    )


def is_published(row: Any, k: int) -> bool:
    """Whether a store window's demographics may be used: not suppressed and at least ``k`` visit faces."""
    return not row.suppressed and row.visit_faces >= k


def totals(rows: Iterable[Any]) -> dict[str, int]:
    """The never-suppressed totals of store windows, summed."""
    sums = dict.fromkeys(TOTAL_COLUMNS, 0)
    for row in rows:
        for column in TOTAL_COLUMNS:
            sums[column] += getattr(row, column)
    return sums


def breakdown(rows: Iterable[Any], k: int) -> Breakdown:
    """Sum store windows into totals and a k-anonymous breakdown of visits (rule: module docstring)."""
    rows = list(rows)
    sums = totals(rows)
    covered = 0
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if not is_published(row, k):
            continue
        covered += row.visit_faces
        for cat in CATEGORIES:
            for column in cat.columns:
                counts[column] += getattr(row, column) or 0
    faces = sums["visit_faces"]
    if covered < k:
        return Breakdown(suppressed=True, breakdown_faces=0, suppressed_faces=faces, **sums)
    demographics = {
        cat.name: {value: counts[cat.column(value)] for value in (*cat.values, "unknown")} for cat in CATEGORIES
    }
    return Breakdown(suppressed=False, breakdown_faces=covered, suppressed_faces=faces - covered,
                     demographics=demographics, **sums)


def _bucket(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    since_midnight = start.hour * 60 + start.minute
    floor = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=since_midnight - since_midnight % minutes)
    return floor, floor + timedelta(minutes=minutes)


def series(rows: Iterable[Any], k: int, minutes: int = WINDOW_MINUTES) -> list[SeriesPoint]:
    """Totals per window (or per ``minutes`` bucket of windows), summed over stores, in time order."""
    points: dict[tuple[datetime, datetime], list[Any]] = defaultdict(list)
    for row in rows:
        key = (row.window_start, row.window_end) if minutes == WINDOW_MINUTES else _bucket(row.window_start, minutes)
        points[key].append(row)
    return [
        SeriesPoint(window_start=start, window_end=end,
                    suppressed_faces=sum(r.visit_faces for r in members if not is_published(r, k)),
                    **totals(members))
        for (start, end), members in sorted(points.items())
    ]


def _child_level(query: ReportQuery) -> Level | None:
    """The groups one step below the selection: a region's cities, a city's stores, the fleet's regions."""
    if query.store_id:
        return None
    return "store" if query.city else "city" if query.region else "region"


def _group_identity(row: Any, level: Level) -> tuple[str, str, dict[str, str | None]]:
    if level == "store":
        key = row.store_id or ""
        return key, row.store_name or key, {"store_id": row.store_id, "city": row.city, "region": row.region}
    if level == "city":
        return row.city or "", row.city or UNASSIGNED, {"city": row.city, "region": row.region}
    return row.region or "", row.region or UNASSIGNED, {"region": row.region}


def groups(rows: Iterable[Any], k: int, level: Level) -> list[GroupSummary]:
    """One k-anonymous summary per store, city or region (``level``) of the rows, by label."""
    by_key: dict[str, list[Any]] = defaultdict(list)
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


def zone_summaries(rows: Iterable[Any]) -> list[ZoneSummary]:
    """Per zone: visits, average dwell, the dwell histogram and occupancy over the zone windows."""
    by_zone: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_zone[row.zone].append(row)
    out = []
    for zone, members in sorted(by_zone.items()):
        visits = sum(r.visits for r in members)
        dwell_s = sum(r.dwell_s_sum for r in members)
        out.append(ZoneSummary(
            zone=zone, visits=visits, avg_dwell_s=round(dwell_s / visits, 1) if visits else None,
            dwell={c.name.removeprefix("dwell_"): sum(getattr(r, c.name) for r in members) for c in DWELL_COLUMNS},
            occupancy_mean=round(sum(r.occupancy_mean for r in members) / len(members), 2),
            occupancy_max=max(r.occupancy_max for r in members),
        ))
    return out


class ReportService:
    """Answers the reports API from any :class:`ReportReader`."""

    def __init__(self, reader: ReportReader, k: int = DEFAULT_K) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.reader = reader
        self.k = k

    def meta(self) -> Meta:
        """Labels of every category and column, and k."""
        return Meta.build(self.k)

    def filters(self) -> Filters:
        """Regions > cities > stores, sorted by name, and the span of the data."""
        tree: dict[str, dict[tuple[str, str | None], list[StoreOption]]] = defaultdict(lambda: defaultdict(list))
        unassigned: list[StoreOption] = []
        for store in sorted(self.reader.stores(), key=_store_sort_key):
            option = StoreOption(store_id=store.store_id, store_name=store.store_name, time_zone=store.time_zone)
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
        """The time series, breakdown, sub-group and zone summaries of one selection, from store windows."""
        granularity = query.resolved_granularity
        minutes = GRANULARITY_MINUTES[granularity]
        rows = self.reader.store_windows(query.selection())
        child_level = _child_level(query)
        store_name = next((r.store_name for r in rows if r.store_name), None) if query.store_id else None
        points = series(rows, self.k, minutes)
        zones = zone_summaries(self.reader.zone_windows(query.selection())) if query.store_id else []
        return Report(
            granularity=granularity,
            window_minutes=minutes,
            region=query.region, city=query.city, store_id=query.store_id, store_name=store_name,
            start=query.start, end=query.end,
            k=self.k,
            windows=len(points),
            series=points,
            groups=groups(rows, self.k, child_level) if child_level else [],
            zones=zones,
            rule=rule_text(self.k),
            **breakdown(rows, self.k).model_dump(),
        )


def _store_sort_key(store: StoreRef) -> tuple[str, str, str]:
    return ((store.region or "").lower(), (store.city or "").lower(), (store.store_name or store.store_id).lower())
