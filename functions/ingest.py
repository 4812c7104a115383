"""The heart of ``analyze_upload``: one uploaded photo in, one anonymized FrameEvent out.

:class:`UploadProcessor` is plain code, independent of the Functions runtime::

    contract check -> sent mark? (a duplicate: delete, send nothing) -> known store -> image guard
        -> face service -> anonymize -> sink.send (durable) -> sent mark -> delete (or tag) the photo

A permanent problem quarantines the photo (``quarantine/<same name>``, metadata ``reason``) and
returns normally; a transient one raises :class:`~functions.errors.TransientError` so the
Functions host retries, and the photo stays in ``uploads`` until an attempt succeeds. Once a
dependency failed ``FOOTFALL_CIRCUIT_FAILURES`` times in a row its circuit opens
(:mod:`functions.circuit`): photos are then *deferred* (left in ``uploads``, the invocation
succeeds, no attempt is spent) and the re-drive timer (:mod:`functions.redrive`) brings them back
when the dependency answers. The photo is deleted only after its event was durably sent.

:func:`get_processor` builds one processor per process from the environment, with its clients
(blob, face, event sink) created once and reused by every invocation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel

from functions.anonymize import build_event
from functions.circuit import Breakers
from functions.contracts import UploadPath, UploadPathError, utc_iso
from functions.counters import IngestCounters
from functions.errors import PermanentError, QuarantineReason, TransientError
from functions.face_client import FaceAnalyzer
from functions.image_guard import GuardLimits, prepare_image
from functions.log_fields import upload_place
from functions.settings import Settings, get_settings, use_settings
from functions.sinks import EventSink, create_sink
from functions.upload_storage import UploadStorage

log = logging.getLogger("functions.ingest")
_T = TypeVar("_T")


class ProcessOutcome(BaseModel):
    """What happened to one upload. Holds no blob name, except that ``detail`` may quote it (why a name
    broke the contract): log the status and reason, never the detail."""

    status: Literal["sent", "quarantined", "skipped", "deferred"]
    event_id: str | None = None
    face_count: int | None = None
    reason: QuarantineReason | Literal["already_processed", "already_sent", "circuit_open"] | None = None
    detail: str | None = None
    duplicate: bool = False
    elapsed_ms: float = 0.0


def blob_name_in_container(name: str, container: str) -> str:
    """The blob name without a leading ``<container>/`` (the trigger's ``name`` includes it)."""
    return name[len(container) + 1:] if name.startswith(container + "/") else name


def etag_from_properties(properties: Mapping[str, object] | None) -> str | None:
    """The etag from trigger blob properties: the Functions host sends ``ETag``, the local host
    ``Etag``; any spelling is accepted. Only a non-empty string counts: the host serializes .NET's
    ``BlobProperties``, and anything else (``{}``, ``None``) makes the caller read the blob's own."""
    for key, value in (properties or {}).items():
        if key.lower() == "etag" and isinstance(value, str) and value.strip():
            return value.strip()
    return None


class UploadProcessor:
    """Processes uploads with clients given once (see :func:`get_processor`)."""

    def __init__(
        self,
        settings: Settings,
        storage: UploadStorage,
        face: FaceAnalyzer,
        sink: EventSink,
        counters: IngestCounters | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.face = face
        self.sink = sink
        self.counters = counters or IngestCounters()
        self.breakers = Breakers(settings.circuit_failures, settings.circuit_open_s)
        self.known_stores = settings.known_store_ids()
        self.emotion_off = settings.emotion_off_store_ids() if settings.emotion_recognition else None
        self.limits = GuardLimits(
            max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels, max_side=settings.max_side,
            max_decoded_bytes=settings.max_decoded_mb * 1024 * 1024, max_jpeg_scans=settings.max_jpeg_scans,
        )

    def process(
        self,
        name: str,
        data: bytes,
        metadata: Mapping[str, str] | None = None,
        etag: str | None = None,
    ) -> ProcessOutcome:
        """Process one upload. ``name`` may carry the ``uploads/`` prefix. ``metadata`` and ``etag``
        come from the trigger; when missing they are read from the blob.

        Returns the outcome for ``sent``, ``quarantined`` and ``skipped``; raises
        :class:`TransientError` when the host should retry.
        """
        started = time.perf_counter()
        self.counters.add("invocations")
        blob = blob_name_in_container(name, self.settings.uploads_container)
        try:
            if etag is None or metadata is None:
                state = self.storage.state(blob)
                if state is None:
                    self.counters.add("skipped")
                    log.info("ingest skipped %s: the upload no longer exists (processed earlier)", upload_place(blob))
                    return ProcessOutcome(status="skipped", reason="already_processed", elapsed_ms=_ms(started))
                etag = etag or state.etag
                metadata = state.metadata if metadata is None else metadata
            try:
                outcome = self._analyse_and_send(blob, data, metadata, etag)
            except _Deferred as deferred:
                self.counters.add("deferred")
                log.warning("ingest deferred %s: the %s circuit is open; the photo stays in uploads for the re-drive",
                            upload_place(blob), deferred.dependency)
                outcome = ProcessOutcome(status="deferred", reason="circuit_open", detail=deferred.dependency)
            except PermanentError as exc:
                # The detail (which may quote the name, or the file's first bytes) is kept with the evidence only.
                self.storage.quarantine(blob, data, metadata, exc.reason, etag, exc.detail)
                self.counters.quarantined(exc.reason)
                log.warning("QUARANTINED %s reason=%s", upload_place(blob), exc.reason)
                outcome = ProcessOutcome(status="quarantined", reason=exc.reason, detail=exc.detail)
        except TransientError as exc:
            self.counters.add("transient_errors")
            log.warning("ingest retry %s: %s", upload_place(blob), exc)
            raise
        except Exception:
            self.counters.add("failed")
            raise
        outcome.elapsed_ms = _ms(started)
        log.info("ingest %s %s reason=%s event_id=%s faces=%s counters=%s", outcome.status, upload_place(blob),
                 outcome.reason, outcome.event_id, outcome.face_count,
                 self.counters.snapshot().model_dump_json(exclude={"quarantine_reasons"}))
        return outcome

    def _analyse_and_send(self, blob: str, data: bytes, metadata: Mapping[str, str], etag: str) -> ProcessOutcome:
        try:
            upload = UploadPath.parse(blob, metadata)
        except UploadPathError as exc:
            raise PermanentError("bad_path", str(exc)) from None
        event_id = upload.event_id()
        if self.storage.was_sent(event_id):
            # A re-upload of a capture whose event was durably sent (a lost acknowledgement, a late re-drive):
            # the same event, sent nothing again. The stream job's look-back is only an hour; the mark lasts
            # the whole capture-age window.
            self._done_with(blob, etag)
            self.counters.add("skipped")
            self.counters.add("duplicates")
            return ProcessOutcome(status="skipped", reason="already_sent", event_id=event_id, duplicate=True)
        if self.known_stores is not None and upload.store_id not in self.known_stores:
            raise PermanentError("unknown_store", f"store_id {upload.store_id!r} is not a known store")
        self._check_capture_time(upload)
        image = prepare_image(data, self.limits)
        attributes = self.attributes_for(upload.store_id)
        detections, analyzer = self._through("face service", lambda: (self.face.detect(image.jpeg, attributes),
                                                                      self.face.analyzer()))
        event = build_event(upload, detections, analyzer, datetime.now(UTC), exact_age=self.settings.exact_age,
                            emotion="emotion" in attributes)
        # durable when it returns; raises TransientError otherwise
        written = self._through("event sink", lambda: self.sink.send([event]))
        self.storage.mark_sent(event.event_id)  # only after the send: a failed send leaves no mark
        self._done_with(blob, etag)
        self.counters.add("sent")
        self.counters.add("faces", event.face_count)
        if written == 0:
            self.counters.add("duplicates")
        return ProcessOutcome(status="sent", event_id=event.event_id, face_count=event.face_count,
                              duplicate=written == 0)

    def _done_with(self, blob: str, etag: str) -> None:
        """Delete the upload (or tag it, ``FOOTFALL_AFTER_SUCCESS=tag``): its event is sent."""
        if self.settings.after_success == "tag":
            self.storage.mark_processed(blob)
        else:
            self.storage.delete(blob, etag)

    def attributes_for(self, store_id: str) -> list[str]:
        """The face attributes asked for a photo of ``store_id`` (no emotion where it is off)."""
        attributes = self.settings.requested_attributes
        if self.emotion_off is None or store_id in self.emotion_off:
            attributes = [a for a in attributes if a != "emotion"]
        return attributes

    def _through(self, dependency: str, call: Callable[[], _T]) -> _T:
        """``call`` the dependency through its circuit breaker; an open circuit defers the photo."""
        breaker = self.breakers[dependency]
        if not breaker.allow():
            raise _Deferred(dependency)
        try:
            result = call()
        except TransientError:
            breaker.failure()
            raise
        except PermanentError:
            breaker.success()  # it answered: the photo is at fault, not the dependency
            raise
        except BaseException:
            breaker.release()
            raise
        breaker.success()
        return result

    def _check_capture_time(self, upload: UploadPath) -> None:
        """A capture time outside the plausible window is quarantined ``implausible_time``: a camera
        clock far off, or a name made up, must not land in some other window's counts."""
        now = datetime.now(UTC)
        ahead = upload.captured_at - now
        if ahead > timedelta(seconds=self.settings.capture_max_future_s):
            raise PermanentError(
                "implausible_time", f"captured at {utc_iso(upload.captured_at)}, {_span(ahead)} in the future "
                f"(clock skew allowed: {self.settings.capture_max_future_s:g} s)",
            )
        age = now - upload.captured_at
        if age > timedelta(days=self.settings.capture_max_age_days):
            raise PermanentError(
                "implausible_time", f"captured at {utc_iso(upload.captured_at)}, {_span(age)} ago "
                f"(at most {self.settings.capture_max_age_days:g} days: FOOTFALL_CAPTURE_MAX_AGE_DAYS)",
            )

    def close(self) -> None:
        """Close every client."""
        for closer in (self.sink.close, self.face.close, self.storage.close):
            try:
                closer()
            except Exception:  # closing is best effort
                log.debug("close failed", exc_info=True)


class _Deferred(Exception):  # a control-flow signal, not an error
    def __init__(self, dependency: str) -> None:
        super().__init__(dependency)
        self.dependency = dependency


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    return f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds:.0f} s"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


_lock = threading.Lock()
_processor: UploadProcessor | None = None


def get_processor() -> UploadProcessor:
    """The process-wide processor, built on first use from :func:`get_settings`."""
    global _processor
    if _processor is None:
        with _lock:
            if _processor is None:
                settings = get_settings()
                _processor = UploadProcessor(
                    settings, UploadStorage.from_settings(settings), FaceAnalyzer(settings), create_sink(settings),
                )
    return _processor


def reset_processor(settings: Settings | None = None) -> None:
    """Close and forget the process-wide processor; the next one is built from ``settings`` (the local
    host, the demo), or from the environment read again when ``None`` (tests)."""
    global _processor
    with _lock:
        if _processor is not None:
            _processor.close()
        _processor = None
        use_settings(settings)


def counters() -> IngestCounters | None:
    """The process-wide counters, or ``None`` before the first invocation."""
    return _processor.counters if _processor is not None else None
