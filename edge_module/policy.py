"""The capture policy: a photo when a person is seen, only while the store is open, and at most
one per ``min_interval_s`` per camera."""

from __future__ import annotations

import threading
from datetime import datetime
from enum import StrEnum

from edge_module.config import LiveConfig


class Verdict(StrEnum):
    """Why a frame was or was not photographed."""

    CLOSED = "closed"
    RATE_LIMITED = "rate-limited"
    LOOK = "look"


class CapturePolicy:
    """Decides whether a frame is worth running the detector on, and remembers captures.

    Checking the hours and the rate limit *before* detection saves the CPU the detector would
    spend on frames that could not be photographed anyway.
    """

    def __init__(self, config: LiveConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._clock = config.store_clock
        self._last: dict[str, datetime] = {}

    def update(self, config: LiveConfig) -> None:
        """Apply a new live configuration (from a twin patch); capture history is kept."""
        with self._lock:
            self._config = config
            self._clock = config.store_clock

    def verdict(self, camera_id: str, now: datetime) -> Verdict:
        """``CLOSED`` outside opening hours, ``RATE_LIMITED`` too soon after the last photo, else ``LOOK``."""
        with self._lock:
            if not self._clock.is_open(now):
                return Verdict.CLOSED
            last = self._last.get(camera_id)
            if last is not None and (now - last).total_seconds() < self._config.capture.min_interval_s:
                return Verdict.RATE_LIMITED
            return Verdict.LOOK

    def store_clock_open(self, now: datetime) -> bool:
        """Whether the store is open at ``now`` (nothing is analysed while it is closed)."""
        with self._lock:
            return self._clock.is_open(now)

    def captured(self, camera_id: str, at: datetime) -> None:
        """Record that a photo was taken at ``at``."""
        with self._lock:
            self._last[camera_id] = at
