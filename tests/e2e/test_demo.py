"""`footfall demo` runs the whole pipeline to a summary whose counts add up, and serves it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from footfall.paths import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_demo_runs_to_a_summary_where_uploads_equal_events_plus_quarantined(tmp_path: Path) -> None:
    env = {**os.environ, "FOOTFALL_STATE_DIR": str(tmp_path / "state"), "FOOTFALL_FACE_WORKERS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "footfall.cli", "demo", "--no-serve", "--photos", "20", "--broken", "3",
         "--stores", "4", "--date", "2026-11-23"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    summary = json.loads((tmp_path / "state" / "demo-summary.json").read_text())
    assert (summary["uploads"], summary["photos"], summary["broken_uploads"]) == (23, 20, 3)
    assert summary["events"] == 20 and summary["quarantined"] == 3 and summary["duplicates"] == 0
    assert summary["faces"] == sum(u["faces_visible"] for u in json.loads(
        (tmp_path / "state" / "simulate-manifest.json").read_text())["uploads"] if u["kind"] == "photo")
    assert summary["windows_written"]["store_windows"] > 0 and summary["windows_written"]["zone_windows"] > 0
    assert "counts add up     yes: 23 = 20 events + 3 quarantined" in result.stdout
    # Visitors are the people the doors counted, one per simulated visit, never the faces.
    visits = sum(1 for u in json.loads((tmp_path / "state" / "simulate-manifest.json").read_text())["uploads"]
                 if u["kind"] == "photo" and u["photo_kind"] == "visit")
    assert summary["visitors_simulated"] == visits and abs(summary["visitors_measured"] - visits) <= 0.1 * visits
    assert f"counted at the doors, {visits} simulated" in result.stdout
    assert (tmp_path / "state" / "reports.duckdb").is_file()
    assert "dashboard" not in result.stdout.split("counts add up")[1]  # --no-serve: nothing served


def test_a_served_demo_shows_its_day_in_the_dashboard_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    import signal
    import time

    import httpx

    from footfall.azurite import free_port

    env = {**os.environ, "FOOTFALL_STATE_DIR": str(tmp_path / "state"), "FOOTFALL_FACE_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "footfall.cli", "demo", "--serve", "--photos", "12", "--broken", "1",
         "--stores", "3", "--date", "2026-11-23", "--port", str(free_port())],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 240
        while not any(line.startswith("Ctrl-C to stop") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)[-3000:]
            lines.append(proc.stdout.readline())
        url = next(line.split()[-1] for line in lines if line.startswith("dashboard "))
        report = httpx.get(f"{url.rstrip('/')}/api/report", timeout=10).json()
        summary = json.loads((tmp_path / "state" / "demo-summary.json").read_text())
        assert report["photos"] == summary["events"] == 12
        assert report["visit_faces"] + report["sightings"] == summary["faces"]
        assert report["visitors"] == summary["visitors_measured"]

        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # Azurite, started on this run's data folder, does not outlive the demo.
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "state")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
