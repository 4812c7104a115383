"""``footfall demo --no-serve`` runs the whole pipeline to a summary whose counts add up."""

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
    assert summary["events"] == 20 and summary["quarantined"] == 3
    assert summary["faces"] == sum(u["faces_visible"] for u in json.loads(
        (tmp_path / "state" / "simulate-manifest.json").read_text())["uploads"] if u["kind"] == "photo")
    assert summary["windows_written"]["cosmos"] > 0
    assert "counts add up     yes: 23 = 20 events + 3 quarantined" in result.stdout
    assert (tmp_path / "state" / "reports.duckdb").is_file()
    assert "dashboard" not in result.stdout.split("counts add up")[1]  # --no-serve: nothing served
