"""Reports over 13 months of history: a store's year-over-year query from the local report database.

Synthesizes 400 days (13 months, the Cosmos DB retention) of 15-minute store windows for 50 stores in
8 time zones (12 open hours a day, weekday and seasonal patterns, demographics with k = 5), written
through ``ReportDatabase.write_output`` as ``footfall asa run`` writes them, so the daily rollups are
built the same way. The store is cached in ``.cache/bench-reports/`` (built once, about a minute).

Then times, over the warm store (median of 7 runs, each through the whole ReportService):

* a store's last 4 weeks by day compared with the same weekdays a year earlier (the target: < 1 s);
* a store's year by ISO week compared with the year before;
* a store's year by month;
* a region's week by day compared with the previous week;
* the same store's year by month read from windows only (no rollups), for contrast.

It also prints what each query read (rollups and windows), the measured JSON size of a store-window and
a store-day document, and the request units those reads would cost in Cosmos DB, estimated from the
documented point-read cost (1 RU per 1 KB item; see README "What a year query costs").

    .venv/bin/python benchmarks/bench_reports.py [--stores 50] [--days 400] [--rebuild] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from footfall.machine import load_average
from footfall.reports.database import ReportDatabase
from functions.aggregates import CATEGORIES
from functions.reports.models import DaySelection, ReportQuery, WindowSelection
from functions.reports.rollup import day_bounds, zone
from functions.reports.service import ReportService

REPO = Path(__file__).resolve().parent.parent

K = 5
LAST_DAY = date(2026, 11, 22)
ZONES = ("Europe/Stockholm", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
         "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo")
CACHE = REPO / ".cache" / "bench-reports"


def stores(n: int) -> list[dict[str, Any]]:
    """``n`` stores, 6 or 7 per zone, one region per zone, two cities per region."""
    out = []
    for i in range(n):
        tz = ZONES[i % len(ZONES)]
        region = tz.split("/")[1].replace("_", " ")
        out.append({"store_id": f"B{i:04d}", "store_name": f"Store {i}", "city": f"{region} {'NS'[i % 2]}",
                    "country": "XX", "region": region, "time_zone": tz, "scale": 0.5 + (i * 37 % 100) / 100})
    return out


def _split(rng: random.Random, total: int, values: int) -> list[int]:
    counts = [0] * values
    for _ in range(total):
        counts[min(values - 1, int(rng.random() ** 1.6 * values))] += 1
    return counts


def store_windows(store: dict[str, Any], days: int, rng: random.Random) -> list[dict[str, Any]]:
    """The store's windows: 48 a day, 09:00-21:00 local, busier at lunch, after work and on Saturdays."""
    tz = zone(store["time_zone"])
    rows = []
    first = LAST_DAY - timedelta(days=days - 1)
    reference = {k: store[k] for k in ("store_id", "store_name", "city", "country", "region", "time_zone")}
    for d in range(days):
        day = first + timedelta(days=d)
        season = 1 + 0.25 * math.sin((day.timetuple().tm_yday - 80) / 365 * 2 * math.pi)
        season += 0.4 if day.month == 12 else 0
        weekday = (0.8, 0.85, 0.9, 0.95, 1.1, 1.5, 0.7)[day.weekday()]
        opening, _ = day_bounds(day, tz)
        inside = 0
        for q in range(36, 84):  # 09:00 to 21:00 local
            start = opening + timedelta(minutes=15 * q)
            hour = q / 4
            lam = store["scale"] * season * weekday * (4 + 9 * math.exp(-((hour - 12.5) ** 2) / 2)
                                                        + 12 * math.exp(-((hour - 17.5) ** 2) / 1.5))
            visitors = max(0, int(rng.gauss(lam, math.sqrt(lam))))
            exits = min(inside + visitors, max(0, int(rng.gauss(inside * 0.45 + visitors * 0.5, 1.5))))
            if q == 83:
                exits = inside + visitors
            inside += visitors - exits
            faces = int(visitors * 0.8)
            published = faces >= K
            row = {**reference, "window_start": start, "window_end": start + timedelta(minutes=15),
                   "photos": visitors + 3, "visit_photos": visitors, "visit_faces": faces, "sightings": 2 * visitors,
                   "visitors": visitors, "exits": exits, "suppressed": not published}
            for cat in CATEGORIES:
                counts = _split(rng, faces, len(cat.values) + 1)
                for column, count in zip(cat.columns, counts, strict=True):
                    row[column] = count if published else None
            rows.append(row)
    return rows


