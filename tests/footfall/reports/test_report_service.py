"""Report logic: k-anonymity over a range, time series, sub-groups, filters and query rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from functions.reports.models import ReportQuery, StoreRef, WindowRow, WindowSelection
from functions.reports.service import ReportService, breakdown, series

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
Q = timedelta(minutes=15)


class ListReader:
    """A ReportReader over an in-memory list, filtering like the real stores do."""

    def __init__(self, rows: list[dict], stores: list[StoreRef] | None = None) -> None:
        self.rows = [WindowRow.model_validate(r) for r in rows]
        self._stores = stores or []
        self.selections: list[WindowSelection] = []

    def windows(self, selection: WindowSelection) -> list[WindowRow]:
        self.selections.append(selection)
        return [
            r for r in self.rows
            if r.level == selection.level
            and all(getattr(selection, f) in (None, getattr(r, f)) for f in ("region", "city", "store_id"))
            and (selection.start is None or r.window_start >= selection.start)
            and (selection.end is None or r.window_end <= selection.end)
        ]

    def stores(self) -> list[StoreRef]:
        return self._stores

    def time_range(self):
        if not self.rows:
            return None, None
        return min(r.window_start for r in self.rows), max(r.window_end for r in self.rows)


def rows_of(dicts: list[dict]) -> list[WindowRow]:
    return [WindowRow.model_validate(d) for d in dicts]


def test_summing_suppressed_windows_never_reveals_their_demographics(make_row, make_faces) -> None:
    # Three windows of 2 faces each: 6 faces together, but each window was suppressed.
    rows = rows_of([make_row("store", T0 + i * Q, make_faces(2), store_id="S0001") for i in range(3)])
    result = breakdown(rows, k=5)
    assert result.suppressed is True
    assert (result.visitors, result.breakdown_visitors, result.suppressed_visitors) == (6, 0, 6)
    assert (result.gender, result.age_bands, result.emotions, result.avg_age, result.happiness_share) == (
        None, None, None, None, None)


def test_breakdown_counts_published_windows_only(make_row, make_faces) -> None:
    published = make_faces(4, gender="female", age=30) + make_faces(3, gender="male", age=50, emotion="neutral")
    rows = rows_of([
        make_row("store", T0, published, store_id="S0001"),
        make_row("store", T0 + Q, make_faces(3, gender="male", age=70), store_id="S0001"),  # suppressed
    ])
    result = breakdown(rows, k=5)
    assert result.suppressed is False
    assert (result.visitors, result.breakdown_visitors, result.suppressed_visitors) == (10, 7, 3)
    assert result.gender == {"female": 4, "male": 3, "unknown": 0}
    assert result.age_bands["25-34"] == 4 and result.age_bands["45-54"] == 3 and result.age_bands["65+"] == 0
    assert result.emotions["happiness"] == 4 and result.emotions["neutral"] == 3
    assert result.avg_age == pytest.approx((4 * 30 + 3 * 50) / 7, abs=0.05)
    assert result.happiness_share == pytest.approx(4 / 7, abs=1e-4)


def test_a_larger_api_k_than_the_jobs_is_honoured(make_row, make_faces) -> None:
    rows = rows_of([make_row("store", T0, make_faces(6), store_id="S0001", k=5)])
    assert breakdown(rows, k=5).suppressed is False
    strict = breakdown(rows, k=10)
    assert strict.suppressed is True and strict.gender is None and strict.visitors == 6


def test_average_age_weights_windows_by_faces_with_a_known_age(make_row, make_faces) -> None:
    rows = rows_of([
        make_row("store", T0, make_faces(5, age=20) + make_faces(5, age=None), store_id="S0001"),
        make_row("store", T0 + Q, make_faces(10, age=60), store_id="S0001"),
    ])
    assert breakdown(rows, k=5).avg_age == pytest.approx((5 * 20 + 10 * 60) / 15, abs=0.05)


def test_series_sums_groups_per_window_in_time_order(make_row, make_faces) -> None:
    rows = rows_of([
        make_row("store", T0 + Q, make_faces(6), store_id="S0001"),
        make_row("store", T0, make_faces(2), store_id="S0002"),
        make_row("store", T0, make_faces(8), store_id="S0001"),
    ])
    points = series(rows, k=5)
    assert [(p.window_start, p.visitors, p.suppressed_visitors) for p in points] == [(T0, 10, 2), (T0 + Q, 6, 0)]


def test_report_of_a_region_sums_its_store_windows_by_the_hour_and_lists_its_cities(fleet) -> None:
    reader = ListReader(fleet.rows)
    report = ReportService(reader, k=5).report(ReportQuery(region="Nordics"))
    faces = fleet.faces_where(region="Nordics")
    assert report.level == "region" and report.window_minutes == 60
    assert report.visitors == len(faces)
    assert report.windows == 12 and sum(p.visitors for p in report.series) == len(faces)
    assert [g.label for g in report.groups] == ["Oslo", "Stockholm"]
    assert {g.label: g.visitors for g in report.groups} == {
        "Oslo": len(fleet.faces_where(city="Oslo")), "Stockholm": len(fleet.faces_where(city="Stockholm"))}
    assert report.breakdown_visitors == len(fleet.published_faces(region="Nordics"))
    assert [(s.level, s.region) for s in reader.selections] == [("store", "Nordics")]


def test_report_of_a_city_lists_stores_and_flags_the_suppressed_one(fleet) -> None:
    report = ReportService(ListReader(fleet.rows), k=5).report(ReportQuery(city="Oslo"))
    by_store = {g.key: g for g in report.groups}
    assert set(by_store) == {"S0003", "S0004"}
    kiosk = by_store["S0004"]
    assert kiosk.suppressed is True and kiosk.gender is None and kiosk.label == "Oslo S Kiosk"
    assert kiosk.visitors == len(fleet.faces_where(store_id="S0004")) > 0
    assert by_store["S0003"].suppressed is False


def test_report_of_a_store_at_store_level_has_no_sub_groups(fleet) -> None:
    report = ReportService(ListReader(fleet.rows), k=5).report(
        ReportQuery(store_id="S0001", start=T0.replace(hour=12), end=T0.replace(hour=14)))
    assert report.level == "store" and report.window_minutes == 15 and report.store_name == "Gallerian"
    assert report.windows == 8 and report.groups == []
    assert report.visitors == sum(1 for f in fleet.faces_where(store_id="S0001") if 12 <= f.at.hour < 14)


def test_finer_level_than_the_filter_sums_store_windows_of_a_region(fleet) -> None:
    report = ReportService(ListReader(fleet.rows), k=5).report(ReportQuery(level="store", region="Iberia"))
    assert report.window_minutes == 15 and report.windows == 48
    assert report.visitors == len(fleet.faces_where(region="Iberia"))
    published = [r for r in fleet.rows_where(level="store", region="Iberia") if not r["suppressed"]]
    assert report.gender["female"] == sum(r["female"] for r in published)


def test_level_sets_the_series_resolution(fleet) -> None:
    service = ReportService(ListReader(fleet.rows), k=5)
    hourly = service.report(ReportQuery(level="region", store_id="S0001"))
    quarterly = service.report(ReportQuery(store_id="S0001"))
    assert (hourly.window_minutes, hourly.windows, quarterly.windows) == (60, 12, 48)
    assert hourly.visitors == quarterly.visitors and hourly.gender == quarterly.gender
    assert [p.visitors for p in hourly.series] == [
        sum(p.visitors for p in quarterly.series[i:i + 4]) for i in range(0, 48, 4)]


def test_a_region_minus_its_published_stores_reveals_nothing(make_row, make_faces) -> None:
    """The job publishes a region hour of 8 faces while its small store (2 faces) is suppressed:
    the region's breakdown must not contain those 2 faces, or subtracting the big store exposes them."""
    big = make_faces(6, gender="female", age=30)
    small = make_faces(2, gender="male", age=70, emotion="sadness", store_id="S0004")
    rows = [
        make_row("store", T0, big, store_id="S0001", city="Stockholm", region="Nordics"),
        make_row("store", T0, small, store_id="S0004", city="Oslo", region="Nordics"),
        make_row("city", T0, big, city="Stockholm", region="Nordics"),
        make_row("city", T0, small, city="Oslo", region="Nordics"),
        # A region row over all its faces, as the job published it before it summed only
        # published stores (and as any other writer of the store might): the service must not
        # depend on the job for this.
        make_row("region", T0, big + small, region="Nordics"),
    ]
    service = ReportService(ListReader(rows), k=5)
    region = service.report(ReportQuery(region="Nordics"))
    stockholm = service.report(ReportQuery(city="Stockholm"))
    assert region.visitors == 8 and region.suppressed_visitors == 2
    assert region.gender == stockholm.gender == {"female": 6, "male": 0, "unknown": 0}
    assert region.age_bands == stockholm.age_bands and region.emotions == stockholm.emotions
    assert {g.key: g.suppressed for g in region.groups} == {"Oslo": True, "Stockholm": False}


