"""The re-drive: photos left in ``uploads`` are written again once the dependencies answer.

A photo can stay in ``uploads`` without an event for three reasons, none of them its fault:

* it was *deferred* while a circuit was open (:mod:`functions.circuit`);
* it used up its attempts (``poisonBlobThreshold``) before the circuit opened: the Functions host
  then puts a message on the ``webjobs-blobtrigger-poison`` queue and never triggers that blob
  version again, but the blob itself stays where it is (the local host does the same);
* its trigger was lost (an Event Grid delivery dead-lettered, a host restart).

The timer ``redrive_uploads`` (``FOOTFALL_REDRIVE_SCHEDULE``, every 5 minutes) first probes the
face service and the event sink. If either fails, it does nothing: an outage costs no re-drive.
Otherwise every photo older than ``FOOTFALL_REDRIVE_AFTER_S`` is written again in place, with the
same bytes and its metadata plus ``redrives`` (conditional on its etag, so a photo processed
meanwhile is left alone). The write is a new blob version: Event Grid (or the local host's poll)
triggers ``analyze_upload`` again, and since the event id comes from the capture, a photo whose
event was in fact sent is not counted twice. A photo re-driven ``FOOTFALL_REDRIVE_MAX`` times
while everything was healthy is quarantined ``poison``. Each run also deletes quarantined
evidence older than ``FOOTFALL_QUARANTINE_RETENTION_DAYS`` (in Azure a lifecycle rule does too).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceModifiedError, ResourceNotFoundError
from pydantic import BaseModel, Field

from functions.counters import IngestCounters
from functions.errors import TransientError
from functions.face_client import FaceAnalyzer
from functions.log_fields import storage_failure, upload_place
from functions.settings import Settings
from functions.sinks import EventSink
from functions.upload_storage import PROCESSED_TAG, UploadStorage

log = logging.getLogger("functions.redrive")

REDRIVES_KEY = "redrives"
"""Blob metadata: how many times a photo was re-driven while every dependency was healthy."""


class RedriveReport(BaseModel):
    """What one run of the re-drive did."""

    healthy: bool
    unhealthy: dict[str, str] = Field(default_factory=dict, description="dependency -> why it is not healthy")
    redriven: int = 0
    poisoned: int = 0
    waiting: int = Field(default=0, description="photos in uploads younger than redrive_after_s")
    changed_meanwhile: int = 0
    purged_quarantine: int = 0


class Redriver:
    """Runs the re-drive with the clients of the ingest function (see :func:`get_redriver`)."""

    def __init__(self, settings: Settings, storage: UploadStorage, face: FaceAnalyzer, sink: EventSink,
                 counters: IngestCounters | None = None) -> None:
        self.settings = settings
        self.storage = storage
        self.face = face
        self.sink = sink
        self.counters = counters or IngestCounters()

    def health(self) -> dict[str, str]:
        """The dependencies that do not answer now, with why (empty when all do)."""
        problems: dict[str, str] = {}
        try:
            self.face.probe()
        except TransientError as exc:
            problems["face service"] = exc.detail
        probe = getattr(self.sink, "probe", None)
        if probe is not None:
            try:
                probe()
            except TransientError as exc:
                problems["event sink"] = exc.detail
        return problems

    def run(self, now: datetime | None = None) -> RedriveReport:
        """One re-drive pass (see the module docstring)."""
        now = now or datetime.now(UTC)
        report = RedriveReport(healthy=True)
        report.purged_quarantine = self._purge_quarantine(now)
        problems = self.health()
        if problems:
            report.healthy, report.unhealthy = False, problems
            log.warning("re-drive skipped: %s", "; ".join(f"{k}: {v}" for k, v in problems.items()))
            return report
        cutoff = now - timedelta(seconds=self.settings.redrive_after_s)
        try:
            blobs = list(self.storage.uploads.list_blobs(include=["metadata", "tags"]))
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("list uploads", exc)) from None
        for blob in sorted(blobs, key=lambda b: b.last_modified):
            if (blob.tags or {}) == PROCESSED_TAG:
                continue  # FOOTFALL_AFTER_SUCCESS=tag: processed, kept on purpose
            if blob.last_modified > cutoff:
                report.waiting += 1
                continue
            if report.redriven + report.poisoned >= self.settings.redrive_batch:
                break
            self._redrive(blob.name, blob.etag, dict(blob.metadata or {}), report)
        log.info("re-drive: %s", report.model_dump_json())
        return report

    def _redrive(self, name: str, etag: str, metadata: dict[str, str], report: RedriveReport) -> None:
        client = self.storage.uploads.get_blob_client(name)
        try:
            data = client.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified).readall()
            redrives = _count(metadata.get(REDRIVES_KEY))
            if redrives >= self.settings.redrive_max:
                self.storage.quarantine(
                    name, data, metadata, "poison", etag,
                    f"no event after {redrives} re-drives while the face service and the event sink answered",
                )
                report.poisoned += 1
                self.counters.quarantined("poison")
                log.warning("QUARANTINED %s reason=poison after %d re-drives", upload_place(name), redrives)
                return
            client.upload_blob(data, overwrite=True, metadata={**metadata, REDRIVES_KEY: str(redrives + 1)},
                               etag=etag, match_condition=MatchConditions.IfNotModified)
            report.redriven += 1
        except (ResourceNotFoundError, ResourceModifiedError):
            report.changed_meanwhile += 1  # processed or replaced since it was listed: nothing to do
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure(f"re-drive ({upload_place(name)})", exc)) from None

    def _purge_quarantine(self, now: datetime) -> int:
        cutoff = now - timedelta(days=self.settings.quarantine_retention_days)
        purged = 0
        try:
            for blob in self.storage.quarantine_container.list_blobs():
                if blob.creation_time is not None and blob.creation_time < cutoff:
                    self.storage.quarantine_container.delete_blob(blob.name)
                    purged += 1
        except ResourceNotFoundError:
            return purged  # no quarantine container yet
        except AzureError as exc:
            log.warning("quarantine retention: %s", storage_failure("purge", exc))
        return purged


def _count(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


_lock = threading.Lock()
_redriver: Redriver | None = None


def get_redriver() -> Redriver:
    """The process-wide re-drive, sharing the ingest function's clients."""
    global _redriver
    from functions.ingest import get_processor

    processor = get_processor()
    with _lock:
        if _redriver is None or _redriver.storage is not processor.storage:
            _redriver = Redriver(processor.settings, processor.storage, processor.face, processor.sink,
                                 processor.counters)
        return _redriver
