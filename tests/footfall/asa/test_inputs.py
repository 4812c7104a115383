"""Reading a job's inputs (``footfall/asa/inputs.py``): events Azure cannot deserialize are dropped and counted."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from footfall.asa import run_job
from footfall.asa.job import DEFAULT_PROJECT

EVENT = {"schema": "footfall.frame.v2", "event_id": "ab" * 16, "captured_at": "2026-11-23T08:05:00Z",
         "store_id": "S0001", "camera_id": "C01", "kind": "visit", "face_count": 1,
         "faces": [{"age": None, "age_band": "25-34", "gender": "female", "emotion": "happiness",
                    "emotion_score": 0.9}],
         "analyzer": "face-service/1.0", "processed_at": "2026-11-23T08:05:01Z"}


def _photos(out: Path) -> int:
    return sum(json.loads(line)["photos"] for line in (out / "store_windows.jsonl").open())


def test_a_torn_last_line_of_the_event_log_is_dropped_and_counted_and_the_rest_is_read(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "events"
    log.mkdir()
    lines = [json.dumps({**EVENT, "event_id": f"{i:032x}", "captured_at": f"2026-11-23T08:0{i}:00Z"})
             for i in range(1, 4)]
    # A writer is appending the fourth event: half of it is on disk, without its newline.
    torn = json.dumps({**EVENT, "event_id": "ff" * 16})[:57]
    (log / "frames-20261123.jsonl").write_text("\n".join(lines) + "\n" + torn)
    with caplog.at_level(logging.WARNING, logger="footfall.asa.inputs"):
        counts = run_job(DEFAULT_PROJECT, {"frames": log, "counts": log}, tmp_path / "out")
    assert counts["store_windows"] == 1 and _photos(tmp_path / "out") == 3
    assert "input 'frames': 1 event(s) dropped: not valid JSON" in caplog.text


def test_a_malformed_line_in_the_middle_is_dropped_like_azure_drops_an_event_it_cannot_deserialize(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "events"
    log.mkdir()
    good = [json.dumps({**EVENT, "event_id": f"{i:032x}"}) for i in range(2)]
    (log / "frames-20261123.jsonl").write_text(good[0] + "\n{\"schema\": oops}\n" + good[1] + "\n")
    with caplog.at_level(logging.WARNING, logger="footfall.asa.inputs"):
        run_job(DEFAULT_PROJECT, {"frames": log, "counts": log}, tmp_path / "out")
    assert _photos(tmp_path / "out") == 2
    assert "1 event(s) dropped: not valid JSON" in caplog.text


def test_well_formed_input_reports_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "events"
    log.mkdir()
    (log / "frames-20261123.jsonl").write_text(json.dumps(EVENT) + "\n")
    with caplog.at_level(logging.WARNING, logger="footfall.asa.inputs"):
        run_job(DEFAULT_PROJECT, {"frames": log, "counts": log}, tmp_path / "out")
    assert _photos(tmp_path / "out") == 1 and "dropped" not in caplog.text
