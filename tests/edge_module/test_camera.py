"""Camera sources: a folder of frames, a video file, and a live HTTP stream on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from edge_helpers import StepClock

from edge_module.camera import FolderSource, StreamSource, VideoFileSource, open_source


class _QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A camera reader hangs up mid-stream when a test closes it: not an error worth a traceback.
        pass


@pytest.fixture
def http_footage(vtest_path: Path) -> Iterator[str]:
    """vtest.avi served over HTTP on a free loopback port (what an HTTP camera endpoint looks like to OpenCV)."""
    handler = functools.partial(_QuietFileHandler, directory=str(vtest_path.parent))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{vtest_path.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_source_kind_follows_the_setting(tmp_path: Path, vtest_path: Path) -> None:
    assert isinstance(open_source(str(tmp_path)), FolderSource)
    assert isinstance(open_source(str(vtest_path)), VideoFileSource)
    assert isinstance(open_source("rtsp://127.0.0.1:8554/stream1"), StreamSource)
    assert isinstance(open_source("http://127.0.0.1:8081/mjpg"), StreamSource)
    assert isinstance(open_source("0"), StreamSource)
    with pytest.raises(FileNotFoundError):
        open_source(str(tmp_path / "missing.avi"))


def test_folder_source_reads_images_in_name_order_and_skips_junk(tmp_path: Path, step_clock: StepClock) -> None:
    for i, name in enumerate(["b.png", "a.jpg", "c.jpg"]):
        cv2.imwrite(str(tmp_path / name), np.full((40, 60, 3), i * 50, np.uint8))
    (tmp_path / "d.jpg").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    frames = list(FolderSource(tmp_path, clock=step_clock).frames())
    assert [int(f.image[0, 0, 0]) for f in frames] == [50, 0, 100]  # a, b, c
    assert frames[1].captured_at - frames[0].captured_at == step_clock.step


def test_video_file_source_steps_through_frames(vtest_path: Path, step_clock: StepClock) -> None:
    frames = list(VideoFileSource(str(vtest_path), clock=step_clock, step=100).frames())
    assert len(frames) == 8  # 795 frames, every 100th
    assert frames[0].image.shape == (576, 768, 3)


def test_stream_source_delivers_live_frames_over_http(http_footage: str, step_clock: StepClock) -> None:
    source = StreamSource(http_footage, clock=step_clock)
    got = []
    for frame in source.frames():
        got.append(frame)
        if len(got) == 5:
            source.close()
    assert len(got) == 5 and got[0].image.shape == (576, 768, 3)
    assert [f.index for f in got] == [0, 1, 2, 3, 4]


def test_stream_source_keeps_retrying_an_unreachable_camera(
    step_clock: StepClock, caplog: pytest.LogCaptureFixture,
) -> None:
    from footfall.azurite import free_port

    source = StreamSource(f"http://127.0.0.1:{free_port()}/nothing.mjpg", clock=step_clock)
    frames = source.frames()
    timer = threading.Timer(2.5, source.close)
    timer.start()
    with caplog.at_level("WARNING", logger="edge_module.camera"):
        assert list(frames) == [], "no frame, no exception: it waits for the camera"
    timer.join()
    retries = [r.getMessage() for r in caplog.records if "unavailable; retrying" in r.getMessage()]
    assert len(retries) >= 2 and "retrying in 1 s" in retries[0] and "retrying in 2 s" in retries[1]
