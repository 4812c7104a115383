"""Capture policy (hours, one photo per N seconds per camera) and configuration layering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge_module.config import LiveConfig, ModuleSettings, deep_merge, load_settings
from edge_module.policy import CapturePolicy, Verdict

MON_10_UTC = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_rate_limit_is_per_camera() -> None:
    policy = CapturePolicy(LiveConfig(capture={"min_interval_s": 10}))
    assert policy.verdict("C1", MON_10_UTC) is Verdict.LOOK
    policy.captured("C1", MON_10_UTC)
    assert policy.verdict("C1", MON_10_UTC + timedelta(seconds=9.9)) is Verdict.RATE_LIMITED
    assert policy.verdict("C2", MON_10_UTC + timedelta(seconds=1)) is Verdict.LOOK
    assert policy.verdict("C1", MON_10_UTC + timedelta(seconds=10)) is Verdict.LOOK


def test_closed_store_is_never_looked_at() -> None:
    policy = CapturePolicy(LiveConfig(timezone="America/New_York", opening_hours="09:00-17:00"))
    assert policy.verdict("C1", MON_10_UTC) is Verdict.CLOSED  # 05:00 in New York
    assert policy.verdict("C1", MON_10_UTC + timedelta(hours=5)) is Verdict.LOOK  # 10:00


def test_update_keeps_the_capture_history() -> None:
    policy = CapturePolicy(LiveConfig(capture={"min_interval_s": 5}))
    policy.captured("C1", MON_10_UTC)
    policy.update(LiveConfig(capture={"min_interval_s": 60}))
    assert policy.verdict("C1", MON_10_UTC + timedelta(seconds=30)) is Verdict.RATE_LIMITED


def test_environment_wins_over_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "edge.json"
    config.write_text(json.dumps({
        "store_id": "S0100", "camera_id": "FILECAM", "timezone": "Europe/Rome",
        "capture": {"min_interval_s": 30, "jpeg_quality": 70}, "opening_hours": {"daily": "08:00-20:00"},
    }))
    monkeypatch.setenv("FOOTFALL_CONFIG_FILE", str(config))
    monkeypatch.setenv("FOOTFALL_CAMERA_ID", "ENVCAM")
    monkeypatch.setenv("FOOTFALL_CAPTURE__MIN_INTERVAL_S", "5")
    monkeypatch.setenv("FOOTFALL_OPENING_HOURS", '{"daily": "10:00-18:00", "sun": "closed"}')
    s = load_settings()
    assert (s.store_id, s.camera_id, s.timezone) == ("S0100", "ENVCAM", "Europe/Rome")
    assert (s.capture.min_interval_s, s.capture.jpeg_quality) == (5, 70), "nested keys merge across layers"
    assert s.opening_hours.model_dump()["mon"] == "10:00-18:00" and s.opening_hours.model_dump()["sun"] == "closed"


def test_plain_hours_string_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOOTFALL_OPENING_HOURS", "07:30-22:00")
    assert ModuleSettings().opening_hours.model_dump()["wed"] == "07:30-22:00"


@pytest.mark.parametrize("field,value", [("store_id", "bad/id"), ("camera_id", ""), ("timezone", "Nowhere/City")])
def test_invalid_settings_are_rejected(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        ModuleSettings(**{field: value})


def test_live_config_patch_merges_nested_values_and_validates() -> None:
    base = LiveConfig(capture={"min_interval_s": 10, "jpeg_quality": 80})
    patched = base.patched({"capture": {"min_interval_s": 3}, "$version": 7})
    assert (patched.capture.min_interval_s, patched.capture.jpeg_quality) == (3, 80)
    with pytest.raises(ValueError):
        base.patched({"capture": {"min_interval_s": -1}})
    with pytest.raises(ValueError):
        base.patched({"no_such_setting": 1})


def test_deep_merge_null_removes_and_dollar_keys_are_ignored() -> None:
    merged = deep_merge({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": None}, "d": 4, "$version": 2})
    assert merged == {"a": {"c": 2}, "d": 4}


def test_under_iot_edge_the_store_is_the_device_unless_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOTEDGE_DEVICEID", "S0123")
    assert ModuleSettings().store_id == "S0123"
    config = tmp_path / "edge.json"
    config.write_text('{"store_id": "S0777"}')
    assert load_settings(config).store_id == "S0777"
    monkeypatch.setenv("FOOTFALL_STORE_ID", "S0888")
    assert ModuleSettings().store_id == "S0888"
    monkeypatch.setenv("IOTEDGE_DEVICEID", "not a store id")
    monkeypatch.delenv("FOOTFALL_STORE_ID")
    with pytest.raises(ValidationError, match="store_id"):
        ModuleSettings()
