"""The counts relay: each CountEvent reaches the stream job's hub once, however late a copy of it comes.

The hub side is the SDK boundary (a producer that records real ``EventDataBatch`` objects: Event Hubs keeps
every copy it is sent); the sent marks are real blobs in Azurite.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from azure.eventhub import EventData, EventDataBatch
from azure.eventhub.exceptions import ConnectionLostError
from azure.storage.blob import BlobServiceClient
from ingest_helpers import Containers, RecordingProducer, count_event, make_settings

from functions.contracts import COUNT_SCHEMA, CountEvent
from functions.count_relay import MARK_CONCURRENCY, MARK_PREFIX, CountRelay, mark_name
from functions.errors import TransientError
from functions.sinks import create_count_sink
from functions.sinks.eventhub import EventHubSink
from functions.sinks.local_log import read_counts
from functions.upload_storage import UploadStorage


def body(event: CountEvent) -> bytes:
    return event.to_json().encode()


def sent_events(producer: RecordingProducer) -> list[dict[str, object]]:
    return [json.loads(e.body_as_str()) for batch in producer.sent for e in _events(batch)]


def _events(batch: EventDataBatch) -> list[EventData]:
    """The events a batch holds (the SDK keeps them in a private list)."""
    return list(batch._internal_events)


@pytest.fixture()
def marks(blob_service: BlobServiceClient, containers: Containers) -> UploadStorage:
    return UploadStorage(blob_service, containers.uploads.container_name, containers.quarantine.container_name,
                         containers.sent.container_name)


def test_a_copy_that_comes_a_day_later_is_not_forwarded_again(marks: UploadStorage, containers: Containers) -> None:
    producer = RecordingProducer()
    relay = CountRelay(marks, EventHubSink(producer))

    first = relay.relay([body(count_event(0)), body(count_event(1))])
    a_day_later = relay.relay([body(count_event(0))])  # edgeHub resent it after a lost acknowledgement and an outage

    assert (first.forwarded, first.duplicates, first.invalid) == (2, 0, 0)
    assert (a_day_later.forwarded, a_day_later.duplicates, a_day_later.invalid) == (0, 1, 0)
    assert [e["event_id"] for e in sent_events(producer)] == [count_event(0).event_id, count_event(1).event_id]
    assert sorted(containers.sent_marks()) == sorted(f"{MARK_PREFIX}{count_event(m).event_id}" for m in (0, 1))


def test_a_batch_holding_the_same_event_twice_forwards_it_once(marks: UploadStorage) -> None:
    producer = RecordingProducer()

    batch = [body(count_event(0)), body(count_event(0)), body(count_event(0, "C02"))]

    result = CountRelay(marks, EventHubSink(producer)).relay(batch)

    assert (result.forwarded, result.duplicates) == (2, 1)
    assert len(sent_events(producer)) == 2


def test_forwarded_events_keep_their_exact_json_schema_and_store_partition(marks: UploadStorage) -> None:
    producer = RecordingProducer()

    CountRelay(marks, EventHubSink(producer)).relay([body(count_event(0))])

    (batch,) = producer.sent
    (data,) = _events(batch)
    assert batch._partition_key == "S0001"
    assert data.body_as_str() == count_event(0).to_json()
    assert data.properties == {"schema": COUNT_SCHEMA}


def test_a_body_that_is_not_a_count_event_is_dropped_and_logged_without_its_content(
    marks: UploadStorage, caplog: pytest.LogCaptureFixture
) -> None:
    producer = RecordingProducer()
    with_track = json.loads(count_event(1).to_json()) | {"track_id": "secret-track-7"}
    bodies = [b"{not json", json.dumps(with_track).encode(), body(count_event(0))]

    with caplog.at_level(logging.WARNING, logger="functions.count_relay"):
        result = CountRelay(marks, EventHubSink(producer)).relay(bodies)

    assert (result.forwarded, result.duplicates, result.invalid) == (1, 0, 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and any("body: extra_forbidden" in w for w in warnings)
    assert not any("secret" in w or "track" in w or "not json" in w for w in warnings)


def test_when_the_hub_is_down_nothing_is_marked_so_the_retried_batch_forwards_everything(
    marks: UploadStorage, containers: Containers
) -> None:
    batch = [body(count_event(0)), body(count_event(1))]
    down = CountRelay(marks, EventHubSink(RecordingProducer(fail_with=ConnectionLostError("link lost"))))

    with pytest.raises(TransientError):
        down.relay(batch)
    assert containers.sent_marks() == []

    producer = RecordingProducer()
    retried = CountRelay(marks, EventHubSink(producer)).relay(batch)
    assert retried.forwarded == 2 and len(sent_events(producer)) == 2


class FlakyMarks:
    """The real marks in Azurite, behind a switch that makes storage unreachable."""

    def __init__(self, marks: UploadStorage) -> None:
        self.marks = marks
        self.down = False

    def was_sent(self, event_id: str) -> bool:
        if self.down:
            raise TransientError("blob storage", "read sent mark: unreachable")
        return self.marks.was_sent(event_id)

    def mark_sent(self, event_id: str) -> bool:
        if self.down:
            raise TransientError("blob storage", "write sent mark: unreachable")
        return self.marks.mark_sent(event_id)


class LosesStorageAfterSending:
    """A sink after whose send storage goes down (between the send and the marks)."""

    def __init__(self, sink: EventHubSink, marks: FlakyMarks) -> None:
        self.sink = sink
        self.marks = marks

    def send(self, events: Sequence[CountEvent]) -> int:
        sent = self.sink.send(events)
        self.marks.down = True
        return sent


def test_when_the_marks_cannot_be_written_after_the_send_the_retries_mark_without_sending_again(
    marks: UploadStorage, containers: Containers
) -> None:
    producer = RecordingProducer()
    flaky = FlakyMarks(marks)
    hub = EventHubSink(producer)
    relay = CountRelay(flaky, LosesStorageAfterSending(hub, flaky))
    batch = [body(count_event(0)), body(count_event(1))]

    with pytest.raises(TransientError):
        relay.relay(batch)
    relay.sink = hub
    with pytest.raises(TransientError):
        relay.relay(batch)  # hours of retries while storage is down: nothing is sent again
    flaky.down = False
    retried = relay.relay(batch)

    assert retried.forwarded == 2 and len(sent_events(producer)) == 2, "each event sent exactly once"
    assert sorted(containers.sent_marks()) == sorted(mark_name(count_event(m)) for m in (0, 1))
    assert relay.relay(batch).duplicates == 2 and len(sent_events(producer)) == 2


class CountingMarks:
    """The real marks, recording how many calls are in flight at once."""

    def __init__(self, marks: UploadStorage) -> None:
        self.marks = marks
        self.in_flight = self.most = 0
        self.lock = threading.Lock()

    def _call(self, method: Callable[[str], bool], event_id: str) -> bool:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            time.sleep(0.01)  # a storage round trip, so that calls overlap when they may
            return method(event_id)
        finally:
            with self.lock:
                self.in_flight -= 1

    def was_sent(self, event_id: str) -> bool:
        return self._call(self.marks.was_sent, event_id)

    def mark_sent(self, event_id: str) -> bool:
        return self._call(self.marks.mark_sent, event_id)


def test_a_large_batch_reads_and_writes_its_marks_several_at_a_time_and_relays_each_event_once(
    marks: UploadStorage, containers: Containers
) -> None:
    """A backlog after a long store outage comes in full batches: one storage round trip at a time would crawl."""
    producer = RecordingProducer()
    counting = CountingMarks(marks)
    batch = [body(count_event(m, camera=f"C{c:02d}")) for m in range(20) for c in range(1, 6)]

    result = CountRelay(counting, EventHubSink(producer)).relay(batch)

    assert (result.forwarded, result.duplicates) == (100, 0)
    assert sorted(e["event_id"] for e in sent_events(producer)) == sorted(
        count_event(m, camera=f"C{c:02d}").event_id for m in range(20) for c in range(1, 6))
    assert len(containers.sent_marks()) == 100
    assert 1 < counting.most <= MARK_CONCURRENCY


def test_when_the_marks_cannot_be_read_the_batch_fails_and_nothing_is_sent(containers: Containers) -> None:
    unreachable = BlobServiceClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"
        "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        retry_total=0, connection_timeout=2,
    )
    producer = RecordingProducer()
    relay = CountRelay(UploadStorage(unreachable, sent=containers.sent.container_name), EventHubSink(producer))

    with pytest.raises(TransientError):
        relay.relay([body(count_event(0))])
    assert producer.sent == []


def test_the_mark_of_a_count_event_lives_under_its_own_prefix() -> None:
    assert mark_name(count_event(0)) == f"counts/{count_event(0).event_id}"


def test_locally_relayed_counts_go_to_the_event_logs_counts_stream(marks: UploadStorage, tmp_path: Path) -> None:
    sink = create_count_sink(make_settings(FOOTFALL_EVENT_SINK="local", FOOTFALL_LOCAL_EVENT_LOG=tmp_path))

    CountRelay(marks, sink).relay([body(count_event(0)), body(count_event(1))])

    assert [e.event_id for e in read_counts(tmp_path)] == [count_event(0).event_id, count_event(1).event_id]
