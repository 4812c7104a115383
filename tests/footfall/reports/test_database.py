"""The DuckDB report database: upserts, reads, and a reader beside a writer in another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fleet import store_row

from footfall.asa.testing import read_rows
from footfall.paths import REPO_ROOT
from footfall.reports.database import ReportDatabase
from functions.reports.models import DaySelection, WindowSelection
from functions.reports.reader import ReportReader

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_store_is_a_report_reader(tmp_path: Path) -> None:
    assert isinstance(ReportDatabase(tmp_path / "r.duckdb"), ReportReader)


def _window(database: ReportDatabase, **selection) -> list:
    return database.store_windows(WindowSelection(**selection))


def test_store_windows_upsert_by_id_and_are_idempotent(tmp_path: Path, fleet) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    assert database.write_output("store_windows", fleet.rows) == len(fleet.rows)
    assert database.write_output("store_windows", fleet.rows) == len(fleet.rows)
    assert database.count("store_windows") == len(fleet.rows)

    late = dict(fleet.rows_where(id="S0001|2026-11-23T12:15:00.000Z")[0])
    late["visitors"] += 3
    database.write_output("store_windows", [late])
    assert database.count("store_windows") == len(fleet.rows)
    row = _window(database, store_id="S0001", start=T0.replace(hour=12), end=T0.replace(hour=12, minute=15))
    assert [(r.row_id(), r.visitors) for r in row] == [(late["id"], late["visitors"])]


def test_zone_windows_are_a_table_of_their_own(tmp_path: Path, fleet) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    database.write_output("zone_windows", fleet.zone_rows)
    database.write_output("zone_windows", fleet.zone_rows[:50])
    assert database.count("zone_windows") == len(fleet.zone_rows) and database.count("store_windows") == 0
    written = database.rows("zone_windows")
    assert {r["id"] for r in written} == {z["id"] for z in fleet.zone_rows}
    assert all(r["doc_type"] == "zone_window" for r in written)


def test_the_tables_have_exactly_the_contract_columns(tmp_path: Path) -> None:
    import duckdb

    from functions.aggregates import STORE_DAY, STORE_WINDOW, ZONE_WINDOW

    path = tmp_path / "r.duckdb"
    ReportDatabase(path)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = (("store_windows", STORE_WINDOW), ("zone_windows", ZONE_WINDOW), ("store_days", STORE_DAY))
        for table, columns in tables:
            described = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert described == [c.name for c in columns] + ["written_at"], table


def test_repeated_id_in_one_batch_keeps_the_last_row(tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    first = store_row("S0001", T0, visitors=6)
    second = store_row("S0001", T0, visitors=9)
    assert first["id"] == second["id"]
    assert database.write_output("store_windows", [first, second]) == 1
    assert [r.visitors for r in _window(database)] == [9]


def test_a_missing_id_is_derived_from_the_contract(tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    row = store_row("S0003", T0, visitors=7)
    del row["id"], row["doc_type"]
    database.write_output("store_windows", [row])
    assert [r["id"] for r in database.rows()] == ["S0003|2026-11-23T08:15:00.000Z"]


def test_suppressed_rows_never_keep_demographics(tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    row = store_row("S0001", T0, faces=[("female", "25-34", "happiness")] * 3)
    row.update(gender_female=3, age_25_34=3, emotion_happiness=3)  # a careless writer
    database.write_output("store_windows", [row])
    [stored] = _window(database)
    assert stored.suppressed and stored.visit_faces == 3
    assert (stored.gender_female, stored.age_25_34, stored.emotion_happiness) == (None, None, None)


def test_unknown_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alias"):
        ReportDatabase(tmp_path / "r.duckdb").write_output("eventhub", [])


def test_windows_select_stores_and_a_half_open_range(filled_store: ReportDatabase, fleet) -> None:
    start, end = T0.replace(hour=12), T0.replace(hour=14)
    rows = _window(filled_store, city="Oslo", start=start, end=end)
    expected = [r for r in fleet.rows_where(city="Oslo")
                if "2026-11-23T12:00" <= r["window_start"] and r["window_end"] <= "2026-11-23T14:00:00.000Z"]
    assert sorted(r.row_id() for r in rows) == sorted(r["id"] for r in expected)
    assert {r.store_id for r in rows} == {"S0003", "S0004"} and len(rows) == 16

    kiosk = _window(filled_store, store_id="S0004")
    assert kiosk and all(r.suppressed and r.gender_female is None for r in kiosk)
    assert [r.window_start for r in kiosk] == sorted(r.window_start for r in kiosk)
    zones = filled_store.zone_windows(WindowSelection(region="Iberia"))
    assert {z.store_id for z in zones} == {"S0101", "S0102"}


def test_store_directory_and_time_range(filled_store: ReportDatabase, fleet) -> None:
    stores = {s.store_id: s for s in filled_store.stores()}
    assert len(stores) == 8
    oslo = stores["S0003"]
    assert (oslo.store_name, oslo.city, oslo.region) == ("Majorstuen", "Oslo", "Nordics")
    assert stores["S0003"].time_zone == "Europe/Oslo" and stores["S0999"].region is None
    first, last = filled_store.time_range()
    assert first == T0.replace(hour=7)
    assert last == max(datetime.fromisoformat(r["window_end"]) for r in fleet.rows)


def test_empty_store_reads_as_empty(tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    assert _window(database) == []
    assert database.stores() == []
    assert database.time_range() == (None, None)


CASES = sorted((REPO_ROOT / "stream_analytics" / "test" / "cases").glob("*/store_windows.json"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.parent.name)
def test_the_job_s_expected_outputs_round_trip_through_the_store(case: Path, tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb")
    for alias in ("store_windows", "zone_windows"):
        rows = read_rows(case.with_name(f"{alias}.json"))
        assert database.write_output(alias, rows) == len({r["id"] for r in rows})
        assert database.rows(alias) == rows, f"{case.parent.name}: {alias} changed on the way through"


WRITER = textwrap.dedent("""
    import sys
    from footfall.reports.database import ReportDatabase
    sys.path.insert(0, sys.argv[2])
    from fleet import make_fleet
    rows = make_fleet().rows
    database = ReportDatabase(sys.argv[1])
    print("ready", flush=True)
    for batch in range(20):
        for row in rows:
            row["photos"] += 1
        database.write_output("store_windows", rows)
    print("done", flush=True)
