"""The counts relay: each CountEvent reaches the stream job once, however late a copy of it comes.

CountEvents leave a store through edgeHub and IoT Hub, and both deliver at least once: edgeHub sends a
message again when IoT Hub's acknowledgement was lost, and keeps it up to a week while the store is
offline; IoT Hub's routing retries too. A copy can therefore arrive hours or days after the original.
The stream job drops an event id it saw within the last hour (``LAG(event_id)`` in the generated
query), but an hour of ids is all one job can keep (14.4 M count ids a day for 1,000 stores), so a copy
that comes later would be counted again, as visitors who never came.

So IoT Hub routes CountEvents to a hub of their own (``footfall-counts-raw``), and ``relay_counts``
(``functions/blueprints/counts.py``) forwards each batch to the hub the job reads (``footfall-counts``)
with the same **sent marks** the ingest function uses for photos: an event whose mark exists in the
``sent`` container (``counts/{event_id}``) was forwarded before and is dropped; the others are sent
durably and only then marked. When the marks cannot be written after a send (storage down), the relay
remembers the events it sent: the retried batch (the trigger retries in the same instance until it
succeeds) marks them without sending them again, however long the storage outage lasts. What is left
is an instance that dies between a send and its marks: the next one sends those events again, and the
job's one-hour dedupe drops the copy unless storage stayed down longer than that. Two instances that
both take a batch during a partition rebalance may both send it, seconds apart, which the job's dedupe
drops too. Marks live at least 14 days (``infra/terraform/storage.tf``), longer than edgeHub keeps a
message plus the raw hub's retention, so a copy never outlives its original's mark (``tests/infra``
checks it). A body that is not a valid CountEvent is dropped, counted and logged with the error type
only (never its content, nor the names of fields it made up); the job would drop it too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from functions.contracts import CountEvent

log = logging.getLogger(__name__)

MARK_CONCURRENCY = 16
"""Sent-mark reads or writes in flight at once for one batch."""
MARK_PREFIX = "counts/"
"""Sent marks of CountEvents live under this prefix in the ``sent`` container (photos' marks have none)."""


class CountSink(Protocol):
    """Durably accepts CountEvents (the counts hub in Azure, the local event log's counts stream)."""

    def send(self, events: Sequence[CountEvent]) -> int: ...


class SentMarks(Protocol):
    """Zero-byte marks of the events already sent (:class:`functions.upload_storage.UploadStorage`)."""

    def was_sent(self, event_id: str) -> bool: ...

    def mark_sent(self, event_id: str) -> bool: ...


@dataclass(frozen=True)
class RelayResult:
    """What one batch came to: every body is exactly one of forwarded, duplicate or invalid."""

    forwarded: int
    duplicates: int
    invalid: int


def mark_name(event: CountEvent) -> str:
    """The sent mark of a CountEvent."""
    return f"{MARK_PREFIX}{event.event_id}"


_FIELDS = frozenset(name for field, info in CountEvent.model_fields.items() for name in (field, info.alias) if name)


def _reason(error: ValidationError) -> str:
    """Why a body failed the contract, without anything from the body: the error type, and the contract
    field it concerns (a field the body made up, or a key inside one, is not named)."""
    first = error.errors(include_url=False, include_input=False)[0]
    top = first["loc"][0] if first["loc"] else None
    where = top if isinstance(top, str) and top in _FIELDS and first["type"] != "extra_forbidden" else "body"
    return f"{where}: {first['type']}"


class CountRelay:
    """Forwards a batch of raw CountEvent bodies, each event id once.

    A batch's marks are read, and written, :data:`MARK_CONCURRENCY` at a time: one at a time, a storage
    round trip each, a partition's backlog after a long store outage would drain at a few dozen events a
    second.
    """

    def __init__(self, marks: SentMarks, sink: CountSink) -> None:
        self.marks = marks
        self.sink = sink
        self.unmarked: set[str] = set()
        """Event ids sent but not yet marked (storage failed after the send): marked, never sent, on a retry."""
        self._pool = ThreadPoolExecutor(max_workers=MARK_CONCURRENCY, thread_name_prefix="count-marks")

    def relay(self, bodies: Sequence[bytes]) -> RelayResult:
        """Forward the new events among ``bodies``; raise :class:`~functions.errors.TransientError` (from the
        marks or the sink) when they cannot be read, sent or marked now, so the batch is tried again."""
        events: dict[str, CountEvent] = {}
        duplicates = invalid = 0
        for body in bodies:
            try:
                event = CountEvent.from_json(body)
            except ValidationError as exc:
                invalid += 1
                log.warning("counts relay: dropped a body that is not a CountEvent (%s)", _reason(exc))
                continue
            if event.event_id in events:
                duplicates += 1
            else:
                events[event.event_id] = event
        # Sent by an earlier try of this batch (its marks failed): mark them only.
        already = [e for e in events.values() if e.event_id in self.unmarked]
        unknown = [e for e in events.values() if e.event_id not in self.unmarked]
        sent_before = list(self._pool.map(lambda e: self.marks.was_sent(mark_name(e)), unknown))
        fresh = [e for e, was in zip(unknown, sent_before, strict=True) if not was]
        duplicates += len(unknown) - len(fresh)
        if fresh:
            self.sink.send(fresh)
            self.unmarked.update(e.event_id for e in fresh)
        self._mark([*already, *fresh])
        forwarded = len(fresh) + len(already)
        log.info("counts relay: %d forwarded, %d duplicates dropped, %d invalid", forwarded, duplicates, invalid)
        return RelayResult(forwarded=forwarded, duplicates=duplicates, invalid=invalid)

    def _mark(self, events: list[CountEvent]) -> None:
        """Mark every event; forget those marked; raise the first failure once all have been tried."""
        futures = [(e, self._pool.submit(self.marks.mark_sent, mark_name(e))) for e in events]
        failure: BaseException | None = None
        for event, future in futures:
            error = future.exception()
            if error is None:
                self.unmarked.discard(event.event_id)
            elif failure is None:
                failure = error
        if failure is not None:
            raise failure


_lock = threading.Lock()
_relay: CountRelay | None = None


def get_relay() -> CountRelay:
    """The process-wide relay: the ingest function's storage clients (its sent marks) and a sink for the
    counts hub, built once."""
    global _relay
    from functions.ingest import get_processor
    from functions.sinks import create_count_sink

    processor = get_processor()
    with _lock:
        if _relay is None or _relay.marks is not processor.storage:
            _relay = CountRelay(processor.storage, create_count_sink(processor.settings))
        return _relay
