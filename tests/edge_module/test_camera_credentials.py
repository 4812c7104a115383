"""Camera passwords stay on the device: added to a stream URL only when it is opened, never logged or reported."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from edge_module import camera
from edge_module.camera import StreamSource, open_source
from edge_module.camera_credentials import (
    CameraCredential,
    has_password,
    load_camera_credentials,
    redact,
    with_credentials,
)
from edge_module.config import LiveConfig

SECRET = "p@ss:w/rd#1"


@pytest.fixture
def credentials_file(tmp_path: Path) -> Path:
    path = tmp_path / "cameras.json"
    path.write_text(json.dumps({"C01": {"username": "door", "password": SECRET},
                                "*": {"username": "viewer", "password": "shared"}}))
    return path


def test_a_camera_gets_its_own_entry_else_the_default(credentials_file: Path) -> None:
    creds = load_camera_credentials(credentials_file)
    assert creds.for_camera("C01").username == "door"
    assert creds.for_camera("C07").username == "viewer"
    assert load_camera_credentials(None).for_camera("C01") is None
    assert load_camera_credentials(credentials_file.parent / "absent.json").for_camera("C01") is None


def test_credentials_are_percent_encoded_into_stream_urls_only() -> None:
    cred = CameraCredential(username="door", password=SECRET)
    url = with_credentials("rtsp://10.20.1.11:554/stream1", cred)
    assert url == "rtsp://door:p%40ss%3Aw%2Frd%231@10.20.1.11:554/stream1"
    assert has_password(url) and not has_password("rtsp://10.20.1.11:554/stream1")
    assert with_credentials("/data/video.mp4", cred) == "/data/video.mp4"
    assert with_credentials("0", cred) == "0"
    assert with_credentials("rtsp://own:pw@10.0.0.1/s", cred) == "rtsp://own:pw@10.0.0.1/s", "a URL's own user wins"


def test_redacted_urls_keep_the_user_and_hide_the_password() -> None:
    assert redact("rtsp://door:secret@10.20.1.11:554/stream1") == "rtsp://door:***@10.20.1.11:554/stream1"
    assert redact("rtsp://10.20.1.11/stream1") == "rtsp://10.20.1.11/stream1"


def test_reported_config_never_carries_a_password() -> None:
    live = LiveConfig.model_validate({"cameras": [{"id": "C01", "source": f"rtsp://door:{SECRET}@10.0.0.1/s"}]})
    assert SECRET not in json.dumps(live.reported())


class Recorder:
    """Stands in for cv2.VideoCapture: records what it was asked to open, opens nothing."""

    opened: list[Any] = []

    def __init__(self, target: Any) -> None:
        Recorder.opened.append(target)

    def isOpened(self) -> bool:
        return False


def test_a_stream_is_opened_with_the_password_read_at_connect_and_logged_without_it(
    credentials_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(camera.cv2, "VideoCapture", Recorder)
    Recorder.opened = []
    source = open_source("rtsp://10.20.1.11:554/stream1",
                         credential=lambda: load_camera_credentials(credentials_file).for_camera("C01"))
    assert isinstance(source, StreamSource)
    with caplog.at_level(logging.WARNING, logger="edge_module.camera"):
        reader = threading.Thread(target=source._read_forever)  # the reader thread: connect, fail, wait, retry
        reader.start()
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
        source.close()
        reader.join(timeout=5)
    assert Recorder.opened[0] == "rtsp://door:p%40ss%3Aw%2Frd%231@10.20.1.11:554/stream1"
    assert "camera rtsp://10.20.1.11:554/stream1 unavailable" in caplog.text
    assert "p%40ss" not in caplog.text and SECRET not in caplog.text
    # A password changed on the device applies at the next connect.
    credentials_file.write_text(json.dumps({"C01": {"username": "door", "password": "new"}}))
    source._open()
    assert Recorder.opened[-1] == "rtsp://door:new@10.20.1.11:554/stream1"
