"""run_job and ``footfall asa run|test``: the project's job on local files."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from footfall.asa import AsaError, AsaProject, run_job
from footfall.asa.cli import main
from footfall.asa.job import DEFAULT_PROJECT, resolve_inputs

EVENT = {"schema": "footfall.frame.v1", "event_id": "ab" * 16, "captured_at": "2026-11-23T08:05:00.0000000Z",
         "store_id": "S0001", "camera_id": "C01", "face_count": 1,
         "faces": [{"age": 30, "age_band": "25-34", "gender": "female", "emotion": "happiness",
                    "emotion_score": 0.9}],
         "analyzer": "face-service/1.0", "processed_at": "2026-11-23T08:05:00.3000000Z"}


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    log = tmp_path / "events"
    log.mkdir()
    (log / "frames-0001.jsonl").write_text(json.dumps(EVENT) + "\n")
    second = {**EVENT, "event_id": "cd" * 16, "store_id": "S0002", "captured_at": "2026-11-23T08:20:00.0000000Z"}
    (log / "frames-0002.jsonl").write_text(json.dumps(second) + "\n")
    (log / "other.txt").write_text("not events")
    return log


def test_the_project_loads_with_its_inputs_outputs_and_policies():
    project = AsaProject.load(DEFAULT_PROJECT)
    assert set(project.inputs) == {"frames", "stores"} and set(project.outputs) == {"cosmos", "powerbi"}
    assert project.inputs["stores"].is_reference and not project.inputs["frames"].is_reference
    assert project.job_config.events_out_of_order_policy in {"Adjust", "Drop"}


def test_frames_default_to_the_local_event_log(monkeypatch, event_log: Path):
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(event_log))
    sources = resolve_inputs(AsaProject.load(DEFAULT_PROJECT))
    assert sources["frames"].path == event_log
    assert sources["stores"].path == (DEFAULT_PROJECT / "stores.csv").resolve()
    assert sources["stores"].format == "Csv"


def test_run_job_writes_one_jsonl_per_output(tmp_path: Path, event_log: Path):
    counts = run_job(DEFAULT_PROJECT, {"frames": event_log}, tmp_path / "out")
    # 2 stores x 1 window, 1 city (New York) x 1 hour, 1 region x 1 hour.
    assert counts == {"cosmos": 4, "powerbi": 4}
    rows = [json.loads(line) for line in (tmp_path / "out" / "cosmos.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rows} == {
        "store|S0001|2026-11-23T08:15:00.0000000Z", "store|S0002|2026-11-23T08:30:00.0000000Z",
        "city|New York|2026-11-23T09:00:00.0000000Z", "region|US Northeast|2026-11-23T09:00:00.0000000Z"}
    powerbi = [json.loads(line) for line in (tmp_path / "out" / "powerbi.jsonl").read_text().splitlines()]
    assert all("id" not in r and "pk" not in r for r in powerbi)


def test_run_job_hands_every_output_to_the_report_store(monkeypatch, tmp_path: Path, event_log: Path):
    written: dict[str, list[dict]] = {}

    class FakeStore:
        def __init__(self, path: Path) -> None:
            self.path = path

        def write_output(self, alias: str, rows) -> int:
            written[alias] = list(rows)
            return len(written[alias])

    module = types.ModuleType("footfall.reports.store")
    module.ReportStore = FakeStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "footfall.reports.store", module)
    counts = run_job(DEFAULT_PROJECT, {"frames": event_log}, tmp_path / "out", report_store=tmp_path / "r.db")
    assert {alias: len(rows) for alias, rows in written.items()} == counts


def test_an_empty_event_log_gives_empty_outputs(tmp_path: Path):
    (tmp_path / "events").mkdir()
    assert run_job(DEFAULT_PROJECT, {"frames": tmp_path / "events"}, tmp_path / "out") == {"cosmos": 0, "powerbi": 0}


def test_an_unknown_input_alias_is_refused(tmp_path: Path):
    with pytest.raises(AsaError, match="unknown input"):
        run_job(DEFAULT_PROJECT, {"framez": tmp_path}, tmp_path / "out")


def test_cli_run_prints_rows_per_output(capsys, tmp_path: Path, event_log: Path):
    assert main(["run", "--input", f"frames={event_log}", "--output-dir", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "cosmos: 4 rows" in out and "powerbi: 4 rows" in out


def test_cli_test_passes_the_shipped_cases(capsys):
    assert main(["test"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and out.count("PASS") >= 8


def test_cli_test_fails_on_a_wrong_expectation(capsys, tmp_path: Path):
    cases = DEFAULT_PROJECT / "test"
    config = json.loads((cases / "testConfig.json").read_text())
    case = config["TestCases"][0]
    expected = [json.loads(line) for line in (cases / case["ExpectedOutputs"][0]["FilePath"]).read_text().splitlines()]
    expected[0]["frames"] += 1
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
    assert run_job(DEFAULT_PROJECT, output_dir=tmp_path / "out") == {"cosmos": 0, "powerbi": 0}


def test_reads_events_exactly_as_frame_event_to_json_writes_them(tmp_path: Path):
    from datetime import datetime, timezone

    from functions.contracts import FaceRecord, FrameEvent

    faces = [FaceRecord(age=a, age_band="25-34", gender="male", emotion="happiness", emotion_score=0.8)
             for a in (25, 27, 29, 31, 33)]
    event = FrameEvent(event_id="ef" * 16, captured_at=datetime(2026, 11, 23, 8, 1, tzinfo=timezone.utc),
                       store_id="S0013", camera_id="C02", face_count=5, faces=faces,
                       analyzer="face-service/1.0", processed_at=datetime(2026, 11, 23, 8, 1, 1, tzinfo=timezone.utc))
    log = tmp_path / "events"
    log.mkdir()
    (log / "frames-20261123.jsonl").write_text(event.to_json() + "\n")
    run_job(DEFAULT_PROJECT, {"frames": log}, tmp_path / "out")
    rows = {json.loads(line)["level"]: json.loads(line) for line in (tmp_path / "out" / "cosmos.jsonl").open()}
    store = rows["store"]
    assert store["id"] == "store|S0013|2026-11-23T08:15:00.0000000Z"
    assert (store["frames"], store["faces"], store["male"], store["suppressed"]) == (1, 5, 5, False)
    assert store["avg_age"] == 29.0 and store["happiness_share"] == 1.0


def _store_frames(rows: list[dict]) -> dict[tuple[str, str], int]:
    return {(r["store_id"], r["window_end"]): r["frames"] for r in rows if r["level"] == "store"}


def test_the_local_event_log_replays_events_at_their_capture_time(monkeypatch, tmp_path: Path):
    """A replayed day is written in processing order, hours apart from capture order; each
    event still lands in its own capture window (in Azure, cameras upload as they capture)."""
    log = tmp_path / "events"
    log.mkdir()
    # Written newest first: in file order each earlier event is hours "out of order".
    times = ["2026-11-23T15:05:00.0000000Z", "2026-11-23T12:10:00.0000000Z", "2026-11-23T09:40:00.0000000Z"]
    lines = [json.dumps({**EVENT, "event_id": f"{i:02x}" * 16, "captured_at": t}) for i, t in enumerate(times)]
    (log / "frames-0001.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(log))
    assert resolve_inputs(AsaProject.load(DEFAULT_PROJECT))["frames"].arrival == "capture_time"

    run_job(DEFAULT_PROJECT, output_dir=tmp_path / "replay")
    replayed = [json.loads(x) for x in (tmp_path / "replay" / "cosmos.jsonl").read_text().splitlines()]
    assert _store_frames(replayed) == {("S0001", "2026-11-23T15:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T12:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T09:45:00.0000000Z"): 1}

    # The same file given explicitly is a stream in file order: the job's out-of-order policy
    # applies, so the two older events do not keep their own windows.
    run_job(DEFAULT_PROJECT, {"frames": log}, tmp_path / "as-stream")
    streamed = [json.loads(x) for x in (tmp_path / "as-stream" / "cosmos.jsonl").read_text().splitlines()]
    assert _store_frames(streamed) != _store_frames(replayed)
    assert sum(_store_frames(streamed).values()) <= 3


def test_a_live_run_reads_the_arrival_times_the_log_recorded(monkeypatch, tmp_path: Path):
    """``--recorded-arrival``: events written at 09:00 for captures at 08:05 and 08:20 are late
    (tolerance 300 s, Adjust) and counted at 08:55, as Azure would; the replay counts them at
    their capture times."""
    from datetime import datetime, timezone

    from functions.contracts import FrameEvent
    from functions.sinks.local_log import LocalEventLogSink

    log = tmp_path / "events"
    sink = LocalEventLogSink(log, clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    sink.send([FrameEvent.model_validate({**EVENT, "event_id": f"{i:032x}", "captured_at": t})
               for i, t in enumerate(["2026-11-23T08:05:00.000Z", "2026-11-23T08:20:00.000Z"])])
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(log))
    assert main(["run", "--recorded-arrival", "--output-dir", str(tmp_path / "live")]) == 0
    live = [json.loads(x) for x in (tmp_path / "live" / "cosmos.jsonl").read_text().splitlines()]
    assert _store_frames(live) == {("S0001", "2026-11-23T09:00:00.0000000Z"): 2}
    run_job(DEFAULT_PROJECT, output_dir=tmp_path / "replay")
    replayed = [json.loads(x) for x in (tmp_path / "replay" / "cosmos.jsonl").read_text().splitlines()]
    assert _store_frames(replayed) == {("S0001", "2026-11-23T08:15:00.0000000Z"): 1,
                                       ("S0001", "2026-11-23T08:30:00.0000000Z"): 1}