def test_filters_nest_regions_cities_and_stores_and_keep_unassigned_stores_apart() -> None:
    stores = [
        StoreRef(store_id="S2", store_name="Zeta", city="Oslo", country="NO", region="Nordics"),
        StoreRef(store_id="S1", store_name="Alpha", city="Oslo", country="NO", region="Nordics"),
        StoreRef(store_id="S3", store_name="Sol", city="Madrid", country="ES", region="Iberia"),
        StoreRef(store_id="S9"),
    ]
    filters = ReportService(ListReader([], stores), k=7).filters()
    assert [r.region for r in filters.regions] == ["Iberia", "Nordics"]
    oslo = filters.regions[1].cities[0]
    assert (oslo.city, oslo.country, [s.store_id for s in oslo.stores]) == ("Oslo", "NO", ["S1", "S2"])
    assert [s.store_id for s in filters.unassigned_stores] == ["S9"]
    assert filters.k == 7 and filters.first_window_start is None


@pytest.mark.parametrize("params, level", [
    ({}, "region"), ({"region": "Nordics"}, "region"), ({"city": "Oslo"}, "city"),
    ({"store_id": "S0001", "city": "Oslo"}, "store"), ({"level": "store", "region": "Nordics"}, "store"),
    ({"region": "", "city": " "}, "region"),
])
def test_query_level_defaults_to_the_most_specific_filter(params: dict, level: str) -> None:
    assert ReportQuery.model_validate(params).resolved_level == level


@pytest.mark.parametrize("params, message", [
    ({"start": "2026-11-23T10:00:00Z", "end": "2026-11-23T09:00:00Z"}, "start must be before end"),
    ({"store_id": "S 1; DROP"}, "pattern"),
    ({"level": "country"}, "store"),
    ({"bogus": "1"}, "Extra inputs"),
])
def test_invalid_queries_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReportQuery.model_validate(params)


def test_naive_times_are_utc_and_offsets_are_converted() -> None:
    query = ReportQuery.model_validate({"start": "2026-11-23T08:00:00", "end": "2026-11-23T10:00:00+01:00"})
    assert query.start == T0 and query.end == T0 + timedelta(hours=1)
    assert query.start.tzinfo is not None
