"""Report logic shared by the local dashboard (FastAPI) and the Functions blueprint.

Visitors are people who entered
-------------------------------
``visitors`` is the sum of entries over the entrance cameras' lines (each person once); ``exits``
the sum of exits. Faces are never visitors: ``visit_faces`` (one per visit crop with a face) is
what demographic breakdowns count, and ``sightings`` (faces in whole frames) is reported apart.
Occupancy and dwell come from the same door counts (:mod:`.rollup`).

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

With l-diversity on, a window is published only if, besides, its known values of every category are
not all one (:func:`~functions.reports.rollup.is_published`): decided per window like k, so that no
parent or period minus its published parts reveals a group l-diversity hid. A sum of such windows is
never single-valued; the parent is checked again all the same.

A daily rollup (``store_day``) holds the sums of its published windows only, so a sum of days obeys
the same rule. Which windows are published depends on ``k`` (and l-diversity), so a rollup records
both and its breakdown is used only under the very same rule: a rollup written at k = 5, read with
k = 10, holds windows of 5 to 9 faces that the day's published hours at k = 10 leave out, and the
day minus those hours would show them. Such a day is read from its windows instead (kept 400 days);
beyond them it gives its totals with its breakdown suppressed.

One base level, two speeds
--------------------------
The job publishes only store windows (and zone windows). Quarter hours and hours are summed from
store windows; days, ISO weeks and months from the daily rollups, and every local date on which a
selected store has no rollup that applies (not rolled up yet, the timer was down, another rule) is
summed from that date's windows: a missing rollup makes a report slower, never wrong. A year of a
store is then about 365 rollups and a few hundred windows, not 35,000 windows. Cities and regions
are groups of stores, each in its own local time: a region's day is the sum of its stores' local days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from functions.aggregates import CATEGORIES, COUNT_COLUMNS, DWELL_COLUMNS, TOTAL_COLUMNS
from functions.contracts import DEFAULT_K
from functions.reports.access import ALL, AccessDenied, Scope
from functions.reports.models import (
    CHANGE_FIELDS,
    DEFAULT_SPAN_DAYS,
    GRANULARITY_MINUTES,
    HEATMAP_DAYS,
    MAX_SUB_DAY_SPAN_DAYS,
    STORE_FILTERS,
    SUB_DAY,
    Breakdown,
    CityNode,
    Comparison,
    DaySelection,
    Filters,
    Granularity,
    GroupSummary,
    HeatCell,
    Heatmap,
    HeatmapQuery,
    Level,
    Meta,
    RankedStore,
    Ranking,
    RankingQuery,
    RegionNode,
    Report,
    ReportQuery,
    SeriesPoint,
    StoreDayRow,
    StoreOption,
    StoreRef,
    StoreWindowRow,
    WindowSelection,
    ZoneSummary,
    ZoneWindowRow,
    _Scope,
)
from functions.reports.reader import ReportReader
from functions.reports.rollup import (
    MAX_OFFSET,
    UTC_NAME,
    WINDOW,
    Cell,
    day_bounds,
    day_cells,
    is_published,
    local_date,
    local_midnight,
    rollup_applies,
    single_valued,
    window_cells,
    zone,
)

UNASSIGNED = "(unassigned)"
ScopeT = TypeVar("ScopeT", bound=_Scope)


def rule_text(k: int) -> str:
    """The range rule in words, as reports state it."""
    return (
        f"Every figure is summed from 15-minute store windows (days, weeks and months from daily rollups of them). "
        f"Visitors are entries counted at the doors. Breakdowns describe visits (one face per visit) and sum only "
        f"published store windows (not suppressed, at least k={k} visit faces); faces in suppressed windows count in "
        f"the totals but never in a breakdown, which is shown only when the published windows hold at least k={k} "
        f"visit faces together."
    )


__all__ = ["ReportService", "breakdown", "is_published", "rule_text", "series", "zone_summaries"]


# --- sums --------------------------------------------------------------------------------------


def _sum_cells(cells: list[Cell], k: int, *, one_store: bool, diverse: bool = False) -> dict[str, Any]:
    """Totals, flow and the k-anonymous breakdown of cells (rule: module docstring); with ``diverse``
    a breakdown where one value holds every known face of a category is suppressed too."""
    sums = dict.fromkeys(TOTAL_COLUMNS, 0)
    counts = dict.fromkeys(COUNT_COLUMNS, 0)
    covered = 0
    occupancy_s = 0.0
    peak = 0
    for cell in cells:
        for column in TOTAL_COLUMNS:
            sums[column] += cell.totals[column]
        occupancy_s += cell.occupancy_s
        peak = max(peak, cell.occupancy_max)
        if cell.counts is not None and cell.covered:
            covered += cell.covered
            for column, value in cell.counts.items():
                counts[column] += value
    flow = {
        "occupancy_s": round(occupancy_s, 1),
        "avg_dwell_s": round(occupancy_s / sums["visitors"], 1) if sums["visitors"] else None,
        "peak_occupancy": peak if one_store and cells else None,
    }
    faces = sums["visit_faces"]
    if covered < k:
        return {**sums, **flow, "suppressed": True, "breakdown_faces": 0, "suppressed_faces": faces,
                "demographics": None}
    demographics = {cat.name: {value: counts[cat.column(value)] for value in (*cat.values, "unknown")}
                    for cat in CATEGORIES}
    if diverse and single_valued(counts):
        return {**sums, **flow, "suppressed": True, "breakdown_faces": 0, "suppressed_faces": faces,
                "demographics": None}
    return {**sums, **flow, "suppressed": False, "breakdown_faces": covered, "suppressed_faces": faces - covered,
            "demographics": demographics}


def breakdown(rows: Iterable[Any], k: int, *, diverse: bool = False) -> Breakdown:
    """Sum store windows into totals, flow and a k-anonymous (and with ``diverse`` l-diverse) breakdown of visits."""
    rows = list(rows)
    return Breakdown(**_sum_cells(window_cells(rows, k, diverse), k, one_store=len({r.store_id for r in rows}) == 1,
                                  diverse=diverse))


# --- local-time buckets ------------------------------------------------------------------------

Key = tuple[datetime, int]
"""A point of a series: its local wall-clock start (naive) and fold (1 for the repeated hour)."""


def _key(granularity: Granularity, cell: Cell) -> Key:
    if granularity in SUB_DAY:
        local = cell.utc_start.astimezone(zone(cell.time_zone))
        if granularity == "hour":
            local = local.replace(minute=0)
        return local.replace(tzinfo=None), local.fold
    return _day_key(granularity, cell.day), 0


def _day_key(granularity: Granularity, day: date) -> datetime:
    if granularity == "week":
        day = day - timedelta(days=day.isoweekday() - 1)
    elif granularity == "month":
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day)


def _next_day_key(granularity: Granularity, start: date) -> date:
    if granularity == "week":
        return start + timedelta(days=7)
    if granularity == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def period_label(granularity: Granularity, key: Key) -> str:
    """How a point is named: ``2026-11-23T08:00``, ``2026-11-23``, ``2026-W48``, ``2026-11``."""
    start, fold = key
    if granularity in SUB_DAY:
        return f"{start:%Y-%m-%dT%H:%M}" + (" (2)" if fold else "")
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m-%d}"


def _bucket_bounds(granularity: Granularity, tz: tzinfo, lo: datetime,
                   hi: datetime) -> dict[Key, tuple[datetime, datetime]]:
    """Every point of one zone between two UTC instants, with its UTC bounds."""
    bounds: dict[Key, tuple[datetime, datetime]] = {}
    if granularity in SUB_DAY:
        step = WINDOW if granularity == "15min" else timedelta(hours=1)
        t = lo
        while t < hi:
            local = t.astimezone(tz)
            if granularity == "hour":
                local = local.replace(minute=0)
            key = (local.replace(tzinfo=None), local.fold)
            start = max(lo, local.astimezone(UTC))
            known = bounds.get(key)
            bounds[key] = (min(start, known[0]) if known else start, min(hi, start + step))
            t += WINDOW
        return bounds
    first = lo.astimezone(tz).date()
    last = (hi - timedelta(microseconds=1)).astimezone(tz).date()
    day = _day_key(granularity, first).date()
    while day <= last:
        following = _next_day_key(granularity, day)
        bounds[(datetime(day.year, day.month, day.day), 0)] = (
            max(lo, local_midnight(day, tz)), min(hi, local_midnight(following, tz)))
        day = following
    return bounds


# --- service -----------------------------------------------------------------------------------


class _Range:
    """A query's range resolved: UTC bounds to read, and how cells are cut (local days or instants)."""

    def __init__(self, start: date | datetime | None, end: date | datetime | None) -> None:
        self.start, self.end = start, end
        self.instants = isinstance(start, datetime) or isinstance(end, datetime)

    def read_bounds(self) -> tuple[datetime | None, datetime | None]:
        """UTC bounds wide enough for every zone (and for occupancy to start at local midnight)."""
        if self.instants:
            lo = self.start - timedelta(hours=25) if isinstance(self.start, datetime) else None
            return lo, self.end if isinstance(self.end, datetime) else None
        lo = _midnight_utc(self.start) - MAX_OFFSET if self.start else None
        hi = _midnight_utc(self.end) + MAX_OFFSET if self.end else None
        return lo, hi

    def keeps(self, cell: Cell) -> bool:
        if self.instants:
            return (self.start is None or cell.utc_start >= self.start) and (
                self.end is None or cell.utc_end <= self.end)
        return (self.start is None or cell.day >= self.start) and (self.end is None or cell.day < self.end)

    def zone_bounds(self, tz: tzinfo) -> tuple[datetime, datetime] | None:
        """The range in UTC for one zone (None when open-ended)."""
        if self.start is None or self.end is None:
            return None
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):  # instants
            return self.start, self.end
        return local_midnight(self.start, tz), local_midnight(self.end, tz)

    def shifted(self, compare: str) -> _Range:
        """The comparison range: just before (same length), or 52 weeks earlier (same weekdays)."""
        assert self.start is not None and self.end is not None
        delta = (self.end - self.start) if compare == "previous_period" else timedelta(days=364)
        if not self.instants:
            delta = timedelta(days=delta.days)
        return _Range(self.start - delta, self.end - delta)


