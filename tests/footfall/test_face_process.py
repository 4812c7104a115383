"""The face-service launcher starts the real service, waits for its models, and says why it died."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from footfall.face_process import FaceServiceProcess


def test_the_service_is_ready_when_start_returns_and_gone_after_stop(tmp_path: Path) -> None:
    with FaceServiceProcess(env={"FOOTFALL_FACE_WORKERS": "1"}, log_path=tmp_path / "face.log") as face:
        status = httpx.get(f"{face.url}/status", timeout=5)
        assert status.status_code == 200
        proc = face.proc
    assert proc.poll() is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{face.url}/status", timeout=1)


def test_a_service_that_dies_during_start_up_is_reported_with_its_log(tmp_path: Path) -> None:
    face = FaceServiceProcess(env={"FOOTFALL_FACE_WORKERS": "not-a-number"}, log_path=tmp_path / "face.log")
    with pytest.raises(RuntimeError, match="face service exited with code"):
        face.start(timeout_s=60)
