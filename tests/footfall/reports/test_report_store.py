"""The DuckDB report store: upserts, reads, and a reader beside a writer in another process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from footfall.reports.store import ReportStore
from functions.reports.models import WindowSelection
from functions.reports.reader import ReportReader

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def test_store_is_a_report_reader(tmp_path: Path) -> None:
    assert isinstance(ReportStore(tmp_path / "r.duckdb"), ReportReader)


def test_cosmos_output_upserts_by_id_and_is_idempotent(tmp_path: Path, fleet) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    assert store.write_output("cosmos", fleet.rows) == len(fleet.rows)
    assert store.write_output("cosmos", fleet.rows) == len(fleet.rows)
    assert store.count("cosmos") == len(fleet.rows)

    late = dict(fleet.rows_where(id="store|S0001|2026-11-23T12:15:00.000Z")[0])
    late["faces"] += 3
    late["female"] += 3
    store.write_output("cosmos", [late])
    assert store.count("cosmos") == len(fleet.rows)
    row = store.windows(WindowSelection(level="store", store_id="S0001", start=T0.replace(hour=12),
                                        end=T0.replace(hour=12, minute=15)))
    assert [(r.id, r.faces, r.female) for r in row] == [(late["id"], late["faces"], late["female"])]


def test_powerbi_output_upserts_by_level_key_and_window_end(tmp_path: Path, fleet) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    rows = [{k: v for k, v in r.items() if k not in ("id", "pk")} for r in fleet.rows]
    store.write_output("powerbi", rows)
    store.write_output("powerbi", rows[:50])
    assert store.count("powerbi") == len(rows)
    assert store.count("cosmos") == 0
    written = store.rows("powerbi")
    assert "id" not in written[0] and "pk" not in written[0]
    key = lambda r: (r["level"], r["store_id"], r["city"], r["region"], r["window_end"])  # noqa: E731
    assert sorted(map(key, written), key=str) == sorted(map(key, rows), key=str)


def test_repeated_id_in_one_batch_keeps_the_last_row(tmp_path: Path, make_row, make_faces) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    first = make_row("store", T0, make_faces(6), store_id="S0001")
    second = make_row("store", T0, make_faces(9), store_id="S0001")
    assert first["id"] == second["id"]
    assert store.write_output("cosmos", [first, second]) == 1
    assert [r.faces for r in store.windows(WindowSelection(level="store"))] == [9]


def test_missing_id_and_pk_are_derived_from_the_contract(tmp_path: Path, make_row, make_faces) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    row = make_row("city", T0, make_faces(7), city="Oslo", country="NO", region="Nordics")
    del row["id"], row["pk"]
    store.write_output("cosmos", [row])
    [stored] = store.windows(WindowSelection(level="city"))
    assert (stored.id, stored.pk) == ("city|Oslo|2026-11-23T09:00:00.000Z", "city|Oslo")


def test_suppressed_rows_never_keep_demographics(tmp_path: Path, make_row, make_faces) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    row = make_row("store", T0, make_faces(3), store_id="S0001")
    row.update(female=3, age_25_34=3, emotion_happiness=3, avg_age=30.0, happiness_share=1.0)  # a careless writer
    store.write_output("cosmos", [row])
    [stored] = store.windows(WindowSelection(level="store"))
    assert stored.suppressed and stored.faces == 3
    assert (stored.female, stored.age_25_34, stored.emotion_happiness, stored.avg_age) == (None, None, None, None)


def test_unknown_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alias"):
        ReportStore(tmp_path / "r.duckdb").write_output("eventhub", [])


def test_windows_select_level_group_and_half_open_range(filled_store: ReportStore, fleet) -> None:
    start, end = T0.replace(hour=12), T0.replace(hour=14)
    rows = filled_store.windows(WindowSelection(level="city", region="Nordics", start=start, end=end))
    expected = [
        r for r in fleet.rows_where(level="city", region="Nordics")
        if "2026-11-23T12:00" <= r["window_start"] and r["window_end"] <= "2026-11-23T14:00:00.000Z"
    ]
    assert sorted(r.id for r in rows) == sorted(r["id"] for r in expected)
    assert {r.city for r in rows} == {"Stockholm", "Oslo"}
    assert len(rows) == 4  # 2 cities x 2 hours: the 14:00 window ends after the range

    kiosk = filled_store.windows(WindowSelection(level="store", store_id="S0004"))
    assert len(kiosk) == 48 and all(r.suppressed and r.female is None for r in kiosk)
    assert [r.window_start for r in kiosk] == sorted(r.window_start for r in kiosk)


def test_store_directory_and_time_range(filled_store: ReportStore) -> None:
    stores = {s.store_id: s for s in filled_store.stores()}
    assert len(stores) == 8
    assert (stores["S0003"].store_name, stores["S0003"].city, stores["S0003"].region) == ("Majorstuen", "Oslo", "Nordics")
    assert stores["S0999"].region is None
    assert filled_store.time_range() == (T0.replace(hour=7), T0.replace(hour=19))


def test_empty_store_reads_as_empty(tmp_path: Path) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    assert store.windows(WindowSelection(level="region")) == []
    assert store.stores() == []
    assert store.time_range() == (None, None)


WRITER = textwrap.dedent("""
    import sys
    from footfall.reports.store import ReportStore
    sys.path.insert(0, sys.argv[2])
    from conftest import make_fleet
    rows = make_fleet().rows
    store = ReportStore(sys.argv[1])
    print("ready", flush=True)
    for batch in range(20):
        for row in rows:
            row["frames"] += 1
        store.write_output("cosmos", rows)
    print("done", flush=True)