def _midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class ReportService:
    """Answers the reports API from any :class:`ReportReader`."""

    def __init__(self, reader: ReportReader, k: int = DEFAULT_K, *, l_diversity: bool = False) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.reader = reader
        self.k = k
        self.l_diversity = l_diversity

    def meta(self) -> Meta:
        """Labels of every category and column, and k."""
        return Meta.build(self.k)

    # -- access ---------------------------------------------------------------------------------

    def _directory(self, scope: Scope) -> list[StoreRef]:
        return [s for s in self.reader.stores() if scope.allows(s.store_id, s.region)]

    def check(self, query: _Scope, scope: Scope) -> None:
        """Raise :class:`AccessDenied` when the query names a region, city or store outside ``scope``."""
        if scope.everything:
            return
        if query.region is not None and not scope.allows_region(query.region):
            if not any(s.region == query.region for s in self._directory(scope)):
                raise AccessDenied(f"region {query.region!r} is not yours to read")
        if query.city is not None and not any(s.city == query.city for s in self._directory(scope)):
            raise AccessDenied(f"city {query.city!r} is not yours to read")
        if query.store_id is not None and query.store_id not in scope.stores:
            known = {s.store_id: s for s in self.reader.stores()}
            store = known.get(query.store_id)
            if store is None or not scope.allows(store.store_id, store.region):
                raise AccessDenied(f"store {query.store_id!r} is not yours to read")

    # -- reading cells ----------------------------------------------------------------------------

    def _windows(self, query: _Scope, rng: _Range, scope: Scope) -> list[Cell]:
        read_lo, read_hi = rng.read_bounds()
        rows = self.reader.store_windows(WindowSelection(
            region=query.region, city=query.city, store_id=query.store_id, start=read_lo, end=read_hi))
        rows = [r for r in rows if scope.allows(r.store_id, r.region)]
        return [c for c in window_cells(rows, self.k, self.l_diversity) if rng.keeps(c)]

    def _cells(self, query: _Scope, rng: _Range, granularity: Granularity, scope: Scope) -> list[Cell]:
        """Windows for sub-day points or instant ranges; else the daily rollups that apply, and the windows of
        every other day (module docstring)."""
        if granularity in SUB_DAY or rng.instants:
            return self._windows(query, rng, scope)
        last = rng.end - timedelta(days=1) if isinstance(rng.end, date) else None
        days = [d for d in self.reader.store_days(DaySelection(
            region=query.region, city=query.city, store_id=query.store_id, first=rng.start, last=last))
            if scope.allows(d.store_id, d.region)]
        rolled: dict[tuple[str, date], tuple[Cell, bool]] = {}
        for day, cell in zip(days, day_cells(days, self.k, self.l_diversity), strict=True):
            if rng.keeps(cell):
                rolled[(cell.store_id, cell.day)] = (cell, rollup_applies(day, self.k, self.l_diversity))
        final = {key for key, (_, applies) in rolled.items() if applies}
        windows: dict[tuple[str, date], list[Cell]] = defaultdict(list)
        for run in self._runs_to_read(query, rng, scope, final, {s for s, _ in rolled}):
            for cell in self._windows(query, run, scope):
                if (cell.store_id, cell.day) not in final:
                    windows[(cell.store_id, cell.day)].append(cell)
        cells = [cell for key, (cell, applies) in rolled.items() if applies]
        for key, (cell, applies) in rolled.items():
            # A rollup under another rule: its totals stand for the day when its windows are gone (kept 400 days).
            if not applies and len(windows.get(key, ())) < cell.windows:
                windows[key] = [cell]
        return cells + [cell for group in windows.values() for cell in group]

    def _runs_to_read(self, query: _Scope, rng: _Range, scope: Scope, final: set[tuple[str, date]],
                      rolled_stores: set[str]) -> list[_Range]:
        """The runs of consecutive local dates whose windows must be read: a date on which a selected store
        (one the directory names, or with a rollup in the range) has no rollup that applies."""
        if rng.start is None or rng.end is None:
            return [rng]
        assert isinstance(rng.start, date) and isinstance(rng.end, date)
        stores = rolled_stores | {s.store_id for s in self._directory(scope) if _selected(s, query)}
        runs: list[_Range] = []
        day, run_start = rng.start, None
        while day <= rng.end:
            missing = day < rng.end and (not stores or any((store, day) not in final for store in stores))
            if missing and run_start is None:
                run_start = day
            elif not missing and run_start is not None:
                runs.append(_Range(run_start, day))
                run_start = None
            day += timedelta(days=1)
        return runs

    # -- series -----------------------------------------------------------------------------------

    def _series(self, cells: list[Cell], granularity: Granularity, rng: _Range, zones: set[str | None],
                one_store: bool) -> list[SeriesPoint]:
        members: dict[Key, list[Cell]] = defaultdict(list)
        for cell in cells:
            members[_key(granularity, cell)].append(cell)
        bounds: dict[Key, tuple[datetime, datetime]] = {}
        for name in zones:
            zone_range = rng.zone_bounds(zone(name))
            if zone_range is None:
                continue
            for key, (lo, hi) in _bucket_bounds(granularity, zone(name), *zone_range).items():
                known = bounds.get(key)
                bounds[key] = (min(lo, known[0]), max(hi, known[1])) if known else (lo, hi)
        for key, group in members.items():
            if key not in bounds:
                bounds[key] = (min(c.utc_start for c in group), max(c.utc_end for c in group))
        nominal_s = GRANULARITY_MINUTES[granularity] * 60 if granularity in SUB_DAY else None
        points = []
        for key in sorted(bounds):
            group = members.get(key, [])
            sums = _sum_cells(group, self.k, one_store=one_store, diverse=self.l_diversity)
            points.append(SeriesPoint(
                period=period_label(granularity, key), local_start=key[0].isoformat(timespec="minutes"),
                window_start=bounds[key][0], window_end=bounds[key][1],
                occupancy_mean=round(sums["occupancy_s"] / nominal_s, 2) if nominal_s else None, **sums))
        return points

    def bounded(self, query: ScopeT, default_days: int) -> ScopeT:
        """The query with both bounds: a missing end is the end of the newest data (for dates: the day after
        its latest local date over the stores' zones; today without data), a missing start ``default_days``
        before the end (and no later than the newest data's local date in every zone). Validated again, so
        the span limits apply (:class:`pydantic.ValidationError`, a 422, when over): nothing reads unbounded."""
        if query.start is not None and query.end is not None:
            return query
        instants = isinstance(query.start, datetime) or isinstance(query.end, datetime)
        end = query.end
        earliest: date | None = None
        if end is None:
            _, last = self.reader.time_range()
            newest = last or datetime.now(UTC)
            if instants:
                end = newest
            else:
                newest -= timedelta(microseconds=1)
                dates = [local_date(newest, zone(s.time_zone)) for s in self.reader.stores()] or [newest.date()]
                end, earliest = max(dates) + timedelta(days=1), min(dates)
            if query.start is not None and end <= query.start:
                end = query.start + (WINDOW if instants else timedelta(days=1))
        start = query.start
        if start is None:
            start = end - timedelta(days=default_days)
            if earliest is not None:
                start = min(start, earliest)
        return type(query).model_validate({**query.model_dump(exclude={"start", "end"}), "start": start, "end": end})

    def report(self, query: ReportQuery, scope: Scope = ALL) -> Report:
        """The time series, breakdown, sub-groups, zones and comparison of one selection (a missing bound
        is filled in by :meth:`bounded`)."""
        self.check(query, scope)
        query = self.bounded(query, DEFAULT_SPAN_DAYS[query.resolved_granularity])
        granularity = query.resolved_granularity
        rng = _Range(query.start, query.end)
        cells = self._cells(query, rng, granularity, scope)
        stores = [s for s in self._directory(scope) if _selected(s, query)]
        zones = {c.time_zone for c in cells} | {s.time_zone for s in stores}
        one_store = query.store_id is not None
        points = self._series(cells, granularity, rng, zones, one_store)
        comparison = None
        if query.compare:
            before = rng.shifted(query.compare)
            then_cells = self._cells(query, before, granularity, scope)
            then = _sum_cells(then_cells, self.k, one_store=one_store, diverse=self.l_diversity)
            now = _sum_cells(cells, self.k, one_store=one_store, diverse=self.l_diversity)
            comparison = Comparison(
                compare=query.compare, start=before.start, end=before.end,
                series=self._series(then_cells, granularity, before, zones, one_store),
                change_pct={f: _change(now[f], then[f]) for f in CHANGE_FIELDS}, **then)
        child_level = _child_level(query)
        store_name = next((c.store_name for c in cells if c.store_name), None) if one_store else None
        if one_store and store_name is None:
            store_name = next((s.store_name for s in stores if s.store_id == query.store_id), None)
        zone_rows = []
        if one_store:
            lo, hi = rng.read_bounds()
            rows = self.reader.zone_windows(WindowSelection(store_id=query.store_id, start=lo, end=hi))
            tz = zone(next(iter(zones - {None}), None) if zones - {None} else None)
            zone_rows = [z for z in rows if _zone_row_kept(z, rng, tz)]
        names = sorted(name or UTC_NAME for name in zones) if zones else [UTC_NAME]
        return Report(
            granularity=granularity, region=query.region, city=query.city, store_id=query.store_id,
            store_name=store_name, start=query.start, end=query.end,
            time_basis=names[0] if len(names) == 1 else f"each store's local time ({len(names)} zones)",
            time_zones=names, k=self.k, windows=len(points), series=points, comparison=comparison,
            groups=_groups(cells, self.k, child_level, self.l_diversity) if child_level else [],
            zones=zone_summaries(zone_rows), rule=rule_text(self.k),
            **_sum_cells(cells, self.k, one_store=one_store, diverse=self.l_diversity),
        )

    # -- heatmap and ranking ----------------------------------------------------------------------

    def heatmap(self, query: HeatmapQuery, scope: Scope = ALL) -> Heatmap:
        """Visitors by ISO weekday and store-local hour over the range (default: the last 28 days of data; at
        most the last :data:`MAX_SUB_DAY_SPAN_DAYS` days of a longer one)."""
        self.check(query, scope)
        query = self.bounded(query, HEATMAP_DAYS)
        if query.span_days > MAX_SUB_DAY_SPAN_DAYS and query.start is not None and query.end is not None:
            query = query.model_copy(update={"start": query.end - timedelta(days=MAX_SUB_DAY_SPAN_DAYS)})
        rng = _Range(query.start, query.end)
        cells = self._windows(query, rng, scope)
        visitors: dict[tuple[int, int], int] = defaultdict(int)
        for cell in cells:
            local = cell.utc_start.astimezone(zone(cell.time_zone))
            visitors[(local.isoweekday(), local.hour)] += cell.totals["visitors"]
        assert rng.start is not None and rng.end is not None
        first: date = rng.start.date() if isinstance(rng.start, datetime) else rng.start
        last: date = rng.end.date() if isinstance(rng.end, datetime) else rng.end
        weekdays: dict[int, int] = defaultdict(int)
        day = first
        while day < last:
            weekdays[day.isoweekday()] += 1
            day += timedelta(days=1)
        grid = [HeatCell(weekday=w, hour=h, visitors=visitors[(w, h)], days=weekdays[w],
                         average=round(visitors[(w, h)] / weekdays[w], 2) if weekdays[w] else 0.0)
                for w in range(1, 8) for h in range(24)]
        busiest = max(grid, key=lambda c: c.average) if any(c.visitors for c in grid) else None
        zones = sorted({c.time_zone or UTC_NAME for c in cells}) or [UTC_NAME]
        return Heatmap(region=query.region, city=query.city, store_id=query.store_id,
                       store_name=next((c.store_name for c in cells if c.store_name), None) if query.store_id else None,
                       start=rng.start, end=rng.end,
                       time_basis=zones[0] if len(zones) == 1 else f"each store's local time ({len(zones)} zones)",
                       cells=grid, busiest=busiest)

    def ranking(self, query: RankingQuery, scope: Scope = ALL) -> Ranking:
        """The stores of the selection by visitors: the top ``n`` and the bottom ``n`` (a missing bound is filled
        in by :meth:`bounded`, as for a report by day)."""
        self.check(query, scope)
        query = self.bounded(query, DEFAULT_SPAN_DAYS["day"])
        rng = _Range(query.start, query.end)
        cells = self._cells(query, rng, "day", scope)
        by_store: dict[str, list[Cell]] = defaultdict(list)
        for cell in cells:
            by_store[cell.store_id].append(cell)
        ranked = []
        for store in self._directory(scope):
            if _selected(store, query):
                by_store.setdefault(store.store_id, [])
        refs = {s.store_id: s for s in self.reader.stores()}
        for store_id, group in by_store.items():
            named: Any = group[0] if group else refs.get(store_id)
            sums = _sum_cells(group, self.k, one_store=True, diverse=self.l_diversity)
            ranked.append(RankedStore(
                rank=0, store_id=store_id, store_name=named and named.store_name, city=named and named.city,
                region=named and named.region, visitors=sums["visitors"], avg_dwell_s=sums["avg_dwell_s"]))
        ranked.sort(key=lambda r: (-r.visitors, r.store_id))
        for i, entry in enumerate(ranked, 1):
            entry.rank = i
        return Ranking(region=query.region, city=query.city, start=query.start, end=query.end, stores=len(ranked),
                       top=ranked[:query.n], bottom=list(reversed(ranked))[:query.n])

    # -- filters and rollups ------------------------------------------------------------------------

    def filters(self, scope: Scope = ALL) -> Filters:
        """Regions > cities > stores the caller may read, sorted by name, and the span of the data."""
        tree: dict[str, dict[tuple[str, str | None], list[StoreOption]]] = defaultdict(lambda: defaultdict(list))
        unassigned: list[StoreOption] = []
        for store in sorted(self._directory(scope), key=_store_sort_key):
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


