"""Camera input: an RTSP/HTTP stream, a video file or a device through OpenCV, or a folder of frames.

Every source yields :class:`Frame` objects stamped with the time they were read, taken from an
injectable clock (UTC), so tests can replay footage on a simulated timeline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge_module.camera_credentials import CameraCredential, redact, with_credentials

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Frame:
    """One camera frame (BGR ``uint8``) and when it was captured."""

    image: np.ndarray
    captured_at: datetime
    index: int


class FrameSource(Protocol):
    """Anything that yields frames until it ends or :meth:`close` is called."""

    def frames(self) -> Iterator[Frame]:
        """The frames, in order."""
        ...

    def close(self) -> None:
        """Stop reading and release the device or stream."""
        ...


class FolderSource:
    """Image files of a folder in name order (for tests and for replaying captured stills)."""

    def __init__(self, folder: Path, clock: Clock = utc_now) -> None:
        self.folder = Path(folder)
        self.clock = clock
        self._closed = threading.Event()

    def frames(self) -> Iterator[Frame]:
        """Each readable image once; unreadable files are logged and skipped."""
        paths = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for index, path in enumerate(paths):
            if self._closed.is_set():
                return
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("skipping %s: not a readable image", path)
                continue
            yield Frame(image=image, captured_at=self.clock(), index=index)

    def close(self) -> None:
        """Stop after the current frame."""
        self._closed.set()


class VideoFileSource:
    """A video file, read frame by frame; ``step`` keeps every ``step``-th frame."""

    def __init__(self, path: str, clock: Clock = utc_now, step: int = 1) -> None:
        self.path = path
        self.clock = clock
        self.step = max(1, step)
        self._closed = threading.Event()

    def frames(self) -> Iterator[Frame]:
        """The file's frames until its end."""
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            raise OSError(f"cannot open video {self.path}")
        try:
            index = 0
            while not self._closed.is_set():
                ok, image = cap.read()
                if not ok:
                    return
                yield Frame(image=image, captured_at=self.clock(), index=index)
                index += 1
                for _ in range(self.step - 1):
                    if not cap.grab():
                        return
        finally:
            cap.release()

    def close(self) -> None:
        """Stop after the current frame."""
        self._closed.set()


class StreamSource:
    """A live stream (RTSP, HTTP MJPEG, device index): always hands out the newest frame.

    A reader thread keeps draining the stream so that detection, which is slower than the
    camera, never works on stale buffered frames. A lost stream is reopened with backoff.
    """

    def __init__(
        self, url: str, clock: Clock = utc_now, reconnect_max_s: float = 30.0,
        credential: Callable[[], CameraCredential | None] | None = None,
    ) -> None:
        self.url = url
        self.name = redact(url)
        self.credential = credential or (lambda: None)
        self.clock = clock
        self.reconnect_max_s = reconnect_max_s
        self._closed = threading.Event()
        self._fresh = threading.Condition()
        self._latest: np.ndarray | None = None
        self._thread: threading.Thread | None = None

    def _open(self) -> cv2.VideoCapture:
        # The credential is looked up at every (re)connect: a changed password applies at the next one.
        target: str | int = int(self.url) if self.url.isdigit() else with_credentials(self.url, self.credential())
        return cv2.VideoCapture(target)

    def _read_forever(self) -> None:
        delay = 1.0
        while not self._closed.is_set():
            cap = self._open()
            if not cap.isOpened():
                log.warning("camera %s unavailable; retrying in %.0f s", self.name, delay)
                self._closed.wait(delay)
                delay = min(delay * 2, self.reconnect_max_s)
                continue
            log.info("camera %s opened", self.name)
            delay = 1.0
            while not self._closed.is_set():
                ok, image = cap.read()
                if not ok:
                    log.warning("camera %s stopped delivering frames; reconnecting", self.name)
                    break
                with self._fresh:
                    self._latest = image
                    self._fresh.notify_all()
            cap.release()

    def frames(self) -> Iterator[Frame]:
        """The newest frame each time the consumer asks, until :meth:`close`."""
        self._thread = threading.Thread(target=self._read_forever, name="camera-reader", daemon=True)
        self._thread.start()
        index = 0
        while not self._closed.is_set():
            with self._fresh:
                self._fresh.wait_for(lambda: self._latest is not None or self._closed.is_set(), timeout=1.0)
                image, self._latest = self._latest, None
            if image is None:
                continue
            yield Frame(image=image, captured_at=self.clock(), index=index)
            index += 1

    def close(self) -> None:
        """Stop the reader thread."""
        self._closed.set()
        with self._fresh:
            self._fresh.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)


def open_source(
    source: str, clock: Clock = utc_now, step: int = 1,
    credential: Callable[[], CameraCredential | None] | None = None,
) -> FrameSource:
    """The right source for ``source``: a folder, a stream URL or device index, or a video file.

    ``credential`` gives a stream's user name and password at each connect (the device's camera
    credentials file); the URL itself carries none.
    """
    if source.lower().startswith(STREAM_PREFIXES) or source.isdigit():
        return StreamSource(source, clock=clock, credential=credential)
    path = Path(source)
    if path.is_dir():
        return FolderSource(path, clock=clock)
    if path.is_file():
        return VideoFileSource(str(path), clock=clock, step=step)
    raise FileNotFoundError(f"camera source {redact(source)!r} is neither a stream URL, a device, a folder nor a file")

