"""The module's main loop: frames in, policy, detector, buffer; a forwarder thread uploads."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Callable

import cv2
import numpy as np
from pydantic import BaseModel

from edge_module.buffer import BufferedPhoto, PhotoBuffer
from edge_module.camera import Frame, FrameSource, utc_now
from edge_module.config import LiveConfig, ModuleSettings
from edge_module.detection import PersonDetector, build_detector
from edge_module.hub import Hub, LiveConfigManager
from edge_module.policy import CapturePolicy, Verdict
from edge_module.telemetry import Counters, TelemetryMessage
from edge_module.uploader import BlobUploader, Forwarder

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 6 * 1024 * 1024
"""The upload contract's (and the Face API's) limit."""


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes within the 6 MB upload limit (quality is lowered until it fits)."""
    q = quality
    while True:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:
            raise ValueError("JPEG encoding failed")
        if buf.nbytes <= MAX_PHOTO_BYTES or q <= 30:
            return buf.tobytes()
        q -= 15


class RunSummary(BaseModel):
    """What one :meth:`EdgeModule.run` did."""

    frames: int
    photos: int
    uploaded: int
    buffered: int
    dropped: int


class EdgeModule:
    """One camera's pipeline. Construct, :meth:`start`, feed :meth:`process` or :meth:`run`, :meth:`stop`."""

    def __init__(
        self,
        settings: ModuleSettings,
        *,
        hub: Hub | None = None,
        uploader: BlobUploader | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.hub = hub or Hub(None, settings.telemetry_output)
        self.counters = Counters()
        base = settings.live()
        self.policy = CapturePolicy(base)
        self.buffer = PhotoBuffer(settings.buffer_dir, base.buffer)
        self.detector: PersonDetector = build_detector(base.detector)
        self.config = LiveConfigManager(base, self.hub, self._reconfigure)
        self.live: LiveConfig = base
        self.forwarder = Forwarder(
            self.buffer, uploader or BlobUploader.from_settings(settings), self.counters,
            settings.backoff_initial_s, settings.backoff_max_s,
        )
        self._detector_lock = threading.Lock()
        self._stopping = threading.Event()
        self._telemetry_thread: threading.Thread | None = None

    # -- configuration ---------------------------------------------------------------------------

    def _reconfigure(self, live: LiveConfig) -> None:
        """Apply a new live config (called from the twin patch thread).

        A detector that cannot be built (a missing ONNX file, say) raises before anything
        changes, so the twin manager reports the patch as rejected and the old config stays.
        """
        detector = build_detector(live.detector) if live.detector != self.live.detector else None
        self.live = live
        self.policy.update(live)
        self.buffer.set_limits(live.buffer)
        if detector is not None:
            with self._detector_lock:
                self.detector = detector

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "EdgeModule":
        """Read the twin, then start uploading what the buffer holds (from earlier runs too) and
        sending telemetry every ``telemetry_interval_s`` (also while the camera delivers nothing)."""
        self.config.start()
        self.forwarder.start()
        self._stopping.clear()
        self._telemetry_thread = threading.Thread(target=self._telemetry_loop, name="telemetry", daemon=True)
        self._telemetry_thread.start()
        return self

    def _telemetry_loop(self) -> None:
        while not self._stopping.wait(self.live.telemetry_interval_s):
            try:
                self.send_telemetry()
            except Exception:  # telemetry must never take the module down
                log.exception("telemetry failed")

    def stop(self, drain_timeout_s: float = 0.0) -> None:
        """Stop; first wait up to ``drain_timeout_s`` for the buffer to empty. Photos left stay on disk."""
        deadline = time.monotonic() + drain_timeout_s
        while self.buffer.count and time.monotonic() < deadline:
            time.sleep(0.1)
        self._stopping.set()
        if self._telemetry_thread is not None:
            self._telemetry_thread.join(5)
        self.forwarder.stop()
        self.forwarder.uploader.close()
        self.send_telemetry()

    # -- per frame ---------------------------------------------------------------------------------

    def process(self, frame: Frame) -> BufferedPhoto | None:
        """Look at one frame; returns the photo buffered for it, if one was taken."""
        self.counters.add(frames_seen=1)
        camera = self.settings.camera_id
        now = frame.captured_at
        if self.policy.verdict(camera, now) is not Verdict.LOOK:
            return None
        with self._detector_lock:
            detector = self.detector
        t0 = time.perf_counter()
        people = detector.detect(frame.image)
        self.counters.detected(time.perf_counter() - t0)
        if not people:
            return None
        self.policy.captured(camera, now)
        photo = self.buffer.put(
            encode_jpeg(frame.image, self.live.capture.jpeg_quality), self.settings.store_id, camera, now,
        )
        self.counters.add(photos_taken=1)
        log.debug("frame %d: %d person(s); buffered %s", frame.index, len(people), photo and photo.path.name)
        self.forwarder.wake()
        return photo

    def send_telemetry(self) -> TelemetryMessage:
        """Send (or log) one telemetry message now; also enforces the buffer caps."""
        self.buffer.enforce_limits(self.clock())
        message = TelemetryMessage.build(
            store_id=self.settings.store_id, camera_id=self.settings.camera_id, now=self.clock(),
            counters=self.counters, buffered=self.buffer.count, buffer_bytes=self.buffer.bytes,
            dropped=self.buffer.dropped, detector=self.detector.name,
        )
        self.hub.send_telemetry(message)
        return message

    def run(self, source: FrameSource, max_frames: int | None = None, stop: threading.Event | None = None) -> RunSummary:
        """Process frames until the source ends, ``max_frames`` or ``stop``."""
        frames = photos = 0
        try:
            for frame in source.frames():
                if self.process(frame) is not None:
                    photos += 1
                frames += 1
                if (max_frames is not None and frames >= max_frames) or (stop is not None and stop.is_set()):
                    break
        finally:
            source.close()
        return RunSummary(
            frames=frames, photos=photos, uploaded=self.counters.get("uploaded"), buffered=self.buffer.count,
            dropped=self.buffer.dropped,
        )
