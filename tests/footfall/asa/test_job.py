"""run_job and ``footfall asa run|test``: the project's job on local files."""

from __future__ import annotations

import json
import sys
import types
from datetime import UTC
from pathlib import Path

import pytest

from footfall.asa import AsaError, AsaProject, run_job
from footfall.asa.cli import main
from footfall.asa.job import DEFAULT_PROJECT, resolve_inputs

EVENT = {"schema": "footfall.frame.v2", "event_id": "ab" * 16, "captured_at": "2026-11-23T08:05:00Z",
         "store_id": "S0001", "camera_id": "C01", "kind": "visit", "face_count": 1,
         "faces": [{"age": None, "age_band": "25-34", "gender": "female", "emotion": "happiness",
                    "emotion_score": 0.9}],
         "analyzer": "face-service/1.0", "processed_at": "2026-11-23T08:05:01Z"}
COUNT = {"schema": "footfall.count.v1", "event_id": "ef" * 16, "store_id": "S0001", "camera_id": "C01",
         "window_start": "2026-11-23T08:06:00Z", "window_end": "2026-11-23T08:07:00Z", "frames": 600,
         "lines": [{"line": "door", "entries": 4, "exits": 1}], "zones": []}
EMPTY = {"store_windows": 0, "zone_windows": 0}


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    log = tmp_path / "events"
    log.mkdir()
    (log / "frames-0001.jsonl").write_text(json.dumps(EVENT) + "\n")
    second = {**EVENT, "event_id": "cd" * 16, "store_id": "S0002", "captured_at": "2026-11-23T08:20:00.0000000Z"}
    (log / "frames-0002.jsonl").write_text(json.dumps(second) + "\n")
    (log / "counts-0001.jsonl").write_text(json.dumps(COUNT) + "\n")
    (log / "other.txt").write_text("not events")
    return log


def test_the_project_loads_with_its_inputs_outputs_and_policies():
    project = AsaProject.load(DEFAULT_PROJECT)
    assert set(project.inputs) == {"frames", "counts", "stores", "cameras"}
    assert set(project.outputs) == {"store_windows", "zone_windows"}
    assert project.inputs["stores"].is_reference and project.inputs["cameras"].is_reference
    assert not project.inputs["frames"].is_reference and not project.inputs["counts"].is_reference
    assert project.job_config.events_out_of_order_policy in {"Adjust", "Drop"}


def test_frames_default_to_the_local_event_log(monkeypatch, event_log: Path):
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(event_log))
    sources = resolve_inputs(AsaProject.load(DEFAULT_PROJECT))
    assert sources["frames"].path == sources["counts"].path == event_log
    assert sources["stores"].path == (DEFAULT_PROJECT / "stores.csv").resolve()
    assert sources["cameras"].path == (DEFAULT_PROJECT / "cameras.csv").resolve()
    assert sources["stores"].format == "Csv"


def test_run_job_reads_both_streams_of_the_log_and_writes_one_jsonl_per_output(
        monkeypatch, tmp_path: Path, event_log: Path):
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(event_log))
    counts = run_job(DEFAULT_PROJECT, output_dir=tmp_path / "out")
    assert counts == {"store_windows": 2, "zone_windows": 0}
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "store_windows.jsonl").read_text().splitlines())}
    assert set(rows) == {"S0001|2026-11-23T08:15:00.0000000Z", "S0002|2026-11-23T08:30:00.0000000Z"}
    first = rows["S0001|2026-11-23T08:15:00.0000000Z"]
    assert (first["visitors"], first["exits"], first["visit_faces"], first["doc_type"]) == (4, 1, 1, "store_window")


def test_run_job_hands_every_output_to_the_report_database(monkeypatch, tmp_path: Path, event_log: Path):
    written: dict[str, list[dict]] = {}

    class FakeStore:
        def __init__(self, path: Path) -> None:
            self.path = path

        def write_output(self, alias: str, rows) -> int:
            written[alias] = list(rows)
            return len(written[alias])

    module = types.ModuleType("footfall.reports.database")
    module.ReportDatabase = FakeStore
    monkeypatch.setitem(sys.modules, "footfall.reports.database", module)
    counts = run_job(DEFAULT_PROJECT, {"frames": event_log}, tmp_path / "out", report_database=tmp_path / "r.db")
    assert {alias: len(rows) for alias, rows in written.items()} == counts


def test_an_empty_event_log_gives_empty_outputs(tmp_path: Path):
    (tmp_path / "events").mkdir()
    assert run_job(DEFAULT_PROJECT, {"frames": tmp_path / "events"}, tmp_path / "out") == EMPTY


def test_an_unknown_input_alias_is_refused(tmp_path: Path):
    with pytest.raises(AsaError, match="unknown input"):
        run_job(DEFAULT_PROJECT, {"framez": tmp_path}, tmp_path / "out")


