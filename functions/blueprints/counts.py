"""Blueprint ``relay_counts``: CountEvents from the hub IoT Hub routes them to, to the stream job's hub,
each event id once (see :mod:`functions.count_relay`).

Registered only when ``FOOTFALL_COUNTS_RELAY_SOURCE`` names the source hub (Terraform sets it; read when
the app is indexed, like the redrive schedule). The trigger takes batches (``cardinality=many``) from
the hub's ``$Default`` consumer group through the identity-based connection ``FOOTFALL_EVENTHUB``
(``FOOTFALL_EVENTHUB__fullyQualifiedNamespace``). A failed batch (storage or hub unreachable) raises,
and the retry policy tries it again for as long as it takes, backing off to 15 minutes, before the
trigger checkpoints past it: an outage delays counts, it does not lose them.
"""

from __future__ import annotations

import azure.functions as func

from functions.count_relay import get_relay
from functions.settings import get_binding_settings
from functions.telemetry import invocation_span

CONNECTION = "FOOTFALL_EVENTHUB"
"""The trigger's connection: app settings ``FOOTFALL_EVENTHUB__fullyQualifiedNamespace`` (managed identity)."""


def blueprint() -> func.Blueprint:
    """A blueprint with ``relay_counts`` when a source hub is configured, else an empty one."""
    bp = func.Blueprint()
    source = get_binding_settings().counts_relay_source
    if not source:
        return bp

    @bp.function_name("relay_counts")
    @bp.retry(strategy="exponential_backoff", max_retry_count="-1", minimum_interval="00:00:05",
              maximum_interval="00:15:00")
    @bp.event_hub_message_trigger(arg_name="events", event_hub_name=source, connection=CONNECTION,
                                  cardinality=func.Cardinality.MANY, consumer_group="$Default")
    def relay_counts(events: list[func.EventHubEvent]) -> None:
        """Forward the batch's new CountEvents; raises ``TransientError`` so the batch is retried."""
        with invocation_span("relay_counts") as span:  # the counts_relay_stalled alert reads these spans
            result = get_relay().relay([event.get_body() for event in events])
            span.set_attributes({"footfall.forwarded": result.forwarded, "footfall.duplicates": result.duplicates,
                                 "footfall.invalid": result.invalid})

    return bp