def _change(now: float | None, then: float | None) -> float | None:
    if now is None or not then:
        return None
    return round((now - then) / then * 100, 1)


def _selected(store: StoreRef, query: _Scope) -> bool:
    return all(getattr(query, f) in (None, getattr(store, f)) for f in STORE_FILTERS)


def _zone_row_kept(row: Any, rng: _Range, tz: tzinfo) -> bool:
    if rng.instants:
        return (rng.start is None or row.window_start >= rng.start) and (rng.end is None or row.window_end <= rng.end)
    day = row.window_start.astimezone(tz).date()
    return (rng.start is None or day >= rng.start) and (rng.end is None or day < rng.end)


def series(rows: Iterable[Any], k: int, granularity: Granularity = "15min") -> list[SeriesPoint]:
    """Store windows summed per local point of ``granularity`` (no range: only points with windows)."""
    rows = list(rows)
    service = ReportService(_NoReader(), k)
    zones = {r.time_zone for r in rows}
    return service._series(window_cells(rows, k), granularity, _Range(None, None), zones,
                           len({r.store_id for r in rows}) == 1)


class _NoReader:
    """A reader with nothing in it (for :func:`series` on rows at hand)."""

    def store_windows(self, selection: WindowSelection) -> list[StoreWindowRow]:
        return []

    def zone_windows(self, selection: WindowSelection) -> list[ZoneWindowRow]:
        return []

    def store_days(self, selection: DaySelection) -> list[StoreDayRow]:
        return []

    def stores(self) -> list[StoreRef]:
        return []

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        return None, None


