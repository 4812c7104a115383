"""Report logic: visitors from the doors, k-anonymity of visits over a range, series, sub-groups, zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cosmos_fake import FakeContainer
from fleet import K, store_row
from list_reader import ListReader
from pydantic import ValidationError

from footfall.reports.database import ReportDatabase
from functions.reports.cosmos import CosmosReportDatabase
from functions.reports.models import Meta, ReportQuery, StoreRef, StoreWindow, ZoneWindow
from functions.reports.service import ReportService, breakdown, series, zone_summaries

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
FEMALE_30 = ("female", "25-34", "happiness")
MALE_50 = ("male", "45-54", "neutral")
MALE_70 = ("male", "65+", "sadness")


def rows_of(dicts: list[dict]) -> list:
    return [StoreWindow.model_validate(d) for d in dicts]


def test_summing_suppressed_windows_never_reveals_their_demographics() -> None:
    # Three windows of 2 visit faces each: 6 faces together, but each window was suppressed.
    rows = rows_of([store_row("S0001", T0 + i * Q, visitors=3, faces=[FEMALE_30] * 2) for i in range(3)])
    result = breakdown(rows, k=K)
    assert result.suppressed is True and result.demographics is None
    assert (result.visitors, result.visit_faces, result.breakdown_faces, result.suppressed_faces) == (9, 6, 0, 6)


def test_breakdown_counts_published_windows_only() -> None:
    rows = rows_of([
        store_row("S0001", T0, visitors=10, faces=[FEMALE_30] * 4 + [MALE_50] * 3),
        store_row("S0001", T0 + Q, visitors=4, faces=[MALE_70] * 3),  # suppressed
    ])
    result = breakdown(rows, k=K)
    assert result.suppressed is False
    assert (result.visitors, result.visit_faces, result.breakdown_faces, result.suppressed_faces) == (14, 10, 7, 3)
    assert result.demographics["gender"] == {"female": 4, "male": 3, "unknown": 0}
    assert result.demographics["age"]["25-34"] == 4 and result.demographics["age"]["65+"] == 0
    assert result.demographics["emotion"]["happiness"] == 4 and result.demographics["emotion"]["sadness"] == 0


def test_visitors_come_from_the_doors_never_from_faces_or_sightings() -> None:
    rows = rows_of([store_row("S0001", T0, visitors=2, exits=1, faces=[FEMALE_30] * 6, frames=30, sightings=90)])
    result = breakdown(rows, k=K)
    assert (result.visitors, result.exits, result.visit_faces, result.sightings, result.photos) == (2, 1, 6, 90, 36)


def test_a_larger_api_k_than_the_jobs_is_honoured() -> None:
    rows = rows_of([store_row("S0001", T0, faces=[FEMALE_30] * 6, k=5)])
    assert breakdown(rows, k=5).suppressed is False
    strict = breakdown(rows, k=10)
    assert strict.suppressed is True and strict.demographics is None and strict.visit_faces == 6


def test_series_sums_stores_per_window_in_time_order() -> None:
    rows = rows_of([
        store_row("S0001", T0 + Q, visitors=7, faces=[FEMALE_30] * 6),
        store_row("S0002", T0, visitors=1, faces=[FEMALE_30] * 2),
        store_row("S0001", T0, visitors=9, faces=[FEMALE_30] * 8),
    ])
    points = series(rows, k=K)
    assert [(p.window_start, p.visitors, p.visit_faces, p.suppressed_faces) for p in points] == [
        (T0, 10, 10, 2), (T0 + Q, 7, 6, 0)]


def test_report_of_a_region_sums_its_store_windows_by_the_hour_and_lists_its_cities(fleet) -> None:
    reader = ListReader(fleet.rows)
    report = ReportService(reader, k=K).report(ReportQuery(region="Nordics"))
    assert report.granularity == "hour" and report.time_basis == "each store's local time (2 zones)"
    assert report.visitors == len(fleet.visits_where(region="Nordics"))
    assert report.visit_faces == len(fleet.faces_where(region="Nordics"))
    assert sum(p.visitors for p in report.series) == report.visitors
    assert [g.label for g in report.groups] == ["Oslo", "Stockholm"]
    assert {g.label: g.visitors for g in report.groups} == {
        "Oslo": len(fleet.visits_where(city="Oslo")), "Stockholm": len(fleet.visits_where(city="Stockholm"))}
    assert report.breakdown_faces == len(fleet.published_faces(region="Nordics"))
    assert [(s.region, s.store_id) for s in reader.selections] == [("Nordics", None)]


def test_report_of_a_city_lists_stores_and_flags_the_suppressed_one(fleet) -> None:
    report = ReportService(ListReader(fleet.rows), k=K).report(ReportQuery(city="Oslo"))
    by_store = {g.key: g for g in report.groups}
    assert set(by_store) == {"S0003", "S0004"}
    kiosk = by_store["S0004"]
    assert kiosk.suppressed is True and kiosk.demographics is None and kiosk.label == "Oslo S Kiosk"
    assert kiosk.visitors == len(fleet.visits_where(store_id="S0004")) > 0
    assert by_store["S0003"].suppressed is False


def test_report_of_a_store_is_quarter_hourly_with_its_zones(fleet) -> None:
    start, end = T0.replace(hour=12), T0.replace(hour=14)
    report = ReportService(ListReader(fleet.rows, zone_rows=fleet.zone_rows), k=K).report(
        ReportQuery(store_id="S0001", start=start, end=end, granularity="15min"))
    assert report.granularity == "15min" and report.store_name == "Gallerian"
    assert report.time_basis == "Europe/Stockholm" and report.series[0].local_start == "2026-11-23T13:00"
    assert report.windows == 8 and report.groups == []
    assert report.visitors == sum(1 for v in fleet.visits_where(store_id="S0001")
                                  if start < v.entered <= end)
    zone_rows = [z for z in fleet.zone_rows if z["store_id"] == "S0001" and "12:" <= z["window_start"][11:14] < "14:"]
    assert {z.zone: z.visits for z in report.zones} == {
        zone: sum(z["visits"] for z in zone_rows if z["zone"] == zone) for zone in ("floor", "tills")}


def test_zone_summaries_average_dwell_over_visits_and_occupancy_over_windows() -> None:
    def zone(start: datetime, visits: int, dwell: float, mean: float, peak: int) -> dict:
        hist = {f"dwell_{n}": 0 for n in ("lt_30s", "lt_1m", "lt_2m", "lt_5m", "lt_10m", "lt_20m", "ge_20m")}
        hist["dwell_lt_5m"] = visits
        return {"store_id": "S1", "zone": "tills", "window_start": start, "window_end": start + Q, "visits": visits,
                "dwell_s_sum": dwell, **hist, "occupancy_mean": mean, "occupancy_max": peak}

    (summary,) = zone_summaries([ZoneWindow.model_validate(zone(T0, 2, 300.0, 1.0, 2)),
                                 ZoneWindow.model_validate(zone(T0 + Q, 4, 900.0, 3.0, 5))])
    assert (summary.visits, summary.avg_dwell_s, summary.occupancy_mean, summary.occupancy_max) == (6, 200.0, 2.0, 5)
    assert summary.dwell["lt_5m"] == 6


def test_granularity_sets_the_series_resolution(fleet) -> None:
    service = ReportService(ListReader(fleet.rows), k=K)
    hourly = service.report(ReportQuery(granularity="hour", store_id="S0001"))
    quarterly = service.report(ReportQuery(store_id="S0001", granularity="15min"))
    assert hourly.visitors == quarterly.visitors and hourly.demographics == quarterly.demographics
    by_hour: dict[datetime, int] = {}
    for p in quarterly.series:
        hour = p.window_start.replace(minute=0)
        by_hour[hour] = by_hour.get(hour, 0) + p.visitors
    assert {p.window_start: p.visitors for p in hourly.series} == by_hour


def test_a_region_minus_its_published_stores_reveals_nothing() -> None:
    """A region of a published store (6 faces) and a suppressed one (2 faces): the region's breakdown
    must not contain those 2 faces, or subtracting the big store would expose them."""
    rows = [
        {**store_row("S0001", T0, visitors=8, faces=[FEMALE_30] * 6), "city": "Stockholm", "region": "Nordics"},
        {**store_row("S0004", T0, visitors=2, faces=[MALE_70] * 2), "city": "Oslo", "region": "Nordics"},
    ]
    service = ReportService(ListReader(rows), k=K)
    region = service.report(ReportQuery(region="Nordics"))
    stockholm = service.report(ReportQuery(city="Stockholm"))
    assert region.visit_faces == 8 and region.suppressed_faces == 2 and region.visitors == 10
    assert region.demographics == stockholm.demographics
    assert region.demographics["gender"] == {"female": 6, "male": 0, "unknown": 0}
    assert {g.key: g.suppressed for g in region.groups} == {"Oslo": True, "Stockholm": False}


def test_filters_nest_regions_cities_and_stores_and_keep_unassigned_stores_apart() -> None:
    stores = [
        StoreRef(store_id="S2", store_name="Zeta", city="Oslo", country="NO", region="Nordics",
                 time_zone="Europe/Oslo"),
        StoreRef(store_id="S1", store_name="Alpha", city="Oslo", country="NO", region="Nordics"),
        StoreRef(store_id="S3", store_name="Sol", city="Madrid", country="ES", region="Iberia"),
        StoreRef(store_id="S9"),
    ]
    filters = ReportService(ListReader([], stores), k=7).filters()
    assert [r.region for r in filters.regions] == ["Iberia", "Nordics"]
    oslo = filters.regions[1].cities[0]
    assert (oslo.city, oslo.country, [s.store_id for s in oslo.stores]) == ("Oslo", "NO", ["S1", "S2"])
    assert oslo.stores[1].time_zone == "Europe/Oslo"
    assert [s.store_id for s in filters.unassigned_stores] == ["S9"]
    assert filters.k == 7 and filters.first_window_start is None


def test_meta_labels_every_category_from_the_contracts() -> None:
    meta = ReportService(ListReader([]), k=9).meta()
    assert meta == Meta.build(9) and meta.k == 9
    gender = next(c for c in meta.categories if c.name == "gender")
    assert gender.values == ["female", "male", "unknown"] and gender.labels["female"] == "Female"
    assert "visitors" in meta.columns and "entrance" in meta.columns["visitors"]


@pytest.mark.parametrize(("params", "granularity"), [
    ({}, "hour"), ({"region": "Nordics"}, "hour"), ({"store_id": "S0001"}, "hour"),
    ({"store_id": "S0001", "granularity": "15min"}, "15min"), ({"region": "", "granularity": " "}, "hour"),
    ({"start": "2026-11-01", "end": "2026-12-01"}, "hour"), ({"start": "2026-01-01", "end": "2026-12-01"}, "day"),
])
def test_granularity_defaults_to_hours_up_to_a_month_and_days_beyond(params: dict, granularity: str) -> None:
    assert ReportQuery.model_validate(params).resolved_granularity == granularity


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "2026-11-23T10:00:00Z", "end": "2026-11-23T09:00:00Z"}, "start must be before end"),
    ({"store_id": "S 1; DROP"}, "pattern"),
    ({"granularity": "fortnight"}, "15min"),
    ({"level": "store"}, "Extra inputs"),
])
def test_invalid_queries_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReportQuery.model_validate(params)


def test_naive_times_are_utc_and_offsets_are_converted() -> None:
    query = ReportQuery.model_validate({"start": "2026-11-23T08:00:00", "end": "2026-11-23T10:00:00+01:00"})
    assert query.start == T0 and query.end == T0 + timedelta(hours=1)
    assert query.start.tzinfo is not None


def test_a_suppressed_row_can_never_carry_demographics() -> None:
    row = store_row("S0001", T0, faces=[FEMALE_30] * 2)
    row["gender_female"] = 2  # a careless writer
    assert StoreWindow.model_validate(row).gender_female is None


def test_l_diversity_suppresses_a_breakdown_where_every_face_shares_one_value_of_a_category() -> None:
    # 6 visit faces (k = 5 is met), all men: anyone who knows a man... knows nothing new, but anyone
    # who knows a person was there learns their gender. Mixed ages and emotions do not help.
    all_men = rows_of([store_row("S0001", T0, visitors=8, faces=[MALE_50] * 3 + [MALE_70] * 3)])
    mixed = rows_of([store_row("S0001", T0, visitors=8, faces=[MALE_50] * 3 + [FEMALE_30] * 3)])

    assert breakdown(all_men, k=K).suppressed is False  # the rule is off by default
    result = breakdown(all_men, k=K, diverse=True)
    assert result.suppressed is True and result.demographics is None
    assert (result.visit_faces, result.breakdown_faces, result.suppressed_faces) == (6, 0, 6)  # totals stay
    assert breakdown(mixed, k=K, diverse=True).suppressed is False


def test_unknown_values_do_not_count_as_diversity() -> None:
    unknown_gender = ("female", "25-34", None)  # emotion unknown for some
    faces = [FEMALE_30] * 3 + [unknown_gender] * 2 + [("male", "45-54", "happiness")]
    rows = rows_of([store_row("S0001", T0, visitors=6, faces=faces)])
    # Every face with a known emotion is happy: 4 happy + 2 unknown is still one known value.
    assert breakdown(rows, k=K, diverse=True).suppressed is True


def test_the_report_service_applies_l_diversity_to_every_breakdown_it_serves() -> None:
    rows = [store_row("S0001", T0, visitors=8, faces=[MALE_50] * 6),
            store_row("S0001", T0 + Q, visitors=8, faces=[MALE_50] * 3 + [FEMALE_30] * 3)]
    query = ReportQuery(store_id="S0001", start=T0, end=T0 + 2 * Q, granularity="15min")
    plain = ReportService(ListReader(rows), k=K).report(query)
    diverse = ReportService(ListReader(rows), k=K, l_diversity=True).report(query)

    assert [p.suppressed for p in plain.series] == [False, False]
    assert [p.suppressed for p in diverse.series] == [True, False]  # the all-men quarter hour
    assert diverse.suppressed is False and diverse.visit_faces == plain.visit_faces == 12
    # The all-men quarter hour publishes nothing, so it adds nothing to the half hour either: the half
    # hour minus the published quarter hour is zero, never the hidden 6 men.
    assert (diverse.breakdown_faces, diverse.suppressed_faces) == (6, 6)
    assert diverse.demographics == diverse.series[1].demographics


def _rolled_up_at_k5(kind: str, tmp_path, rows: list[dict]):
    """A report store whose daily rollups were written under k = 5 (the Cosmos DB timer, or locally on write)."""
    if kind == "cosmos":
        store = CosmosReportDatabase(FakeContainer(rows))
        store.roll_up_ended_days(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), 5)
        return store
    store = ReportDatabase(tmp_path / "reports.duckdb", k=5, l_diversity=False)
    store.write_output("store_windows", rows)
    return store


def _minus(whole: dict[str, dict[str, int]], parts: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    return {c: {v: n - sum(p[c][v] for p in parts) for v, n in values.items()} for c, values in whole.items()}


@pytest.mark.parametrize("kind", ["cosmos", "duckdb"])
def test_raising_k_never_lets_an_old_rollup_reveal_a_window_below_the_new_k(kind: str, tmp_path) -> None:
    # Published under k = 5: 6 women at 08:00, then 5 women and 5 men at 09:00; the API now says k = 10.
    rows = [store_row("S0001", T0, visitors=6, faces=[FEMALE_30] * 6),
            store_row("S0001", T0 + 4 * Q, visitors=10, faces=[FEMALE_30] * 5 + [MALE_50] * 5)]
    store = _rolled_up_at_k5(kind, tmp_path, rows)
    service = ReportService(store, k=10)
    span = {"store_id": "S0001", "start": "2026-11-23", "end": "2026-11-24"}
    hours = service.report(ReportQuery(granularity="hour", **span))
    published = [p.demographics for p in hours.series if not p.suppressed]
    assert len(published) == 1  # the 09:00 hour; 08:00 holds 6 < 10
    for granularity in ("day", "week", "month"):
        whole = service.report(ReportQuery(granularity=granularity, **span))
        assert whole.visitors == 16
        left = _minus(whole.demographics, published)
        assert all(n == 0 for values in left.values() for n in values.values()), (granularity, left)


def test_beyond_the_windows_life_a_day_rolled_up_under_another_k_gives_its_totals_only() -> None:
    rows = [store_row("S0001", T0, visitors=6, faces=[FEMALE_30] * 6)]
    container = FakeContainer(rows)
    CosmosReportDatabase(container).roll_up_ended_days(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), 5)
    for key in [key for key, doc in container.documents.items() if doc["doc_type"] == "store_window"]:
        del container.documents[key]  # the windows' 400 days are over; the rollup lives on
    day = ReportService(CosmosReportDatabase(container), k=10).report(
        ReportQuery(store_id="S0001", start="2026-11-23", end="2026-11-24", granularity="day"))
    assert (day.visitors, day.visit_faces, day.suppressed, day.demographics) == (6, 6, True, None)
    assert (day.breakdown_faces, day.suppressed_faces) == (0, 6)
    same_k = ReportService(CosmosReportDatabase(container), k=5).report(
        ReportQuery(store_id="S0001", start="2026-11-23", end="2026-11-24", granularity="day"))
    assert same_k.demographics["gender"]["female"] == 6


OSLO_MAN = ("male", "45-54", "neutral")


def _l_diverse_fleet() -> list[dict]:
    """Two cities, two hours: each city's first hour holds one mixed window and one all-men window."""
    rows = []
    for store_id in ("S0001", "S0003"):  # Stockholm, Oslo
        rows += [store_row(store_id, T0, visitors=8, faces=[MALE_50] * 3 + [FEMALE_30] * 3),
                 store_row(store_id, T0 + Q, visitors=8, faces=[OSLO_MAN] * 6),
                 store_row(store_id, T0 + 4 * Q, visitors=9, faces=[MALE_50] * 4 + [FEMALE_30] * 3)]
    rows.append(store_row("S0002", T0 + 2 * Q, visitors=7, faces=[FEMALE_30] * 7))  # a Stockholm store, all women
    return rows