def build(path: Path, n_stores: int, days: int) -> float:
    """Write the synthetic history; returns seconds taken."""
    began = time.perf_counter()
    if path.exists():
        path.unlink()
    store = ReportDatabase(path, k=K)
    rng = random.Random(2026)
    for i, s in enumerate(stores(n_stores)):
        store.write_output("store_windows", store_windows(s, days, rng))
        print(f"\r  built {i + 1}/{n_stores} stores", end="", flush=True)
    print()
    return time.perf_counter() - began


class Counting:
    """A ReportReader that counts the rollups and windows a query reads."""

    def __init__(self, reader: ReportDatabase) -> None:
        self.reader = reader
        self.days = 0
        self.windows = 0

    def store_windows(self, selection: WindowSelection) -> list[Any]:
        rows = self.reader.store_windows(selection)
        self.windows += len(rows)
        return rows

    def zone_windows(self, selection: WindowSelection) -> list[Any]:
        return self.reader.zone_windows(selection)

    def store_days(self, selection: DaySelection) -> list[Any]:
        rows = self.reader.store_days(selection)
        self.days += len(rows)
        return rows

    def stores(self) -> list[Any]:
        return self.reader.stores()

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        return self.reader.time_range()


class WindowsOnly(Counting):
    """The same reader without rollups: every day is summed from windows."""

    def store_days(self, selection: DaySelection) -> list[Any]:
        return []


def timed(
    reader_cls: type[Counting], store: ReportDatabase, query: ReportQuery, runs: int = 7
) -> tuple[float, Counting]:
    times = []
    counting = reader_cls(store)
    for _ in range(runs):
        counting = reader_cls(store)
        began = time.perf_counter()
        ReportService(counting, k=K).report(query)
        times.append(time.perf_counter() - began)
    return statistics.median(times), counting


def document_kb(store: ReportDatabase, alias: str) -> float:
    rows = store.rows(alias)[:200]
    return statistics.mean(len(json.dumps(r, separators=(",", ":")).encode()) for r in rows) / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the synthetic report database is kept")
    args = parser.parse_args(argv)
    print(f"before: {load_average()}")
    path = args.cache / f"history-{args.stores}x{args.days}-v1.duckdb"
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not path.exists():
        seconds = build(path, args.stores, args.days)
        print(f"  wrote {args.stores} stores x {args.days} days in {seconds:.1f} s (windows, then daily rollups)")
    store = ReportDatabase(path, k=K)
    windows, days = store.count("store_windows"), store.count("store_days")
    print(f"report database: {windows:,} store windows, {days:,} store days ({path.stat().st_size / 2**20:.0f} MB)")

    end = LAST_DAY + timedelta(days=1)
    year = end - timedelta(days=364)
    one = stores(args.stores)[min(3, args.stores - 1)]["store_id"]
    region = stores(args.stores)[-1]["region"]
    queries = [
        ("store: 4 weeks by day vs same weekdays a year earlier", Counting, ReportQuery(
            store_id=one, start=end - timedelta(days=28), end=end, granularity="day", compare="previous_year")),
        ("store: a year by ISO week vs the year before", Counting, ReportQuery(
            store_id=one, start=year, end=end, granularity="week", compare="previous_year")),
        ("store: a year by month", Counting, ReportQuery(store_id=one, start=year, end=end, granularity="month")),
        (f"region ({region}): a week by day vs the week before", Counting, ReportQuery(
            region=region, start=end - timedelta(days=7), end=end, granularity="day", compare="previous_period")),
        ("store: a year by month, windows only (no rollups)", WindowsOnly, ReportQuery(
            store_id=one, start=year, end=end, granularity="month")),
    ]
    window_kb, day_kb = document_kb(store, "store_windows"), document_kb(store, "store_days")
    print(f"document size (JSON): store window {window_kb:.2f} KB, store day {day_kb:.2f} KB")
    print(f"{'query':58} {'median':>9} {'rollups':>8} {'windows':>8} {'est. RU':>8}")
    medians: list[float] = []
    for name, reader_cls, query in queries:
        seconds, counting = timed(reader_cls, store, query)
        ru = counting.days * max(1.0, day_kb) + counting.windows * max(1.0, window_kb)
        print(f"{name:58} {seconds * 1000:7.0f} ms {counting.days:8,} {counting.windows:8,} {ru:8,.0f}")
        medians.append(seconds)
    target = medians[0]  # the year-over-year store query
    print(f"year-over-year store query: {target * 1000:.0f} ms (target < 1000 ms): {'PASS' if target < 1 else 'FAIL'}")
    print(f"after: {load_average()}")
    return 0 if target < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