""")


def test_dashboard_reads_while_another_process_writes(tmp_path: Path, fleet) -> None:
    """`footfall asa run` writes while `footfall dashboard` reads: neither fails, readers see whole batches."""
    path = tmp_path / "r.duckdb"
    database = ReportDatabase(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(Path(__file__).parents[2])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        seen: set[int] = set()
        while writer.poll() is None:
            rows = _window(database, store_id="S0001")
            if rows:
                offsets = {r.photos - fleet.rows_where(id=r.row_id())[0]["photos"] for r in rows}
                assert len(offsets) == 1, "a reader saw half a batch"
                seen |= offsets
        assert writer.wait(60) == 0, writer.stderr.read()
    finally:
        writer.kill()
    assert database.count("store_windows") == len(fleet.rows)
    final = _window(database, store_id="S0001")
    assert {r.photos - fleet.rows_where(id=r.row_id())[0]["photos"] for r in final} == {20}
    assert len(seen) >= 2, "reads should have interleaved with the writer's batches"


def test_threads_in_one_process_share_the_file(tmp_path: Path, fleet) -> None:
    """A demo serving the dashboard in a thread while it writes in another: no configuration clash."""
    database = ReportDatabase(tmp_path / "r.duckdb")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(5):
                database.write_output("store_windows", fleet.rows)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    reader = ReportDatabase(tmp_path / "r.duckdb")
    while thread.is_alive():
        _window(reader, region="Nordics", start=T0, end=T0 + timedelta(hours=2))
    thread.join()
    assert errors == []
    assert reader.count() == len(fleet.rows)


def test_rows_from_a_pandas_frame_are_accepted(tmp_path: Path, fleet) -> None:
    """A writer built on pandas hands over NaN for NULL and numpy scalars: both store as the contract says."""
    import pandas as pd

    frame = pd.DataFrame(fleet.rows_where(store_id="S0004")[:3] + fleet.rows_where(suppressed=False)[:2])
    database = ReportDatabase(tmp_path / "r.duckdb")
    assert database.write_output("store_windows", frame.to_dict("records")) == 5
    kiosk = _window(database, store_id="S0004")
    assert [r.visitors for r in kiosk] == [r["visitors"] for r in fleet.rows_where(store_id="S0004")[:3]]
    assert all(r.gender_female is None for r in kiosk)
    published = [r for r in _window(database) if not r.suppressed]
    assert sorted(r.gender_female for r in published) == sorted(
        r["gender_female"] for r in fleet.rows_where(suppressed=False)[:2])


def test_writing_windows_rolls_up_the_local_days_they_touch(tmp_path: Path, fleet) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb", k=5)
    database.write_output("store_windows", fleet.rows)
    days = {d["store_id"]: d for d in database.rows("store_days")}
    assert set(days) == {r["store_id"] for r in fleet.rows} and len(days) == 8
    assert days["S0001"]["visitors"] == len(fleet.visits_where(store_id="S0001"))
    assert days["S0001"]["published_faces"] == len(fleet.published_faces(store_id="S0001"))
    assert days["S0001"]["date"] == "2026-11-23" and days["S0001"]["doc_type"] == "store_day"

    late = dict(fleet.rows_where(id="S0001|2026-11-23T12:15:00.000Z")[0])
    late["visitors"] += 3
    database.write_output("store_windows", [late])  # a late window: its day is rolled up again, the others stay
    again = {d["store_id"]: d for d in database.rows("store_days")}
    assert again["S0001"]["visitors"] == days["S0001"]["visitors"] + 3
    assert again["S0002"] == days["S0002"]
    chosen = database.store_days(DaySelection(region="Nordics", first=date(2026, 11, 23), last=date(2026, 11, 23)))
    assert sorted(d.store_id for d in chosen) == ["S0001", "S0002", "S0003", "S0004"]
    assert database.store_days(DaySelection(first=date(2026, 11, 24))) == []


def test_a_window_after_local_midnight_belongs_to_the_next_local_day(tmp_path: Path) -> None:
    database = ReportDatabase(tmp_path / "r.duckdb", k=5)
    late_evening = datetime(2026, 11, 23, 22, 45, tzinfo=UTC)  # 23:45 in Stockholm
    database.write_output("store_windows", [
        {**store_row("S0001", late_evening, visitors=2), "time_zone": "Europe/Stockholm"},
        {**store_row("S0001", late_evening + timedelta(minutes=15), visitors=5), "time_zone": "Europe/Stockholm"},
    ])
    assert [(d["date"], d["visitors"], d["day_start"]) for d in database.rows("store_days")] == [
        ("2026-11-23", 2, "2026-11-22T23:00:00.000Z"), ("2026-11-24", 5, "2026-11-23T23:00:00.000Z")]


def test_a_file_from_before_the_rollups_recorded_their_rule_gets_the_new_columns(tmp_path: Path) -> None:
    import duckdb

    from footfall.reports.database import _ddl
    from functions.aggregates import STORE_DAY

    path = tmp_path / "reports.duckdb"
    old = _ddl("store_days")
    for name in ("k", "l_diversity"):
        column = next(c for c in STORE_DAY if c.name == name)
        old = old.replace(f", {name} {'BIGINT' if column.type == 'int' else 'BOOLEAN'}", "")
    assert " k BIGINT" not in old and "l_diversity" not in old
    with duckdb.connect(str(path)) as con:
        con.execute(old)
    store = ReportDatabase(path, k=5, l_diversity=False)
    store.write_output("store_windows", [store_row("S0001", datetime(2026, 11, 23, 8, tzinfo=UTC), visitors=3)])
    (day,) = store.store_days(DaySelection(store_id="S0001"))
    assert (day.visitors, day.k, day.l_diversity) == (3, 5, False)
