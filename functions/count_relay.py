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
durably and only then marked. A crash between the send and the mark sends the event again within
seconds, which the job's one-hour dedupe drops. Marks live the capture-age window plus a day (9 days
by default, longer than edgeHub keeps a message: ``tests/infra`` checks it). A body that is not a
valid CountEvent is dropped, counted and logged by reason (never its content); the job would drop it
too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from functions.contracts import CountEvent

log = logging.getLogger(__name__)

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


def _reason(error: ValidationError) -> str:
    """Where a body failed the contract, without its values (a field path and the error type)."""
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['type']}"


class CountRelay:
    """Forwards a batch of raw CountEvent bodies, each event id once."""

    def __init__(self, marks: SentMarks, sink: CountSink) -> None:
        self.marks = marks
        self.sink = sink

    def relay(self, bodies: Sequence[bytes]) -> RelayResult:
        """Forward the new events among ``bodies``; raise :class:`~functions.errors.TransientError` (from the
        marks or the sink) when they cannot be read, sent or marked now, so the batch is tried again."""
        fresh: dict[str, CountEvent] = {}
        duplicates = invalid = 0
        for body in bodies:
            try:
                event = CountEvent.from_json(body)
            except ValidationError as exc:
                invalid += 1
                log.warning("counts relay: dropped a body that is not a CountEvent (%s)", _reason(exc))
                continue
            if event.event_id in fresh or self.marks.was_sent(mark_name(event)):
                duplicates += 1
                continue
            fresh[event.event_id] = event
        if fresh:
            self.sink.send(list(fresh.values()))
            for event in fresh.values():
                self.marks.mark_sent(mark_name(event))
        log.info("counts relay: %d forwarded, %d duplicates dropped, %d invalid", len(fresh), duplicates, invalid)
        return RelayResult(forwarded=len(fresh), duplicates=duplicates, invalid=invalid)


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
