"""The Event Hubs sink: one ``EventHubProducerClient`` for the process, batches per store.

It sends FrameEvents (the ingest function, hub ``footfall-events``) and CountEvents (the counts relay,
hub ``footfall-counts``) alike: both are wire events with a store.

Events of one store share a batch created with ``partition_key=store_id``, so a store's events
stay in order on one partition. A batch that reaches the hub's size limit (1 MB on Standard)
makes ``EventDataBatch.add`` raise ``ValueError``: the full batch is sent and a new one started.
Event Hubs has no de-duplication; a retried photo yields the same ``event_id``, so consumers
can drop repeats.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from azure.eventhub import EventData, EventDataBatch, EventHubProducerClient
from azure.eventhub.exceptions import EventHubError

from functions.contracts import CountEvent, FrameEvent
from functions.errors import TransientError
from functions.settings import Settings

log = logging.getLogger(__name__)


class EventTooLargeError(ValueError):
    """One event does not fit even an empty batch (cannot happen with sane FrameEvents)."""


def create_producer(settings: Settings, eventhub_name: str | None = None, **kwargs: Any) -> EventHubProducerClient:
    """The producer for ``eventhub_name`` (default: ``settings.eventhub_name``): from a connection string, or
    with ``DefaultAzureCredential`` (managed identity) and the fully qualified namespace. ``kwargs`` go to
    the client (e.g. ``retry_total``). A connection string with an ``EntityPath`` names its own hub."""
    hub = eventhub_name or settings.eventhub_name
    if settings.eventhub_connection is not None and settings.eventhub_connection.get_secret_value():
        conn = settings.eventhub_connection.get_secret_value()
        entity = _entity_path(conn)
        if entity is not None:
            if eventhub_name is not None and entity != eventhub_name:
                raise ValueError(f"FOOTFALL_EVENTHUB_CONNECTION names the hub {entity!r} (EntityPath), but events "
                                 f"for {eventhub_name!r} would go through it: give a connection without EntityPath")
            return EventHubProducerClient.from_connection_string(conn, **kwargs)
        return EventHubProducerClient.from_connection_string(conn, eventhub_name=hub, **kwargs)
    if not settings.eventhub_namespace:
        raise ValueError("set FOOTFALL_EVENTHUB_CONNECTION or FOOTFALL_EVENTHUB_NAMESPACE")
    from azure.identity import DefaultAzureCredential

    return EventHubProducerClient(
        fully_qualified_namespace=settings.eventhub_namespace,
        eventhub_name=hub,
        credential=DefaultAzureCredential(),
        **kwargs,
    )


def _entity_path(connection: str) -> str | None:
    """The ``EntityPath`` of an Event Hubs connection string, if it has one."""
    for part in connection.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "entitypath":
            return value.strip()
    return None


Event = FrameEvent | CountEvent
"""What the sink sends: the wire events that carry a store."""


def to_event_data(event: Event) -> EventData:
    """The wire form: UTF-8 JSON body, content type, and the schema as an application property."""
    data = EventData(event.to_json())
    data.content_type = "application/json"
    data.properties = {"schema": event.schema_}
    return data


def _try_add(batch: EventDataBatch, data: EventData) -> bool:
    """Add ``data`` to ``batch``; ``False`` when the batch is at its size limit."""
    try:
        batch.add(data)
    except ValueError:
        return False
    return True


class EventHubSink:
    """Sends wire events (FrameEvents or CountEvents) to one event hub through one long-lived producer."""

    def __init__(self, producer: EventHubProducerClient, max_batch_bytes: int | None = None) -> None:
        """``max_batch_bytes`` caps each batch below the hub's own limit (``None``: the hub's limit)."""
        self._producer = producer
        self._max_batch_bytes = max_batch_bytes
        self._lock = threading.Lock()  # the SDK does not promise a thread-safe producer
        self.batches_sent = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, eventhub_name: str | None = None, **producer_kwargs: Any
    ) -> EventHubSink:
        """A sink with a producer built from settings (for ``eventhub_name``, default the events hub)."""
        return cls(create_producer(settings, eventhub_name, **producer_kwargs))

    def send(self, events: Sequence[Event]) -> int:
        """Send every event, one or more batches per store; raises :class:`TransientError` on failure."""
        by_store: dict[str, list[Event]] = {}
        for event in events:
            by_store.setdefault(event.store_id, []).append(event)
        try:
            with self._lock:
                for store_id, store_events in by_store.items():
                    self._send_store(store_id, store_events)
        except EventHubError as exc:
            raise TransientError("event hub", f"{type(exc).__name__}: {exc}") from exc
        return len(events)

    def probe(self) -> None:
        """Raise :class:`TransientError` unless the hub answers (its properties: no event is sent)."""
        try:
            with self._lock:
                self._producer.get_eventhub_properties()
        except EventHubError as exc:
            raise TransientError("event hub", f"{type(exc).__name__}: {exc}") from exc

    def _new_batch(self, store_id: str) -> EventDataBatch:
        return self._producer.create_batch(partition_key=store_id, max_size_in_bytes=self._max_batch_bytes)

    def _send_store(self, store_id: str, events: list[Event]) -> None:
        batch = self._new_batch(store_id)
        for event in events:
            data = to_event_data(event)
            if _try_add(batch, data):
                continue
            if len(batch):
                self._flush(batch)
                batch = self._new_batch(store_id)
                if _try_add(batch, data):
                    continue
            raise EventTooLargeError(
                f"event {event.event_id} does not fit an empty batch of {batch.max_size_in_bytes} bytes"
            )
        if len(batch):
            self._flush(batch)

    def _flush(self, batch: EventDataBatch) -> None:
        self._producer.send_batch(batch)
        self.batches_sent += 1
        log.debug("sent batch of %d events (%d bytes)", len(batch), batch.size_in_bytes)

    def close(self) -> None:
        """Close the producer's connection."""
        self._producer.close()
