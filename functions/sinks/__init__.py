"""Where FrameEvents go: the :class:`EventSink` protocol and its two implementations.

* :class:`~functions.sinks.eventhub.EventHubSink` - Azure Event Hubs (the cloud).
* :class:`~functions.sinks.local_log.LocalEventLogSink` - append-only JSON-lines files that the
  local Stream Analytics engine reads (one machine).

A sink's :meth:`EventSink.send` returns only once the events are durably accepted; only then may
the photo be deleted. A failure it cannot resolve raises :class:`~functions.errors.TransientError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from functions.contracts import FrameEvent
from functions.settings import Settings

if TYPE_CHECKING:
    from functions.sinks.eventhub import EventHubSink
    from functions.sinks.local_log import LocalEventLogSink


@runtime_checkable
class EventSink(Protocol):
    """Something that durably accepts FrameEvents."""

    def send(self, events: Sequence[FrameEvent]) -> int:
        """Send ``events``; return how many were newly accepted. Durable when it returns."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


def create_sink(settings: Settings) -> EventSink:
    """The sink ``settings.event_sink`` names (``eventhub`` or ``local``)."""
    if settings.event_sink == "eventhub":
        from functions.sinks.eventhub import EventHubSink

        return EventHubSink.from_settings(settings)
    from functions.sinks.local_log import LocalEventLogSink

    return LocalEventLogSink(settings.local_event_log)


def create_count_sink(settings: Settings) -> EventHubSink | LocalEventLogSink:
    """Where relayed CountEvents go: the counts hub (``eventhub``) or the local event log's counts stream."""
    if settings.event_sink == "eventhub":
        from functions.sinks.eventhub import EventHubSink

        return EventHubSink.from_settings(settings, settings.counts_eventhub_name)
    from functions.sinks.local_log import LocalEventLogSink

    return LocalEventLogSink(settings.local_event_log, stream="counts")


__all__ = ["EventSink", "create_count_sink", "create_sink"]
