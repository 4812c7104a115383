"""The demo's configuration: a Settings object built in code, not an edited environment.

The whole demo runs end to end in ``tests/e2e/test_demo.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from footfall.demo import PROJECT_DIR, DemoPaths, DemoSummary, function_settings


def test_the_demo_points_the_app_at_the_local_stack_without_touching_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    before = dict(os.environ)
    paths = DemoPaths.under(tmp_path)

    settings = function_settings(paths, "UseDevelopmentStorage=true", "http://127.0.0.1:5999")

    assert dict(os.environ) == before
    assert settings.storage_connection is not None
    assert settings.storage_connection.get_secret_value() == "UseDevelopmentStorage=true"
    assert (settings.face_endpoint, settings.event_sink, settings.local_event_log) == (
        "http://127.0.0.1:5999", "local", paths.events)
    assert settings.known_stores == str(PROJECT_DIR / "stores.csv") and settings.after_success == "delete"


def test_a_replayed_day_long_past_is_inside_the_capture_window(tmp_path: Path) -> None:
    day = date(2026, 1, 5)
    settings = function_settings(DemoPaths.under(tmp_path), "UseDevelopmentStorage=true", "http://127.0.0.1:1", day)
    assert settings.capture_max_age_days >= (datetime.now(UTC).date() - day).days + 2


def test_counts_add_up_with_the_re_uploads_dropped_as_duplicates() -> None:
    run = {"photos": 12, "broken_uploads": 1, "stores": 2, "faces": 9, "poisoned": 0, "retried": 0,
           "windows_written": {}, "visitors_simulated": 0, "visitors_measured": 0, "seconds": 1.0}
    # 13 uploads, 2 of them re-uploads of a capture whose event was already sent.
    summary = DemoSummary(uploads=13, events=9, quarantined=1, pending=1, duplicates=2, **run)
    assert summary.counts_add_up
    assert "13 = 9 events + 1 quarantined + 1 pending + 2 duplicates" in summary.text()
    assert not DemoSummary(uploads=13, events=9, quarantined=1, pending=1, duplicates=0, **run).counts_add_up
