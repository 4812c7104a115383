"""``relay_counts``: registered where its source hub is set, retried for as long as an outage lasts, thin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import azure.functions as func
import pytest
from ingest_helpers import Containers, RecordingProducer, count_event, registered_functions

from functions import ingest
from functions.contracts import CountEvent
from functions.count_relay import mark_name
from functions.sinks.local_log import read_counts


def hub_event(event: CountEvent) -> func.EventHubEvent:
    """What the Python worker hands the function for one routed IoT Hub message."""
    return func.EventHubEvent(body=event.to_json().encode(), enqueued_time=datetime.now(UTC))


@pytest.fixture()
def relay(configured: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The host's environment with the relay's source hub set, as Terraform sets it; the event log's folder."""
    monkeypatch.setenv("FOOTFALL_COUNTS_RELAY_SOURCE", "footfall-counts-raw")
    return configured


def test_without_a_source_hub_the_relay_is_not_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOOTFALL_COUNTS_RELAY_SOURCE", raising=False)

    assert "relay_counts" not in registered_functions()


def test_the_trigger_reads_batches_of_the_source_hub_through_the_identity_connection(relay: Path) -> None:
    function = registered_functions()["relay_counts"]

    trigger = function.get_trigger()
    assert trigger.type == "eventHubTrigger"
    assert (trigger.event_hub_name, trigger.connection, trigger.consumer_group) == (
        "footfall-counts-raw", "FOOTFALL_EVENTHUB", "$Default")
    assert str(trigger.cardinality).lower().endswith("many")


def test_a_failed_batch_is_retried_for_as_long_as_it_takes(relay: Path) -> None:
    """Without a retry policy the Event Hubs trigger checkpoints past a failed batch: its counts would be lost."""
    retry = registered_functions()["relay_counts"].get_settings_dict("retry_policy")

    assert retry is not None
    assert (retry["strategy"], retry["max_retry_count"]) == ("exponential_backoff", "-1")
    assert retry["maximum_interval"] == "00:15:00"


def test_invoking_the_function_relays_each_count_once(relay: Path, containers: Containers) -> None:
    relay_counts = registered_functions()["relay_counts"].get_user_function()

    assert relay_counts([hub_event(count_event(0)), hub_event(count_event(1))]) is None
    assert relay_counts([hub_event(count_event(0))]) is None  # a copy, hours later

    assert [e.event_id for e in read_counts(relay)] == [count_event(0).event_id, count_event(1).event_id]
    assert sorted(containers.sent_marks()) == sorted(mark_name(count_event(m)) for m in (0, 1))


def test_in_azure_the_function_sends_each_count_once_to_the_jobs_hub(
    relay: Path, containers: Containers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same invocation with the Event Hubs sink (at the SDK boundary): Event Hubs would keep a copy."""
    import functions.sinks.eventhub as eventhub

    producer = RecordingProducer()
    hubs: list[str | None] = []

    def recording_producer(settings: object, eventhub_name: str | None = None, **kwargs: object) -> RecordingProducer:
        hubs.append(eventhub_name)
        return producer

    monkeypatch.setattr(eventhub, "create_producer", recording_producer)
    monkeypatch.setenv("FOOTFALL_EVENT_SINK", "eventhub")
    monkeypatch.setenv("FOOTFALL_EVENTHUB_NAMESPACE", "footfall.servicebus.windows.net")
    ingest.reset_processor()
    relay_counts = registered_functions()["relay_counts"].get_user_function()

    relay_counts([hub_event(count_event(0)), hub_event(count_event(1))])
    relay_counts([hub_event(count_event(0))])  # a copy, hours later

    assert hubs == [None, "footfall-counts"]  # the ingest function's events hub (shared clients), then the counts hub
    sent = [json.loads(e.body_as_str())["event_id"] for batch in producer.sent for e in batch._internal_events]
    assert sent == [count_event(0).event_id, count_event(1).event_id]