""")


def test_dashboard_reads_while_another_process_writes(tmp_path: Path, fleet) -> None:
    """`footfall asa run` writes while `footfall dashboard` reads: neither fails, readers see whole batches."""
    path = tmp_path / "r.duckdb"
    store = ReportStore(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(Path(__file__).parent)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        seen: set[int] = set()
        while writer.poll() is None:
            rows = store.windows(WindowSelection(level="store", store_id="S0001"))
            if rows:
                offsets = {r.frames - fleet.rows_where(id=r.id)[0]["frames"] for r in rows}
                assert len(offsets) == 1, "a reader saw half a batch"
                seen |= offsets
        assert writer.wait(60) == 0, writer.stderr.read()
    finally:
        writer.kill()
    assert store.count("cosmos") == len(fleet.rows)
    final = store.windows(WindowSelection(level="store", store_id="S0001"))
    assert {r.frames - fleet.rows_where(id=r.id)[0]["frames"] for r in final} == {20}
    assert len(seen) >= 2, "reads should have interleaved with the writer's batches"


def test_threads_in_one_process_share_the_file(tmp_path: Path, fleet) -> None:
    """A demo serving the dashboard in a thread while it writes in another: no configuration clash."""
    store = ReportStore(tmp_path / "r.duckdb")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(5):
                store.write_output("cosmos", fleet.rows)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    reader = ReportStore(tmp_path / "r.duckdb")
    while thread.is_alive():
        reader.windows(WindowSelection(level="region", start=T0, end=T0 + timedelta(hours=2)))
    thread.join()
    assert errors == []
    assert reader.count() == len(fleet.rows)


def test_rows_from_a_pandas_frame_are_accepted(tmp_path: Path, fleet) -> None:
    """A writer built on pandas hands over NaN for NULL and numpy scalars: both store as the contract says."""
    import pandas as pd

    frame = pd.DataFrame(fleet.rows_where(level="store", store_id="S0004")[:3] + fleet.rows_where(level="region")[:2])
    store = ReportStore(tmp_path / "r.duckdb")
    assert store.write_output("cosmos", frame.to_dict("records")) == 5
    kiosk = store.windows(WindowSelection(level="store", store_id="S0004"))
    assert [r.faces for r in kiosk] == [r["faces"] for r in fleet.rows_where(level="store", store_id="S0004")[:3]]
    assert all(r.female is None and r.avg_age is None for r in kiosk)
    regions = store.windows(WindowSelection(level="region"))
    assert [r.female for r in regions] == [r["female"] for r in fleet.rows_where(level="region")[:2]]
