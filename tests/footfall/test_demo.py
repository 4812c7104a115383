"""The demo's configuration: a Settings object built in code, not an edited environment.

The whole demo runs end to end in ``tests/e2e/test_demo.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from footfall.demo import PROJECT_DIR, DemoPaths, function_settings


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
