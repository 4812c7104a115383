"""Where FrameEvents go: the :class:`EventSink` protocol and its two implementations.

* :class:`~functions.sinks.eventhub.EventHubSink` - Azure Event Hubs (the cloud).
* :class:`~functions.sinks.local_log.LocalEventLogSink` - append-only JSON-lines files that the
  local Stream Analytics engine reads (one machine).

A sink's :meth:`EventSink.send` returns only once the events are durably accepted; only then may
the photo be deleted. A failure it cannot resolve raises :class:`~functions.errors.TransientError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from functions.contracts import FrameEvent
from functions.settings import Settings


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


__all__ = ["EventSink", "create_sink"]
