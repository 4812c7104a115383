"""The module's main loop: one store's cameras in, counts and visit crops out.

Per camera (:class:`~edge_module.pipeline.CameraPipeline`): while the store is open, every frame
(at most ``max_fps`` per second) is detected, filtered by the exclusion zones, tracked and counted;
each camera minute becomes a CountEvent in the count buffer, and each visitor (a track that
crossed an entrance line ``in``) one head-and-shoulders visit crop in the photo buffer. When the
store closes the cameras' open minutes are emitted and their tracks forgotten; outside opening
hours nothing is analysed. Optionally (``capture.whole_frames``) whole frames are photographed
too, rate-limited, with the exclusion zones painted out.

Forwarder threads empty both buffers: photos to Blob Storage, CountEvents to edgeHub (or the local
event log). One module serves all of a store's cameras (``cameras`` in the configuration), one
thread per camera: a store is one IoT Edge device with one twin, one set of opening hours, one
buffer and one upstream connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import cv2
import numpy as np
from pydantic import BaseModel

from edge_module.buffer import BufferedPhoto, PhotoBuffer
from edge_module.camera import Frame, FrameSource, StreamSource, open_source, utc_now
from edge_module.camera_credentials import load_camera_credentials
from edge_module.config import CameraConfig, LiveConfig, ModuleSettings, effective_cameras
from edge_module.counts_out import CountBuffer, CountForwarder, CountSender, EventLogCountSender, HubCountSender
from edge_module.detection import PersonDetector, build_detector
from edge_module.hub import Hub, LiveConfigManager
from edge_module.pipeline import CameraPipeline, FrameResult
from edge_module.policy import CapturePolicy, Verdict
from edge_module.telemetry import Counters, TelemetryMessage
from edge_module.uploader import BlobUploader, Forwarder
from functions.contracts import CountEvent

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
    visit_crops: int = 0
    count_events: int = 0


class _Camera:
    """One camera's state in the module: its configuration and (while open) its pipeline."""

    def __init__(self, config: CameraConfig) -> None:
        self.config = config
        self.pipeline: CameraPipeline | None = None
        self.lock = threading.Lock()


