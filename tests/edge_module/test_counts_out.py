"""CountEvents leave like photos: buffered on disk, sent oldest first, nothing lost, nothing doubled.

The IoT Hub side is ``azure-iot-device``'s real ``IoTHubModuleClient`` class, autospecced at the
SDK boundary (there is no edgeHub here); the local side is the real local event log.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from azure.iot.device import IoTHubModuleClient, Message

from edge_module.counts_out import CountBuffer, CountForwarder, EventLogCountSender, HubCountSender
from edge_module.telemetry import Counters
from functions.contracts import COUNT_SCHEMA, CountEvent, LineCount, count_event_id
from functions.sinks.local_log import read_counts

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(minute: int, entries: int = 1) -> CountEvent:
    start = T0 + timedelta(minutes=minute)
    return CountEvent(event_id=count_event_id("S0001", "C01", start), store_id="S0001", camera_id="C01",
                      window_start=start, window_end=start + timedelta(minutes=1), frames=600,
                      lines=[LineCount(line="door", entries=entries, exits=0)])


def test_a_camera_minute_is_buffered_once_and_kept_as_first_written(tmp_path: Path) -> None:
    buffer = CountBuffer(tmp_path, max_age_s=3600)
    assert buffer.put(event(0, entries=3))
    assert not buffer.put(event(0, entries=5)), "the same camera minute again"
    (path,) = buffer.pending()
    assert CountEvent.from_json(path.read_bytes()).lines[0].entries == 3


def test_hub_messages_carry_the_schema_property_the_route_matches(tmp_path: Path) -> None:
    client = mock.create_autospec(IoTHubModuleClient, instance=True)
    HubCountSender(client, "counts").send(event(0))
    message, output = client.send_message_to_output.call_args.args
    assert output == "counts" and isinstance(message, Message)
    assert message.custom_properties == {"schema": COUNT_SCHEMA}
    assert message.message_id == event(0).event_id
    assert message.content_type == "application/json" and message.content_encoding == "utf-8"
    assert CountEvent.from_json(message.data) == event(0)


def test_an_outage_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    client = mock.create_autospec(IoTHubModuleClient, instance=True)
    delivered: list[str] = []
    hub_up = threading.Event()

    def send(message: Message, output: str) -> None:
        if not hub_up.is_set():
            raise ConnectionError("edgeHub unreachable")
        delivered.append(message.message_id)

    client.send_message_to_output.side_effect = send
    buffer = CountBuffer(tmp_path, max_age_s=3600)
    counters = Counters()
    forwarder = CountForwarder(buffer, HubCountSender(client, "counts"), counters, 0.05, 0.2)
    forwarder.start()
    for minute in range(5):
        buffer.put(event(minute))
        forwarder.wake()
    threading.Event().wait(0.5)
    assert delivered == [] and buffer.count == 5 and counters.get("count_send_failures") >= 1
    hub_up.set()
    forwarder.stop(drain_timeout_s=5)
    assert delivered == [event(m).event_id for m in range(5)], "oldest first, each once"
    assert buffer.count == 0 and counters.get("counts_sent") == 5


def test_a_lost_acknowledgement_resends_the_same_event_id_which_the_log_keeps_once(tmp_path: Path) -> None:
    buffer = CountBuffer(tmp_path / "buffer", max_age_s=3600)
    sender = EventLogCountSender(tmp_path / "events")
    buffer.put(event(0))
    sender.send(event(0))  # delivered, but the module died before deleting its file
    forwarder = CountForwarder(buffer, sender, Counters())
    assert forwarder.drain_once() == 1
    assert [e.event_id for e in read_counts(tmp_path / "events")] == [event(0).event_id]


def test_events_older_than_the_cap_are_dropped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    buffer = CountBuffer(tmp_path, max_age_s=600)
    buffer.put(event(0))
    buffer.put(event(30))
    assert buffer.enforce_age(T0 + timedelta(minutes=31)) == 1
    assert buffer.count == 1 and "older than" in caplog.text