def _child_level(query: ReportQuery) -> Level | None:
    """The groups one step below the selection: a region's cities, a city's stores, the fleet's regions."""
    if query.store_id:
        return None
    return "store" if query.city else "city" if query.region else "region"


def _group_identity(cell: Cell, level: Level) -> tuple[str, str, dict[str, Any]]:
    if level == "store":
        key = cell.store_id or ""
        return key, cell.store_name or key, {"store_id": cell.store_id, "city": cell.city, "region": cell.region}
    if level == "city":
        return cell.city or "", cell.city or UNASSIGNED, {"city": cell.city, "region": cell.region}
    return cell.region or "", cell.region or UNASSIGNED, {"region": cell.region}


def _groups(cells: Iterable[Cell], k: int, level: Level, diverse: bool = False) -> list[GroupSummary]:
    """One k-anonymous summary per store, city or region (``level``) of the cells, by label."""
    by_key: dict[str, list[Cell]] = defaultdict(list)
    identity: dict[str, tuple[str, dict[str, Any]]] = {}
    for cell in cells:
        key, label, fields = _group_identity(cell, level)
        by_key[key].append(cell)
        identity.setdefault(key, (label, fields))
    summaries = []
    for key, members in by_key.items():
        label, fields = identity[key]
        summaries.append(GroupSummary(level=level, key=key, label=label, **fields,
                                      **_sum_cells(members, k, one_store=level == "store", diverse=diverse)))
    return sorted(summaries, key=lambda g: g.label.lower())


def zone_summaries(rows: Iterable[Any]) -> list[ZoneSummary]:
    """Per zone: visits, average dwell, the dwell histogram and occupancy over the zone windows."""
    by_zone: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_zone[row.zone].append(row)
    out = []
    for name, members in sorted(by_zone.items()):
        visits = sum(r.visits for r in members)
        dwell_s = sum(r.dwell_s_sum for r in members)
        out.append(ZoneSummary(
            zone=name, visits=visits, avg_dwell_s=round(dwell_s / visits, 1) if visits else None,
            dwell={c.name.removeprefix("dwell_"): sum(getattr(r, c.name) for r in members) for c in DWELL_COLUMNS},
            occupancy_mean=round(sum(r.occupancy_mean for r in members) / len(members), 2),
            occupancy_max=max(r.occupancy_max for r in members),
        ))
    return out


def _store_sort_key(store: StoreRef) -> tuple[str, str, str]:
    return ((store.region or "").lower(), (store.city or "").lower(), (store.store_name or store.store_id).lower())


def day_range(day: date, time_zone: str | None) -> tuple[datetime, datetime]:
    """A store's local day in UTC (re-exported for callers that label days)."""
    return day_bounds(day, zone(time_zone))
