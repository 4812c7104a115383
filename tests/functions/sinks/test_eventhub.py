"""The Event Hubs sink at the SDK boundary: a recording producer that hands out real EventDataBatch objects."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime

import pytest
from azure.eventhub import EventDataBatch, EventHubProducerClient
from azure.eventhub.exceptions import ConnectionLostError
from ingest_helpers import ONE_MB, RecordingProducer, make_settings

from functions.contracts import FaceRecord, FrameEvent
from functions.errors import TransientError
from functions.sinks import create_sink
from functions.sinks.eventhub import EventHubSink, EventTooLargeError, create_producer


def event(n: int, store: str = "S0001", faces: int = 1) -> FrameEvent:
    ts = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    return FrameEvent(event_id=f"{n:032x}", captured_at=ts, store_id=store, camera_id="C01", kind="frame",
                      face_count=faces,
                      faces=[FaceRecord(age=30, age_band="25-34", gender="female", emotion="neutral",
                                        emotion_score=0.5)] * faces,
                      analyzer="face-service/1.0", processed_at=ts)


def bodies(batch: EventDataBatch) -> list[str]:
    return [e.body_as_str() for e in batch._internal_events]


def test_each_event_is_sent_as_its_exact_json_with_the_store_as_partition_key() -> None:
    producer = RecordingProducer()
    sink = EventHubSink(producer)
    assert sink.send([event(1), event(2)]) == 2

    (batch,) = producer.sent
    assert batch._partition_key == "S0001"
    assert bodies(batch) == [event(1).to_json(), event(2).to_json()]
    first = batch._internal_events[0]
    assert first.content_type == "application/json"
    assert first.properties == {"schema": "footfall.frame.v2"}


def test_events_of_different_stores_go_in_different_batches() -> None:
    producer = RecordingProducer()
    EventHubSink(producer).send([event(1, "S0001"), event(2, "S0002"), event(3, "S0001")])
    by_key = {b._partition_key: [json.loads(x)["event_id"][-1] for x in bodies(b)] for b in producer.sent}
    assert by_key == {"S0001": ["1", "3"], "S0002": ["2"]}


def test_a_full_batch_is_sent_and_a_new_one_started_at_the_1_mb_limit() -> None:
    producer = RecordingProducer()
    events = [event(n, faces=20) for n in range(1200)]  # ~2.2 kB each, ~2.6 MB in all
    assert sum(len(e.to_json()) for e in events) > 2 * ONE_MB

    EventHubSink(producer).send(events)

    assert len(producer.sent) == 3
    assert all(b.size_in_bytes <= ONE_MB for b in producer.sent)
    sent_ids = [json.loads(x)["event_id"] for b in producer.sent for x in bodies(b)]
    assert sent_ids == [e.event_id for e in events]  # every event once, in order


def test_a_smaller_batch_cap_splits_sooner() -> None:
    producer = RecordingProducer()
    sink = EventHubSink(producer, max_batch_bytes=2000)
    sink.send([event(n) for n in range(10)])
    assert len(producer.sent) > 1 and sink.batches_sent == len(producer.sent)
    assert all(b.size_in_bytes <= 2000 for b in producer.sent)
    assert sum(len(b) for b in producer.sent) == 10


def test_an_event_larger_than_an_empty_batch_is_an_error_not_a_silent_drop() -> None:
    producer = RecordingProducer()
    with pytest.raises(EventTooLargeError):
        EventHubSink(producer, max_batch_bytes=300).send([event(1, faces=5)])
    assert producer.sent == []


def test_an_event_hub_failure_is_transient() -> None:
    producer = RecordingProducer(fail_with=ConnectionLostError("link detached"))
    with pytest.raises(TransientError, match="event hub"):
        EventHubSink(producer).send([event(1)])


def test_close_closes_the_producer() -> None:
    producer = RecordingProducer()
    EventHubSink(producer).close()
    assert producer.closed


def test_the_producer_comes_from_a_connection_string() -> None:
    settings = make_settings(
        FOOTFALL_EVENT_SINK="eventhub", FOOTFALL_EVENTHUB_NAME="footfall-events",
        FOOTFALL_EVENTHUB_CONNECTION="Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=",
    )
    producer = create_producer(settings)
    assert isinstance(producer, EventHubProducerClient)
    assert (producer.eventhub_name, producer._address.hostname) == ("footfall-events", "ns1.servicebus.windows.net")
    producer.close()


def test_the_producer_uses_managed_identity_with_a_namespace() -> None:
    from azure.identity import DefaultAzureCredential

    settings = make_settings(FOOTFALL_EVENT_SINK="eventhub", FOOTFALL_EVENTHUB_NAMESPACE="ns2.servicebus.windows.net")
    producer = create_producer(settings)
    assert producer._address.hostname == "ns2.servicebus.windows.net"
    assert isinstance(producer._credential, DefaultAzureCredential)
    producer.close()


def test_create_sink_builds_the_event_hub_sink_from_settings() -> None:
    settings = make_settings(FOOTFALL_EVENT_SINK="eventhub", FOOTFALL_EVENTHUB_NAMESPACE="ns3.servicebus.windows.net")
    sink = create_sink(settings)
    assert isinstance(sink, EventHubSink)
    sink.close()


def test_a_real_producer_whose_hub_is_unreachable_raises_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens
    settings = make_settings(
        FOOTFALL_EVENT_SINK="eventhub",
        FOOTFALL_EVENTHUB_CONNECTION=(f"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=k;SharedAccessKey=v;"
                                      "UseDevelopmentEmulator=true"),
    )
    sink = EventHubSink.from_settings(settings, retry_total=0)
    started = time.monotonic()
    with pytest.raises(TransientError):
        sink.send([event(1)])
    assert time.monotonic() - started < 30
    sink.close()


def test_a_connection_string_naming_another_hub_is_refused_for_the_counts_hub() -> None:
    """An EntityPath wins over the hub name: CountEvents would silently land in the FrameEvents hub."""
    conn = ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc;"
            "EntityPath=footfall-events")
    settings = make_settings(FOOTFALL_EVENT_SINK="eventhub", FOOTFALL_EVENTHUB_CONNECTION=conn)

    with pytest.raises(ValueError, match="'footfall-events'.*'footfall-counts'"):
        create_producer(settings, "footfall-counts")
    producer = create_producer(settings, "footfall-events")
    assert producer.eventhub_name == "footfall-events"
    producer.close()
