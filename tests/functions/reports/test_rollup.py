"""Store-local days, occupancy and dwell from the doors, and the daily rollups of store windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fleet import K, store_row

from functions.aggregates import STORE_DAY
from functions.reports.models import StoreDay, StoreWindow
from functions.reports.rollup import day_bounds, day_cells, roll_up_days, window_cells

Q = timedelta(minutes=15)
FACE = ("female", "25-34", "happiness")


def windows(rows: list[dict], **reference) -> list:
    return [StoreWindow.model_validate({**r, **reference}) for r in rows]


def test_local_days_last_23_24_or_25_hours_and_start_at_local_midnight() -> None:
    new_york, kolkata = ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")
    assert day_bounds(date(2026, 11, 1), new_york) == (datetime(2026, 11, 1, 4, tzinfo=UTC),
                                                       datetime(2026, 11, 2, 5, tzinfo=UTC))  # 25 h
    assert day_bounds(date(2026, 3, 8), new_york) == (datetime(2026, 3, 8, 5, tzinfo=UTC),
                                                      datetime(2026, 3, 9, 4, tzinfo=UTC))  # 23 h
    assert day_bounds(date(2026, 11, 1), kolkata) == (datetime(2026, 10, 31, 18, 30, tzinfo=UTC),
                                                      datetime(2026, 11, 1, 18, 30, tzinfo=UTC))
    # Santiago skips midnight when daylight saving starts (2026-09-06): the day starts at 01:00 local.
    start, end = day_bounds(date(2026, 9, 6), ZoneInfo("America/Santiago"))
    assert start.astimezone(ZoneInfo("America/Santiago")).hour == 1 and end - start == timedelta(hours=23)


def test_occupancy_is_entries_minus_exits_since_the_day_began_never_below_zero() -> None:
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 09:00 in Stockholm
    rows = windows([
        store_row("S0001", t0, visitors=10, exits=0),
        store_row("S0001", t0 + Q, visitors=4, exits=6),
        store_row("S0001", t0 + 2 * Q, visitors=0, exits=12),  # 4 more exits than people inside
        store_row("S0001", t0 + 4 * Q, visitors=2, exits=0),  # after a quarter hour without crossings
    ])
    cells = window_cells(rows, K)
    assert [c.occupancy_end for c in cells] == [10, 8, 0, 2]
    # Linear within a window, level across the quarter hour without a row: (0+10)/2, (10+8)/2, (8+0)/2, 0, (0+2)/2.
    assert [c.occupancy_s for c in cells] == [5 * 900, 9 * 900, 4 * 900, 1 * 900]
    (day,) = roll_up_days(rows, K)
    assert (day["occupancy_s"], day["occupancy_max"], day["visitors"]) == (19 * 900, 10, 16)


def test_occupancy_starts_again_each_local_day() -> None:
    evening = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Stockholm
    rows = windows([store_row("S0001", evening, visitors=5), store_row("S0001", evening + 2 * Q, visitors=1)])
    cells = window_cells(rows, K)
    assert [(c.day, c.occupancy_end) for c in cells] == [(date(2026, 11, 23), 5), (date(2026, 11, 24), 1)]


def test_dwell_by_littles_law_is_the_average_visit_when_people_come_and_go_within_the_day() -> None:
    """Ten people each stay exactly 30 minutes: occupancy-time / entries is 30 minutes."""
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    rows = windows([store_row("S0001", t0 + i * Q, visitors=10 if i == 0 else 0, exits=10 if i == 2 else 0)
                    for i in range(4)])
    (day,) = roll_up_days(rows, K)
    # Entered spread over the first window, left spread over the third: 0.5 + 1 + 0.5 windows on average.
    assert day["occupancy_s"] / day["visitors"] == 2 * 900


def test_a_day_sums_only_its_published_windows_into_its_breakdown() -> None:
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    rows = windows([
        store_row("S0001", t0, visitors=9, faces=[FACE] * 6),  # published
        store_row("S0001", t0 + Q, visitors=3, faces=[("male", "65+", "sadness")] * 2),  # suppressed
    ])
    (day,) = roll_up_days(rows, K)
    assert set(day) == {c.name for c in STORE_DAY}
    assert (day["visit_faces"], day["published_faces"], day["gender_female"], day["gender_male"]) == (8, 6, 6, 0)
    assert day["age_65_plus"] == 0 and day["suppressed"] is False and day["windows"] == 2
    assert (day["date"], day["day_start"], day["day_end"]) == (
        "2026-11-23", "2026-11-22T23:00:00.000Z", "2026-11-23T23:00:00.000Z")
    (cell,) = day_cells([StoreDay.model_validate(day)], K)
    assert (cell.covered, cell.suppressed_faces, cell.counts["gender_female"]) == (6, 2, 6)


def test_a_day_of_suppressed_windows_is_suppressed_with_nothing_in_its_breakdown() -> None:
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    rows = windows([store_row("S0004", t0 + i * Q, visitors=2, faces=[FACE] * 3) for i in range(4)])
    (day,) = roll_up_days(rows, K)
    assert day["visit_faces"] == 12 and day["published_faces"] == 0 and day["suppressed"] is True
    assert all(day[c.name] == 0 for c in STORE_DAY if c.role == "demographic")


def test_every_store_gets_its_own_local_days(fleet) -> None:
    days = roll_up_days([StoreWindow.model_validate(r) for r in fleet.rows], K)
    assert {d["store_id"] for d in days} == {r["store_id"] for r in fleet.rows}
    assert sum(d["visitors"] for d in days) == len(fleet.visits)
    lisbon = next(d for d in days if d["store_id"] == "S0102")
    assert lisbon["day_start"] == "2026-11-23T00:00:00.000Z"  # Lisbon is on UTC in November
    unknown = next(d for d in days if d["store_id"] == "S0999")
    assert unknown["time_zone"] is None and unknown["day_start"] == "2026-11-23T00:00:00.000Z"