def _assert_nothing_left(whole, parts) -> None:
    left = _minus(whole.demographics, [p.demographics for p in parts if not p.suppressed])
    assert all(n == 0 for values in left.values() for n in values.values()), left


@pytest.mark.parametrize("kind", ["windows", "duckdb"])
def test_with_l_diversity_no_parent_or_period_minus_its_published_parts_reveals_a_suppressed_group(
        kind: str, tmp_path) -> None:
    rows = _l_diverse_fleet()
    if kind == "duckdb":  # days from rollups written under the same rule
        reader = ReportDatabase(tmp_path / "reports.duckdb", k=K, l_diversity=True)
        reader.write_output("store_windows", rows)
    else:
        reader = ListReader(rows)
    service = ReportService(reader, k=K, l_diversity=True)
    day = {"start": "2026-11-23", "end": "2026-11-24"}
    for scope in ({"region": "Nordics"}, {"city": "Stockholm"}, {"store_id": "S0001"}):
        for granularity in ("15min", "hour", "day"):
            report = service.report(ReportQuery(granularity=granularity, **scope, **day))
            assert report.suppressed is False
            _assert_nothing_left(report, report.series)  # a period minus its published sub-periods
            if report.groups:
                _assert_nothing_left(report, report.groups)  # a parent minus its published children
    hours = service.report(ReportQuery(granularity="hour", city="Stockholm", **day))
    first = next(p for p in hours.series if p.visitors)
    assert first.suppressed is False and first.breakdown_faces == 6  # the all-men and all-women windows left out
    region = service.report(ReportQuery(granularity="day", region="Nordics", **day))
    assert region.breakdown_faces == 2 * (6 + 7)  # only the mixed windows
