"""Fixtures for the edge module: real footage from Debian's opencv-doc, a simulated clock, settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from edge_helpers import StepClock

from edge_module.config import ModuleSettings

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def _footage(name: str) -> Path:
    path = OPENCV_DATA / name
    if not path.is_file():
        pytest.fail(f"{path} missing: install Debian's opencv-doc (`make setup-apt`)")
    return path


@pytest.fixture(autouse=True)
def _no_footfall_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from defaults: no FOOTFALL_* or IoT Edge variables leak in from the shell."""
    for key in list(os.environ):
        if key.startswith(("FOOTFALL_", "IOTEDGE_")) or key == "IOTHUB_MODULE_CONNECTION_STRING":
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def vtest_path() -> Path:
    """``vtest.avi``: 795 frames, 768x576, 10 fps, pedestrians crossing a car park."""
    return _footage("vtest.avi")


@pytest.fixture(scope="session")
def vtest_frames(vtest_path: Path) -> list[np.ndarray]:
    """Every 15th frame of vtest.avi (53 frames): people are in most of them."""
    cap = cv2.VideoCapture(str(vtest_path))
    frames, index = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % 15 == 0:
            frames.append(frame)
        index += 1
    cap.release()
    assert len(frames) == 53
    return frames


@pytest.fixture(scope="session")
def empty_scene(vtest_frames: list[np.ndarray]) -> np.ndarray:
    """vtest.avi's car park with nobody in it: the per-pixel median over the footage."""
    return np.median(np.stack(vtest_frames), axis=0).astype(np.uint8)


@pytest.fixture(scope="session")
def messi_bgr() -> np.ndarray:
    """``messi5.jpg``: one footballer close up, crouched mid-kick (not a pedestrian pose)."""
    return cv2.imread(str(_footage("messi5.jpg")))


@pytest.fixture(scope="session")
def basketball_bgr() -> np.ndarray:
    """``basketball1.png``: basketball players standing, 640x480."""
    return cv2.imread(str(_footage("basketball1.png")))


@pytest.fixture
def step_clock() -> StepClock:
    """Monday 2026-11-23 10:00 UTC, one second per reading."""
    return StepClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., ModuleSettings]:
    """Settings for a test: buffer in tmp, no hub, fast backoff; keyword arguments override."""

    def make(**overrides: object) -> ModuleSettings:
        values: dict[str, object] = dict(
            store_id="S0042", camera_id="C07", buffer_dir=tmp_path / "buffer", use_hub="no",
            backoff_initial_s=0.2, backoff_max_s=1.0, upload_timeout_s=3.0,
            capture={"min_interval_s": 0, "whole_frames": True},
        )
        values.update(overrides)
        return ModuleSettings(**values)

    return make
