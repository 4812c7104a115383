"""Acceptance: a store's day in its own time zone, hour by hour, across daylight-saving changes;
periods, comparisons, the busiest-times grid and the ranking, read from windows and from rollups alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fleet import store_row
from list_reader import ListReader
from pydantic import ValidationError

from footfall.reports.database import ReportDatabase
from functions.reports.access import AccessDenied, Scope
from functions.reports.models import HeatmapQuery, RankingQuery, ReportQuery, StoreRef
from functions.reports.service import ReportService

Q = timedelta(minutes=15)
STORES = {
    "IN1": ("Phoenix Palladium", "Mumbai", "IN", "India West", "Asia/Kolkata"),
    "US1": ("Fifth Avenue", "New York", "US", "US Northeast", "America/New_York"),
    "US2": ("Newbury Street", "Boston", "US", "US Northeast", "America/New_York"),
}


def row(store_id: str, start: datetime, visitors: int = 1, **kw) -> dict:
    name, city, country, region, tz = STORES[store_id]
    return {**store_row("S0001", start, visitors=visitors, exits=visitors, **kw), "id": f"{store_id}|{start}",
            "store_id": store_id, "store_name": name, "city": city, "country": country, "region": region,
            "time_zone": tz}


def every_window(store_id: str, first: datetime, last: datetime, visitors: int = 1) -> list[dict]:
    """One row per quarter hour from ``first`` to ``last`` (UTC), ``visitors`` in each."""
    out, t = [], first
    while t < last:
        out.append(row(store_id, t, visitors))
        t += Q
    return out


def readers(rows: list[dict], tmp_path) -> list:
    """The same rows in a list (days summed from windows) and in the report database (with daily rollups)."""
    store = ReportDatabase(tmp_path / "reports.duckdb", k=5)
    store.write_output("store_windows", rows)
    refs = [StoreRef(store_id=s, store_name=v[0], city=v[1], country=v[2], region=v[3], time_zone=v[4])
            for s, v in STORES.items()]
    return [ListReader(rows, refs), store]


@pytest.fixture
def around_the_change(tmp_path) -> list:
    """Every quarter hour of 2026-10-31 to 2026-11-02 UTC for all three stores: New York falls back on
    2026-11-01 (02:00 EDT -> 01:00 EST, 06:00 UTC)."""
    first, last = datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    return readers([r for s in STORES for r in every_window(s, first, last)], tmp_path)


def test_new_york_s_day_of_the_change_has_25_local_hours(around_the_change) -> None:
    for reader in around_the_change:
        report = ReportService(reader, k=5).report(
            ReportQuery(store_id="US1", start="2026-11-01", end="2026-11-02", granularity="hour"))
        assert report.time_basis == "America/New_York" and report.windows == 25
        periods = [p.period for p in report.series]
        assert periods[:3] == ["2026-11-01T00:00", "2026-11-01T01:00", "2026-11-01T01:00 (2)"]
        assert periods[-1] == "2026-11-01T23:00"
        assert report.series[0].window_start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # 00:00 EDT
        assert report.series[1].window_start == datetime(2026, 11, 1, 5, tzinfo=UTC)  # 01:00 EDT
        assert report.series[2].window_start == datetime(2026, 11, 1, 6, tzinfo=UTC)  # 01:00 EST
        assert report.series[3].window_start == datetime(2026, 11, 1, 7, tzinfo=UTC)  # 02:00 EST
        assert report.series[-1].window_end == datetime(2026, 11, 2, 5, tzinfo=UTC)  # midnight EST
        assert all(p.window_end - p.window_start == timedelta(hours=1) for p in report.series)
        assert [p.visitors for p in report.series] == [4] * 25 and report.visitors == 100
        day = ReportService(reader, k=5).report(
            ReportQuery(store_id="US1", start="2026-10-31", end="2026-11-03", granularity="day"))
        assert [(p.period, p.visitors) for p in day.series] == [
            ("2026-10-31", 96), ("2026-11-01", 100), ("2026-11-02", 76)]  # the rows end at 19:00 EST


def test_new_york_s_spring_day_has_23_hours_and_no_2_am(tmp_path) -> None:
    rows = every_window("US1", datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    for reader in readers(rows, tmp_path):
        report = ReportService(reader, k=5).report(
            ReportQuery(store_id="US1", start="2026-03-08", end="2026-03-09", granularity="hour"))
        periods = [p.period for p in report.series]
        assert len(periods) == 23 and "2026-03-08T02:00" not in periods
        assert periods[2] == "2026-03-08T03:00"
        assert report.series[0].window_start == datetime(2026, 3, 8, 5, tzinfo=UTC)  # 00:00 EST
        assert report.series[2].window_start == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT
        assert report.visitors == 23 * 4


def test_kolkata_s_hours_start_at_half_past_in_utc(around_the_change) -> None:
    for reader in around_the_change:
        report = ReportService(reader, k=5).report(
            ReportQuery(store_id="IN1", start="2026-11-01", end="2026-11-02", granularity="hour"))
        assert report.time_basis == "Asia/Kolkata" and report.windows == 24
        assert report.series[0].window_start == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
        assert report.series[0].local_start == "2026-11-01T00:00"
        assert report.series[9].window_start == datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 09:00 IST
        assert report.series[-1].window_end == datetime(2026, 11, 1, 18, 30, tzinfo=UTC)
        assert report.visitors == 96


def test_a_fleet_view_sums_each_store_s_own_local_day_and_says_so(around_the_change) -> None:
    for reader in around_the_change:
        report = ReportService(reader, k=5).report(ReportQuery(start="2026-11-01", end="2026-11-02", granularity="day"))
        assert report.time_basis == "each store's local time (2 zones)"
        assert report.time_zones == ["America/New_York", "Asia/Kolkata"]
        assert report.visitors == 100 + 100 + 96  # two New York stores' 25 hours, Kolkata's 24
        assert {g.key: g.visitors for g in report.groups} == {"US Northeast": 200, "India West": 96}
        hourly = ReportService(reader, k=5).report(
            ReportQuery(start="2026-11-01", end="2026-11-02", granularity="hour"))
        one_am = [p for p in hourly.series if p.local_start == "2026-11-01T01:00"]
        assert [(p.period, p.visitors) for p in one_am] == [("2026-11-01T01:00", 12), ("2026-11-01T01:00 (2)", 8)]


@pytest.mark.parametrize(("granularity", "periods"), [
    ("week", ["2026-W44", "2026-W45"]), ("month", ["2026-10", "2026-11"]),
])
def test_iso_weeks_and_months_are_of_local_days(around_the_change, granularity, periods) -> None:
    for reader in around_the_change:
        report = ReportService(reader, k=5).report(
            ReportQuery(store_id="US1", start="2026-10-30", end="2026-11-03", granularity=granularity))
        assert [p.period for p in report.series] == periods
        # Local Fri 30 Oct and Sat 31 Oct (24 h), Sun 1 Nov (25 h), Mon 2 Nov until the rows end at 19:00 EST.
        assert sum(p.visitors for p in report.series) == report.visitors == 96 + 96 + 100 + 76


def test_previous_year_compares_the_same_weekdays_52_weeks_earlier(tmp_path) -> None:
    this_week = every_window("US1", datetime(2026, 11, 2, 5, tzinfo=UTC), datetime(2026, 11, 9, 5, tzinfo=UTC), 2)
    last_year = every_window("US1", datetime(2025, 11, 3, 5, tzinfo=UTC), datetime(2025, 11, 10, 5, tzinfo=UTC), 1)
    for reader in readers(this_week + last_year, tmp_path):
        report = ReportService(reader, k=5).report(ReportQuery(
            store_id="US1", start="2026-11-02", end="2026-11-09", granularity="day", compare="previous_year"))
        comparison = report.comparison
        assert (comparison.start, comparison.end) == (date(2025, 11, 3), date(2025, 11, 10))  # Monday to Monday
        assert [p.period for p in comparison.series][0] == "2025-11-03"
        assert [p.visitors for p in report.series] == [2 * 96] * 7
        assert [p.visitors for p in comparison.series] == [96] * 7
        assert comparison.change_pct["visitors"] == 100.0
        previous = ReportService(reader, k=5).report(ReportQuery(
            store_id="US1", start="2026-11-02", end="2026-11-09", granularity="day", compare="previous_period"))
        assert (previous.comparison.start, previous.comparison.end) == (date(2026, 10, 26), date(2026, 11, 2))
        assert previous.comparison.visitors == 0 and previous.comparison.change_pct["visitors"] is None


def test_busiest_times_are_weekday_by_local_hour(around_the_change) -> None:
    for reader in around_the_change:
        heat = ReportService(reader, k=5).heatmap(HeatmapQuery(store_id="US1", start="2026-11-01",
                                                               end="2026-11-03"))
        sunday_1am = next(c for c in heat.cells if (c.weekday, c.hour) == (7, 1))
        assert (sunday_1am.visitors, sunday_1am.days, sunday_1am.average) == (8, 1, 8.0)  # the repeated hour
        monday_9 = next(c for c in heat.cells if (c.weekday, c.hour) == (1, 9))
        assert (monday_9.visitors, monday_9.days) == (4, 1)
        assert len(heat.cells) == 7 * 24 and heat.busiest == sunday_1am


def test_top_and_bottom_stores_of_a_region(tmp_path) -> None:
    rows = (every_window("US1", datetime(2026, 11, 2, 14, tzinfo=UTC), datetime(2026, 11, 2, 16, tzinfo=UTC), 3)
            + every_window("US2", datetime(2026, 11, 2, 14, tzinfo=UTC), datetime(2026, 11, 2, 16, tzinfo=UTC), 1)
            + every_window("IN1", datetime(2026, 11, 2, 4, tzinfo=UTC), datetime(2026, 11, 2, 6, tzinfo=UTC), 9))
    for reader in readers(rows, tmp_path):
        ranking = ReportService(reader, k=5).ranking(RankingQuery(region="US Northeast", n=1))
        assert ranking.stores == 2
        assert [(s.rank, s.store_id, s.visitors) for s in ranking.top] == [(1, "US1", 24)]
        assert [(s.rank, s.store_id, s.visitors) for s in ranking.bottom] == [(2, "US2", 8)]


def test_a_scope_filters_every_query_and_refuses_other_regions(around_the_change) -> None:
    service = ReportService(around_the_change[1], k=5)
    nyc = Scope(regions=frozenset({"US Northeast"}))
    assert service.report(ReportQuery(start="2026-11-01", end="2026-11-02"), nyc).visitors == 200
    assert service.report(ReportQuery(store_id="US2", start="2026-11-01", end="2026-11-02"), nyc).visitors == 100
    for query in (ReportQuery(region="India West"), ReportQuery(store_id="IN1"), ReportQuery(city="Mumbai")):
        with pytest.raises(AccessDenied):
            service.report(query, nyc)
    one_store = Scope(regions=frozenset(), stores=frozenset({"US2"}))
    assert service.report(ReportQuery(start="2026-11-01", end="2026-11-02"), one_store).visitors == 100
    with pytest.raises(AccessDenied):
        service.report(ReportQuery(store_id="US1"), one_store)
    assert [r.region for r in service.filters(one_store).regions] == ["US Northeast"]


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "0001-01-01", "end": "2026-01-01"}, "between 2000-01-01"),
    ({"start": "2026-01-01", "end": "9999-12-31"}, "between 2000-01-01"),
    ({"start": "2026-02-30"}, "month"),
    ({"start": "+12026-01-01"}, "neither a date"),
    ({"start": "2023-01-01", "end": "2026-01-01", "granularity": "day"}, "at most 800 days"),
    ({"start": "2026-01-01", "end": "2026-06-01", "granularity": "hour"}, "at most 93 days"),
    ({"start": "2026-01-01", "compare": "previous_year"}, "compare needs start and end"),
    ({"start": "2026-01-01", "end": "2026-01-02T00:00:00Z"}, "both be dates or both be times"),
    ({"compare": "last_week", "start": "2026-01-01", "end": "2026-01-08"}, "previous_period"),
])
def test_out_of_range_or_inconsistent_periods_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReportQuery.model_validate(params)
