"""Counters of what the module did, and the telemetry message built from them."""

from __future__ import annotations

import json
import threading
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from functions.contracts import utc_iso

TELEMETRY_SCHEMA = "footfall.edge.telemetry.v1"


class Counters:
    """Thread-safe running totals since the module started."""

    FIELDS = ("frames_seen", "frames_analysed", "photos_taken", "uploaded", "upload_failures", "visit_crops",
              "counts_sent", "count_send_failures")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(self.FIELDS, 0)
        self._detect_seconds = 0.0
        self._window_frames = 0
        self._window_seconds = 0.0

    def add(self, **increments: int) -> None:
        """Add to named counters."""
        with self._lock:
            for key, value in increments.items():
                if key not in self._values:
                    raise KeyError(key)
                self._values[key] += value

    def detected(self, seconds: float) -> None:
        """One frame went through the detector in ``seconds``."""
        with self._lock:
            self._values["frames_analysed"] += 1
            self._detect_seconds += seconds
            self._window_frames += 1
            self._window_seconds += seconds

    def get(self, key: str) -> int:
        """One counter's value."""
        with self._lock:
            return self._values[key]

    def take_fps(self) -> float | None:
        """Detector frames per second of detector time since the last call (``None`` if idle)."""
        with self._lock:
            frames, seconds = self._window_frames, self._window_seconds
            self._window_frames, self._window_seconds = 0, 0.0
        return round(frames / seconds, 2) if frames and seconds > 0 else None

    def snapshot(self) -> dict[str, int]:
        """All counters."""
        with self._lock:
            return dict(self._values)


class TelemetryMessage(BaseModel):
    """What the module sends to its ``telemetry`` output (totals since start, plus buffer state)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: str = TELEMETRY_SCHEMA
    store_id: str
    camera_id: str
    sent_at: str
    photos_taken: int
    photos_uploaded: int
    photos_buffered: int
    buffer_bytes: int
    photos_dropped: int
    upload_failures: int
    frames_seen: int
    frames_analysed: int
    detector: str
    detector_fps: float | None
    visit_crops: int = 0
    counts_sent: int = 0
    counts_buffered: int = 0
    count_send_failures: int = 0

    @classmethod
    def build(
        cls, *, store_id: str, camera_id: str, now: datetime, counters: Counters, buffered: int,
        buffer_bytes: int, dropped: int, detector: str, counts_buffered: int = 0,
    ) -> TelemetryMessage:
        """A message from the counters (resets the fps window)."""
        c = counters.snapshot()
        return cls(
            store_id=store_id, camera_id=camera_id, sent_at=utc_iso(now), photos_taken=c["photos_taken"],
            photos_uploaded=c["uploaded"], photos_buffered=buffered, buffer_bytes=buffer_bytes,
            photos_dropped=dropped, upload_failures=c["upload_failures"], frames_seen=c["frames_seen"],
            frames_analysed=c["frames_analysed"], detector=detector, detector_fps=counters.take_fps(),
            visit_crops=c["visit_crops"], counts_sent=c["counts_sent"], counts_buffered=counts_buffered,
            count_send_failures=c["count_send_failures"],
        )

    def to_json(self) -> str:
        """Compact JSON with ``schema`` as the key."""
        data = self.model_dump()
        data["schema"] = data.pop("schema_")


        return json.dumps(data, separators=(",", ":"))