def test_cli_run_prints_rows_per_output(capsys, tmp_path: Path, event_log: Path):
    assert main(["run", "--input", f"frames={event_log}", "--output-dir", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "store_windows: 2 rows" in out and "zone_windows: 0 rows" in out


def test_cli_test_passes_the_shipped_cases(capsys):
    assert main(["test"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and out.count("PASS") >= 8


def test_cli_test_fails_on_a_wrong_expectation(capsys, tmp_path: Path):
    cases = DEFAULT_PROJECT / "test"
    config = json.loads((cases / "testConfig.json").read_text())
    case = config["TestCases"][0]
    expected = [json.loads(line) for line in (cases / case["ExpectedOutputs"][0]["FilePath"]).read_text().splitlines()]
    expected[0]["photos"] += 1
    (tmp_path / "wrong.json").write_text("\n".join(json.dumps(r) for r in expected))
    for inp in case["Inputs"]:
        inp["FilePath"] = str((cases / inp["FilePath"]).resolve())
    case["ExpectedOutputs"] = [{**case["ExpectedOutputs"][0], "FilePath": "wrong.json"}]
    (tmp_path / "testConfig.json").write_text(json.dumps({"Script": str(DEFAULT_PROJECT / "footfall.asaql"),
                                                          "TestCases": [case]}))
    assert main(["test", "--config", str(tmp_path / "testConfig.json")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "missing row" in out and "unexpected row" in out


def test_cli_reports_engine_errors_with_exit_code_2(capsys, tmp_path: Path):
    assert main(["run", "--input", f"frames={tmp_path / 'nope'}", "--output-dir", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_missing_default_event_log_means_no_events(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(tmp_path / "not-yet"))
    assert run_job(DEFAULT_PROJECT, output_dir=tmp_path / "out") == EMPTY


def test_reads_events_exactly_as_the_contracts_write_them(monkeypatch, tmp_path: Path):
    from datetime import datetime

    from functions.contracts import FaceRecord, FrameEvent
    from functions.sinks.local_log import LocalEventLogSink

    faces = [FaceRecord(age_band="25-34", gender="male", emotion="happiness", emotion_score=0.8)]
    log = tmp_path / "events"
    sink = LocalEventLogSink(log)
    for minute in range(5):
        sink.send([FrameEvent(event_id=f"{minute:032x}", captured_at=datetime(2026, 11, 23, 8, minute + 1,
                                                                              tzinfo=UTC),
                              store_id="S0013", camera_id="C01", kind="visit", face_count=1, faces=faces,
                              analyzer="face-service/1.0",
                              processed_at=datetime(2026, 11, 23, 8, minute + 1, 1, tzinfo=UTC))])
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(log))
    run_job(DEFAULT_PROJECT, output_dir=tmp_path / "out")
    (store,) = [json.loads(line) for line in (tmp_path / "out" / "store_windows.jsonl").open()]
    assert store["id"] == "S0013|2026-11-23T08:15:00.0000000Z" and store["time_zone"] == "Asia/Kolkata"
    assert (store["photos"], store["visit_faces"], store["gender_male"], store["suppressed"]) == (5, 5, 5, False)
    assert store["emotion_happiness"] == 5 and store["age_25_34"] == 5


def _store_frames(rows: list[dict]) -> dict[tuple[str, str], int]:
    return {(r["store_id"], r["window_end"]): r["photos"] for r in rows}


def test_the_local_event_log_replays_events_at_their_capture_time(monkeypatch, tmp_path: Path):
    """A replayed day is written in processing order, hours apart from capture order; each
    event still lands in its own capture window (in Azure, cameras upload as they capture)."""
    log = tmp_path / "events"
    log.mkdir()
    # Written newest first: in file order each earlier event is hours "out of order".
    times = ["2026-11-23T15:05:00Z", "2026-11-23T12:10:00Z", "2026-11-23T09:40:00Z"]
    lines = [json.dumps({**EVENT, "event_id": f"{i:02x}" * 16, "captured_at": t}) for i, t in enumerate(times)]
    (log / "frames-0001.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(log))
    assert resolve_inputs(AsaProject.load(DEFAULT_PROJECT))["frames"].arrival == "capture_time"

    run_job(DEFAULT_PROJECT, output_dir=tmp_path / "replay")
    replayed = [json.loads(x) for x in (tmp_path / "replay" / "store_windows.jsonl").read_text().splitlines()]
    assert _store_frames(replayed) == {("S0001", "2026-11-23T15:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T12:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T09:45:00.0000000Z"): 1}

    # The same file given explicitly is a stream in file order: the job's out-of-order policy
    # applies, so the two older events do not keep their own windows.
    run_job(DEFAULT_PROJECT, {"frames": log}, tmp_path / "as-stream")
    streamed = [json.loads(x) for x in (tmp_path / "as-stream" / "store_windows.jsonl").read_text().splitlines()]
    assert _store_frames(streamed) != _store_frames(replayed)
    assert sum(_store_frames(streamed).values()) <= 3


def test_a_live_run_reads_the_arrival_times_the_log_recorded(monkeypatch, tmp_path: Path):
    """``--recorded-arrival``: events written at 09:00 for captures at 08:05 and 08:20 are late
    (tolerance 300 s, Adjust) and counted at 08:55, as Azure would; the replay counts them at
    their capture times."""
    from datetime import datetime

    from functions.contracts import FrameEvent
    from functions.sinks.local_log import LocalEventLogSink

    log = tmp_path / "events"
    sink = LocalEventLogSink(log, clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    sink.send([FrameEvent.model_validate({**EVENT, "event_id": f"{i:032x}", "captured_at": t})
               for i, t in enumerate(["2026-11-23T08:05:00Z", "2026-11-23T08:20:00Z"])])
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(log))
    assert main(["run", "--recorded-arrival", "--output-dir", str(tmp_path / "live")]) == 0
    live = [json.loads(x) for x in (tmp_path / "live" / "store_windows.jsonl").read_text().splitlines()]
    assert _store_frames(live) == {("S0001", "2026-11-23T09:00:00.0000000Z"): 2}
    run_job(DEFAULT_PROJECT, output_dir=tmp_path / "replay")
    replayed = [json.loads(x) for x in (tmp_path / "replay" / "store_windows.jsonl").read_text().splitlines()]
    assert _store_frames(replayed) == {("S0001", "2026-11-23T08:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T08:30:00.0000000Z"): 1}
