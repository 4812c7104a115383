"""Counters that make ingest add up: uploads = events sent + quarantined + pending + duplicates.

One :class:`IngestCounters` per process, updated by every invocation and logged with it; the
local trigger host can read :meth:`IngestCounters.snapshot` directly. Every change is also recorded
on the OpenTelemetry instruments of :mod:`functions.telemetry` (Azure Monitor in the cloud).
"""

from __future__ import annotations

import threading
from collections import Counter

from pydantic import BaseModel, Field

from functions.telemetry import ingest_metrics


class CountersSnapshot(BaseModel):
    """A consistent copy of the counters at one moment."""

    invocations: int = 0
    sent: int = Field(default=0, description="photos whose event was sent (first time or again on retry)")
    duplicates: int = Field(
        default=0, description="uploads of an event already sent, none sent again: its sent mark existed (counted in "
        "``skipped`` too), or the local sink already had the event_id (counted in ``sent`` too)",
    )
    faces: int = 0
    quarantined: int = 0
    skipped: int = Field(default=0, description="triggers that sent nothing: the blob was already gone (processed "
                         "earlier), or its event's sent mark existed (a duplicate)")
    deferred: int = Field(default=0, description="photos left in uploads because a dependency's circuit was open")
    transient_errors: int = Field(default=0, description="invocations that raised for the host to retry")
    failed: int = Field(default=0, description="invocations that raised an unexpected error")
    quarantine_reasons: dict[str, int] = Field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        """Invocations started but not finished."""
        finished = self.sent + self.quarantined + self.skipped + self.deferred + self.transient_errors + self.failed
        return self.invocations - finished


class IngestCounters:
    """Thread-safe ingest counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        """Increase one counter (a field of :class:`CountersSnapshot`)."""
        if name not in CountersSnapshot.model_fields or name == "quarantine_reasons":
            raise KeyError(name)
        with self._lock:
            self._counts[name] += amount
        ingest_metrics().count(name, amount)

    def quarantined(self, reason: str) -> None:
        """Count one quarantined photo and its reason."""
        with self._lock:
            self._counts["quarantined"] += 1
            self._reasons[reason] += 1
        ingest_metrics().quarantine(reason)

    def snapshot(self) -> CountersSnapshot:
        """A copy of the counters."""
        with self._lock:
            return CountersSnapshot(**self._counts, quarantine_reasons=dict(self._reasons))

    def reset(self) -> None:
        """Zero everything (tests, or the local host between runs)."""
        with self._lock:
            self._counts.clear()
            self._reasons.clear()