class EdgeModule:
    """A store's cameras. Construct, :meth:`start`, feed :meth:`process` or :meth:`run`, :meth:`stop`."""

    def __init__(
        self,
        settings: ModuleSettings,
        *,
        hub: Hub | None = None,
        uploader: BlobUploader | None = None,
        count_sender: CountSender | None = None,
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
        self.live: LiveConfig = base
        self.cameras: dict[str, _Camera] = {
            c.id: _Camera(c) for c in effective_cameras(base, settings.camera_id, settings.source)
        }
        self.config = LiveConfigManager(base, self.hub, self._reconfigure)
        self.forwarder = Forwarder(
            self.buffer, uploader or BlobUploader.from_settings(settings), self.counters,
            settings.backoff_initial_s, settings.backoff_max_s,
        )
        self.count_buffer = CountBuffer(settings.buffer_dir / "counts", base.buffer.max_age_s)
        if count_sender is None and self.hub.client is not None:
            count_sender = HubCountSender(self.hub.client, settings.counts_output)
        elif count_sender is None and settings.counts_event_log is not None:
            count_sender = EventLogCountSender(settings.counts_event_log)
        self.count_forwarder = CountForwarder(self.count_buffer, count_sender, self.counters,
                                              settings.backoff_initial_s, settings.backoff_max_s)
        self._detector_lock = threading.Lock()
        self._stopping = threading.Event()
        self._telemetry_thread: threading.Thread | None = None

    # -- configuration ---------------------------------------------------------------------------

    def _reconfigure(self, live: LiveConfig) -> None:
        """Apply a new live config (called from the twin patch thread).

        A detector that cannot be built (a missing ONNX file, say) raises before anything
        changes, so the twin manager reports the patch as rejected and the old config stays.
        Changed cameras, trackers or counting rules close the affected pipelines (their open
        minute is emitted) and start afresh with the next frame.
        """
        detector = build_detector(live.detector) if live.detector != self.live.detector else None
        if live.storage_sas_token != self.live.storage_sas_token and self.settings.storage_connection_string is None:
            # A renewed SAS (the store's, from its twin): later uploads use it; a failed one is retried.
            old, self.forwarder.uploader = self.forwarder.uploader, BlobUploader.from_settings(
                self.settings.model_copy(update={"storage_sas_token": live.storage_sas_token}))
            old.close()
        cameras = effective_cameras(live, self.settings.camera_id, self.settings.source)
        rules_changed = (live.tracker, live.counting, live.capture) != (
            self.live.tracker, self.live.counting, self.live.capture)
        self.live = live
        self.policy.update(live)
        self.buffer.set_limits(live.buffer)
        if detector is not None:
            with self._detector_lock:
                self.detector = detector
        wanted = {c.id: c for c in cameras}
        for camera_id in list(self.cameras):
            state = self.cameras[camera_id]
            if camera_id not in wanted or wanted[camera_id] != state.config or rules_changed or detector:
                self._close_camera(state, self.clock())
                if camera_id not in wanted:
                    del self.cameras[camera_id]
                else:
                    state.config = wanted[camera_id]
        for camera_id, config in wanted.items():
            self.cameras.setdefault(camera_id, _Camera(config))

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> EdgeModule:
        """Read the twin, then start uploading what the buffers hold (from earlier runs too) and
        sending telemetry every ``telemetry_interval_s`` (also while the cameras deliver nothing)."""
        self.config.start()
        self.forwarder.start()
        self.count_forwarder.start()
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
        """Close every camera (their open minutes and due crops are buffered), then wait up to
        ``drain_timeout_s`` for the buffers to empty. What is left stays on disk for the next start."""
        now = self.clock()
        for state in self.cameras.values():
            self._close_camera(state, now)
        self.count_forwarder.stop(drain_timeout_s)
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

    def process(self, frame: Frame, camera_id: str | None = None) -> BufferedPhoto | None:
        """Look at one frame of a camera (default: the first); returns the last photo it buffered, if any."""
        state = self.cameras[camera_id] if camera_id else next(iter(self.cameras.values()))
        self.counters.add(frames_seen=1)
        now = frame.captured_at
        with state.lock:
            if not self.policy.store_clock_open(now):
                self._close_camera(state, now, locked=True)  # closing time: emit the minute, forget the tracks
                return None
            pipeline = self._pipeline(state, frame.image)
            result = pipeline.process(frame.image, now)
            self.counters.detected(result.detect_seconds)
            photo = self._keep(result, state.config.id)
            if self.live.capture.whole_frames and result.detected:
                photo = self._whole_frame(result, state.config.id, now) or photo
        return photo

    def _pipeline(self, state: _Camera, image: np.ndarray) -> CameraPipeline:
        height, width = image.shape[:2]
        if state.pipeline is not None and state.pipeline.size != (width, height):
            self._close_camera(state, None, locked=True)
        if state.pipeline is None:
            with self._detector_lock:
                detector = self.detector
            capture = self.live.capture
            state.pipeline = CameraPipeline(
                self.settings.store_id, state.config, detector, self.live.tracker, self.live.counting, width, height,
                visit_crops=capture.visit_crops, visit_crop_after_s=capture.visit_crop_after_s,
            )
        return state.pipeline

    def _close_camera(self, state: _Camera, now: datetime | None, locked: bool = False) -> None:
        if not locked:
            with state.lock:
                return self._close_camera(state, now, locked=True)
        if state.pipeline is None:
            return None
        open_now = now is None or self.policy.store_clock_open(now)
        self._keep(state.pipeline.close(crops_allowed=open_now), state.config.id)
        state.pipeline = None
        return None

    def _keep(self, result: FrameResult, camera_id: str) -> BufferedPhoto | None:
        """Buffer what a frame produced: CountEvents, and visit crops (in opening hours only)."""
        for event in result.events:
            self._buffer_count(event)
        photo = None
        for visit in result.visits:
            photo = self.buffer.put(encode_jpeg(visit.image, self.live.capture.jpeg_quality),
                                    self.settings.store_id, camera_id, visit.captured_at, kind="visit") or photo
            self.counters.add(visit_crops=1, photos_taken=1)
        if result.visits:
            self.forwarder.wake()
        return photo

    def _buffer_count(self, event: CountEvent) -> None:
        if self.count_buffer.put(event):
            self.count_forwarder.wake()

    def _whole_frame(self, result: FrameResult, camera_id: str, now: datetime) -> BufferedPhoto | None:
        if self.policy.verdict(camera_id, now) is not Verdict.LOOK:
            return None
        self.policy.captured(camera_id, now)
        photo = self.buffer.put(encode_jpeg(result.image, self.live.capture.jpeg_quality),
                                self.settings.store_id, camera_id, now)
        self.counters.add(photos_taken=1)
        self.forwarder.wake()
        return photo

    def send_telemetry(self) -> TelemetryMessage:
        """Send (or log) one telemetry message now; also enforces the buffer caps."""
        now = self.clock()
        self.buffer.enforce_limits(now)
        self.count_buffer.enforce_age(now)
        message = TelemetryMessage.build(
            store_id=self.settings.store_id, camera_id=",".join(self.cameras) or self.settings.camera_id, now=now,
            counters=self.counters, buffered=self.buffer.count, buffer_bytes=self.buffer.size_bytes,
            dropped=self.buffer.dropped, detector=self.detector.name, counts_buffered=self.count_buffer.count,
        )
        self.hub.send_telemetry(message)
        return message

    def run(self, source: FrameSource, max_frames: int | None = None, stop: threading.Event | None = None,
            camera_id: str | None = None) -> RunSummary:
        """Process one camera's frames until the source ends, ``max_frames`` or ``stop``."""
        frames = photos = 0
        visits_before = self.counters.get("visit_crops")
        state = self.cameras[camera_id] if camera_id else next(iter(self.cameras.values()))
        live = isinstance(source, StreamSource)
        next_at = time.monotonic()
        try:
            for frame in source.frames():
                if live:  # a live camera: at most max_fps frames per second (the newest frame each time)
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at = time.monotonic() + 1.0 / state.config.max_fps
                if self.process(frame, camera_id) is not None:
                    photos += 1
                frames += 1
                if (max_frames is not None and frames >= max_frames) or (stop is not None and stop.is_set()):
                    break
        finally:
            source.close()
        return RunSummary(
            frames=frames, photos=photos, uploaded=self.counters.get("uploaded"), buffered=self.buffer.count,
            dropped=self.buffer.dropped, visit_crops=self.counters.get("visit_crops") - visits_before,
            count_events=self.count_buffer.count + self.counters.get("counts_sent"),
        )

    def run_all(self, stop: threading.Event, step: int = 1, max_frames: int | None = None) -> list[RunSummary]:
        """Every camera from its own source, one thread each, until the sources end or ``stop``."""
        summaries: dict[str, RunSummary] = {}

        def one(camera: CameraConfig) -> None:
            source = open_source(camera.source, clock=self.clock, step=step, credential=lambda: load_camera_credentials(
                self.settings.camera_credentials_file).for_camera(camera.id))
            def close_on_stop() -> None:
                stop.wait()
                source.close()

            threading.Thread(target=close_on_stop, daemon=True).start()
            try:
                summaries[camera.id] = self.run(source, max_frames=max_frames, stop=stop, camera_id=camera.id)
            except Exception:
                log.exception("camera %s failed", camera.id)

        threads = [threading.Thread(target=one, args=(s.config,), name=f"camera-{s.config.id}", daemon=True)
                   for s in self.cameras.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return list(summaries.values())
