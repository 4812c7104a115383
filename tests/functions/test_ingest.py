"""UploadProcessor end to end on Azurite, the Face-API stub over HTTP and the local event log."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import (
    UPLOAD_NAME,
    Containers,
    FaceApiStub,
    StubReply,
    face_error,
    face_json,
    ingest_settings,
    jpeg_bytes,
)

from functions.contracts import UploadPath
from functions.errors import TransientError
from functions.face_client import FaceAnalyzer
from functions.image_structure import strip_metadata
from functions.ingest import ProcessOutcome, UploadProcessor, blob_name_in_container, etag_from_properties
from functions.sinks import create_sink
from functions.sinks.local_log import read_events
from functions.upload_storage import UploadStorage

PHOTO = jpeg_bytes((640, 480))


@pytest.fixture()
def make_processor(azurite: Any, blob_service: BlobServiceClient, containers: Containers,
                   face_stub: FaceApiStub, tmp_path: Path):
    def build(**values: Any) -> UploadProcessor:
        settings = ingest_settings(azurite.connection_string, containers, face_stub.url, tmp_path / "events", **values)
        return UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service),
                               FaceAnalyzer(settings), create_sink(settings))
    return build


def events_in(tmp_path: Path) -> list:
    return list(read_events(tmp_path / "events")) if (tmp_path / "events").exists() else []


def test_a_good_photo_becomes_one_event_and_is_then_deleted(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    face_stub.default = StubReply(200, [face_json(age=33.2, gender="female"), face_json(age=8, gender="male")])
    etag = containers.upload(UPLOAD_NAME, PHOTO, {"cameraid": "C01"})

    outcome = make_processor().process(
        f"{containers.uploads.container_name}/{UPLOAD_NAME}", PHOTO, {"cameraid": "C01"}, etag)

    assert outcome.status == "sent" and outcome.face_count == 2
    (event,) = events_in(tmp_path)
    assert event.event_id == outcome.event_id == UploadPath.parse(UPLOAD_NAME).event_id()
    assert (event.store_id, event.camera_id, event.kind, event.analyzer) == (
        "S0001", "C01", "frame", "face-service/9.9-stub")
    # The band travels, not the exact age (FOOTFALL_EXACT_AGE turns that on).
    assert [(f.age, f.age_band, f.gender) for f in event.faces] == [(None, "25-34", "female"), (None, "0-17", "male")]
    assert containers.upload_names() == []
    assert face_stub.detects[0].body != PHOTO  # the service got the re-encoded JPEG, not the upload


def test_with_after_success_tag_the_photo_stays_tagged(
    make_processor: Any, containers: Containers, tmp_path: Path
) -> None:
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    assert make_processor(FOOTFALL_AFTER_SUCCESS="tag").process(UPLOAD_NAME, PHOTO, {}, etag).status == "sent"
    assert containers.uploads.get_blob_client(UPLOAD_NAME).get_blob_tags() == {"footfall": "processed"}
    assert len(events_in(tmp_path)) == 1


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("S0001/C01/2026/11/23/not-a-time.jpg", PHOTO, "bad_path"),
    ("S9999/C01/2026/11/23/080000123-7.jpg", PHOTO, "unknown_store"),
    (UPLOAD_NAME, b"this is a text file named .jpg\n", "unsupported_format"),
    (UPLOAD_NAME, b"", "empty"),
    (UPLOAD_NAME, PHOTO[:2000], "corrupt_image"),
])
def test_permanent_problems_move_the_photo_to_quarantine_with_a_reason(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, name: str, data: bytes, reason: str,
) -> None:
    etag = containers.upload(name, data, {"cameraid": "C01"})
    processor = make_processor(FOOTFALL_KNOWN_STORES="S0001,S0002")

    outcome = processor.process(name, data, {"cameraid": "C01"}, etag)

    assert (outcome.status, outcome.reason) == ("quarantined", reason)
    assert containers.upload_names() == []
    quarantined = containers.quarantine.get_blob_client(name)
    assert quarantined.download_blob().readall() == strip_metadata(data)  # the evidence, without EXIF
    assert quarantined.get_blob_properties().metadata["reason"] == reason
    assert events_in(tmp_path) == [] and face_stub.detects == []
    (line,) = [r.getMessage() for r in caplog.records if "QUARANTINED" in r.getMessage()]
    assert name not in line and f"reason={reason}" in line  # the name never leaves the process


def test_an_image_the_face_service_rejects_is_quarantined(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub
) -> None:
    face_stub.default = StubReply(400, face_error("InvalidImage", "Decoding error."))
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    outcome = make_processor().process(UPLOAD_NAME, PHOTO, {}, etag)
    assert (outcome.status, outcome.reason) == ("quarantined", "face_rejected")
    assert containers.quarantine_names() == [UPLOAD_NAME]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_face_service_raises_for_a_retry_and_keeps_the_photo(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path, status: int
) -> None:
    face_stub.replies = [StubReply(status, face_error(str(status), "busy"), {"Retry-After": "0"})]
    face_stub.default = StubReply(200, [face_json()])
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    processor = make_processor()

    with pytest.raises(TransientError):
        processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    assert containers.upload_names() == [UPLOAD_NAME] and events_in(tmp_path) == []

    retried = processor.process(UPLOAD_NAME, PHOTO, {}, etag)  # the host's retry
    assert retried.status == "sent" and containers.upload_names() == []
    assert [e.event_id for e in events_in(tmp_path)] == [retried.event_id]


def test_the_photo_is_not_deleted_when_the_event_could_not_be_sent(
    make_processor: Any, containers: Containers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    processor = make_processor()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(TransientError, match="local event log"):
        processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    monkeypatch.undo()

    assert containers.upload_names() == [UPLOAD_NAME]
    assert processor.counters.snapshot().transient_errors == 1


def test_a_redelivered_photo_yields_the_same_event_id_and_no_second_line(
    make_processor: Any, containers: Containers, tmp_path: Path
) -> None:
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    processor = make_processor(FOOTFALL_AFTER_SUCCESS="tag")  # the photo stays, so it can come again
    first = processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    again = processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    assert again.event_id == first.event_id and again.duplicate and not first.duplicate
    assert len(events_in(tmp_path)) == 1


def test_a_re_upload_of_the_same_capture_is_the_same_event_counted_once(
    make_processor: Any, containers: Containers, tmp_path: Path
) -> None:
    # The camera retried after a lost acknowledgement: a new blob (new etag) of the same capture.
    processor = make_processor()
    first = processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))
    second = processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))
    assert first.event_id == second.event_id and second.duplicate and not first.duplicate
    assert len(events_in(tmp_path)) == 1


def test_a_visit_crop_keeps_only_its_main_face_and_exact_ages_only_when_asked(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    small, large = face_json(age=61, gender="male"), face_json(age=27.4, gender="female")
    small["faceRectangle"] = {"left": 0, "top": 0, "width": 40, "height": 40}
    large["faceRectangle"] = {"left": 100, "top": 80, "width": 180, "height": 180}
    face_stub.default = StubReply(200, [small, large])
    metadata = {"cameraid": "C01", "kind": "visit"}
    outcome = make_processor(FOOTFALL_EXACT_AGE="true").process(
        UPLOAD_NAME, PHOTO, metadata, containers.upload(UPLOAD_NAME, PHOTO, metadata))
    (event,) = events_in(tmp_path)
    assert outcome.face_count == 1 and event.kind == "visit"
    assert [(f.age, f.age_band, f.gender) for f in event.faces] == [(27, "25-34", "female")]


def test_etag_and_metadata_are_read_from_the_blob_when_the_trigger_lacks_them(
    make_processor: Any, containers: Containers, tmp_path: Path
) -> None:
    containers.upload(UPLOAD_NAME, PHOTO, {"cameraid": "C01", "capturedat": "2026-11-23T09:00:00.123+01:00",
                                           "kind": "visit"})
    outcome = make_processor().process(UPLOAD_NAME, PHOTO, None, None)
    (event,) = events_in(tmp_path)
    assert outcome.event_id == UploadPath.parse(UPLOAD_NAME).event_id()
    assert event.kind == "visit"  # read from the blob's metadata
    assert event.to_json().count('"captured_at":"2026-11-23T08:00:00Z"') == 1  # to the second


def test_a_trigger_for_a_blob_already_gone_is_skipped(make_processor: Any, tmp_path: Path) -> None:
    outcome = make_processor().process(UPLOAD_NAME, PHOTO, None, None)
    assert outcome == ProcessOutcome(status="skipped", reason="already_processed", elapsed_ms=outcome.elapsed_ms)
    assert events_in(tmp_path) == []


def test_counters_add_up_uploads_equal_events_plus_quarantined_plus_pending(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    names = [f"S0001/C01/2026/11/23/0800001{i:02d}-{i}.jpg" for i in range(4)]
    etags = {n: containers.upload(n, PHOTO if i != 2 else b"not a photo") for i, n in enumerate(names)}
    face_stub.replies = [StubReply(200, [face_json()]), StubReply(200, []), StubReply(503, face_error("503", "down"))]
    processor = make_processor()
    for name in names:
        try:
            processor.process(name, PHOTO if name != names[2] else b"not a photo", {}, etags[name])
        except TransientError:
            pass

    counts = processor.counters.snapshot()
    pending = len(containers.upload_names())
    assert (counts.sent, counts.quarantined, counts.transient_errors, pending) == (2, 1, 1, 1)
    assert len(names) == len(events_in(tmp_path)) + len(containers.quarantine_names()) + pending
    assert counts.invocations == 4 and counts.in_flight == 0 and counts.faces == 1
    assert counts.quarantine_reasons == {"unsupported_format": 1}


def test_etag_is_found_whatever_the_host_calls_it() -> None:
    assert etag_from_properties({"ETag": '"0x1"', "ContentLength": 5}) == '"0x1"'  # Functions host
    assert etag_from_properties({"Etag": '"0x2"'}) == '"0x2"'  # footfall host
    assert etag_from_properties({"etag": ""}) is None
    assert etag_from_properties({"ETag": {}}) is None  # an unserializable .NET struct: read the blob's
    assert etag_from_properties(None) is None


def test_the_container_prefix_of_the_trigger_name_is_removed() -> None:
    assert blob_name_in_container("uploads/S1/C1/x.jpg", "uploads") == "S1/C1/x.jpg"
    assert blob_name_in_container("S1/C1/x.jpg", "uploads") == "S1/C1/x.jpg"


def test_with_event_hubs_down_the_photo_waits_and_the_retry_sends_it_once(
    azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    from azure.eventhub.exceptions import ConnectError
    from ingest_helpers import RecordingProducer

    from functions.sinks.eventhub import EventHubSink

    settings = ingest_settings(azurite.connection_string, containers, face_stub.url, tmp_path / "events")
    producer = RecordingProducer(fail_with=ConnectError("amqp connection refused"))
    processor = UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service), FaceAnalyzer(settings),
                                EventHubSink(producer))
    etag = containers.upload(UPLOAD_NAME, PHOTO)

    with pytest.raises(TransientError, match="event hub"):
        processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    assert containers.upload_names() == [UPLOAD_NAME] and producer.sent == []

    producer.fail_with = None  # the hub is back; the host retries
    outcome = processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    (batch,) = producer.sent
    assert batch._partition_key == "S0001" and len(batch) == 1
    assert containers.upload_names() == [] and outcome.status == "sent"


def test_azure_face_shaped_replies_give_events_with_null_gender_and_emotion(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    # What Azure AI Face returns today for returnFaceAttributes=headPose (gender/emotion retired).
    face_stub.default = StubReply(200, [{"faceRectangle": {"top": 10, "left": 20, "width": 90, "height": 90},
                                         "faceAttributes": {"headPose": {"pitch": 0.1, "roll": 2.0, "yaw": -3.0}}}])
    processor = make_processor(FOOTFALL_FACE_ATTRIBUTES="headPose", FOOTFALL_FACE_ANALYZER="azure-face/detection_03")
    etag = containers.upload(UPLOAD_NAME, PHOTO)

    assert processor.process(UPLOAD_NAME, PHOTO, {}, etag).face_count == 1

    (event,) = events_in(tmp_path)
    assert event.analyzer == "azure-face/detection_03"
    assert event.faces[0].model_dump() == {"age": None, "age_band": None, "gender": None, "emotion": None,
                                           "emotion_score": None}
    assert face_stub.detects[0].query["returnFaceAttributes"] == ["headPose"]


@pytest.mark.parametrize(("values", "asked"), [
    ({}, True),  # on by default
    ({"FOOTFALL_EMOTION": "false"}, False),  # off everywhere
    ({"FOOTFALL_EMOTION_OFF": "S0007, S0001"}, False),  # off for this store (as Terraform sets it)
    ({"FOOTFALL_EMOTION_OFF": "S0007"}, True),  # off for another store
])
def test_emotion_is_asked_for_only_where_it_is_on(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path, values: dict, asked: bool,
) -> None:
    face_stub.default = StubReply(200, [face_json()])
    make_processor(**values).process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))
    requested = face_stub.detects[0].query["returnFaceAttributes"][0].split(",")
    assert ("emotion" in requested) is asked and "age" in requested
    (event,) = events_in(tmp_path)
    assert (event.faces[0].emotion is not None) is asked


def test_a_store_whose_reference_row_says_emotion_no_gets_no_emotion_even_if_the_service_sends_one(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path,
) -> None:
    stores = tmp_path / "stores.csv"
    stores.write_text("store_id,store_name,city,country,region,time_zone,opening_hours,emotion\n"
                      "S0001,A,Munich,DE,DE South,Europe/Berlin,08:00-20:00,no\n"
                      "S0002,B,Berlin,DE,DE East,Europe/Berlin,08:00-20:00,yes\n")
    face_stub.default = StubReply(200, [face_json()])
    processor = make_processor(FOOTFALL_KNOWN_STORES=str(stores))
    processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))  # a photo of S0001
    other = UPLOAD_NAME.replace("S0001", "S0002")
    processor.process(other, PHOTO, {}, containers.upload(other, PHOTO))
    asked = [r.query["returnFaceAttributes"][0].split(",") for r in face_stub.detects]
    assert "emotion" not in asked[0] and "emotion" in asked[1]
    munich, berlin = sorted(events_in(tmp_path), key=lambda e: e.store_id)
    # The stub answers with emotion scores regardless: none of them may reach Munich's event.
    assert [f.emotion for f in munich.faces] == [None] and berlin.faces[0].emotion == "happiness"


def _named_at(when: datetime, seq: int = 1) -> str:
    return UploadPath(store_id="S0001", camera_id="C01", captured_at=when, seq=seq, extension="jpg").blob_name()


@pytest.mark.parametrize(("name", "metadata", "says"), [
    ("S\u017f001/C01/2026/11/23/080000123-7.jpg", {}, "does not match"),  # long s: no case folding into "S"
    ("S0001/C01/2026/11/23/080000123-7.jpg\n", {}, "does not match"),  # a trailing newline
    ("S0001/C01/\u0662\u0660\u0662\u0666/11/23/080000123-7.jpg", {}, "does not match"),  # Arabic-Indic digits
    (UPLOAD_NAME, {"capturedat": "9999-12-31T23:00-05:00"}, "capturedat"),  # overflows into UTC
    (UPLOAD_NAME, {"capturedat": "2026-11-23T10:00:00Z"}, "contradicts the time"),
    (UPLOAD_NAME, {"cameraid": "C02"}, "contradicts the camera"),
    (UPLOAD_NAME, {"kind": "selfie"}, "kind"),
])
def test_every_contract_violation_is_quarantined_bad_path_with_a_clear_reason(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, caplog: pytest.LogCaptureFixture,
    name: str, metadata: dict[str, str], says: str,
) -> None:
    etag = containers.upload(name, PHOTO, metadata)

    outcome = make_processor().process(name, PHOTO, metadata, etag)

    assert (outcome.status, outcome.reason) == ("quarantined", "bad_path")
    assert says in (outcome.detail or "")
    assert face_stub.detects == []
    (line,) = [r.getMessage() for r in caplog.records if "QUARANTINED" in r.getMessage()]
    assert name not in line and repr(name) not in line and "reason=bad_path" in line  # never named


@pytest.mark.parametrize(("offset", "says"), [
    (timedelta(days=365 * 73), "in the future"),  # 2099
    (timedelta(minutes=30), "in the future"),  # beyond the clock skew allowed
    (-timedelta(days=365 * 56), "ago"),  # 1970
    (-timedelta(days=9), "ago"),  # older than the edge buffer keeps photos
])
def test_implausible_capture_times_are_quarantined_with_their_own_reason(
    make_processor: Any, containers: Containers, face_stub: FaceApiStub, offset: timedelta, says: str,
) -> None:
    name = _named_at(datetime.now(UTC) + offset)
    etag = containers.upload(name, PHOTO)

    outcome = make_processor(FOOTFALL_CAPTURE_MAX_AGE_DAYS=8).process(name, PHOTO, {}, etag)

    assert (outcome.status, outcome.reason) == ("quarantined", "implausible_time")
    assert says in (outcome.detail or "") and face_stub.detects == []
    assert containers.quarantine.get_blob_client(name).get_blob_properties().metadata["reason"] == "implausible_time"


def test_capture_times_inside_the_window_are_analysed(make_processor: Any, containers: Containers) -> None:
    processor = make_processor(FOOTFALL_CAPTURE_MAX_AGE_DAYS=8, FOOTFALL_CAPTURE_MAX_FUTURE_S=300)
    now = datetime.now(UTC)
    for seq, when in enumerate((now + timedelta(minutes=4), now - timedelta(days=7, hours=23)), start=1):
        name = _named_at(when, seq)
        assert processor.process(name, PHOTO, {}, containers.upload(name, PHOTO)).status == "sent"


# ---------------------------------------------------------------- sent marks (idempotency beyond the job's hour)


def _event_hub_processor(azurite: Any, blob_service: BlobServiceClient, containers: Containers,
                         face_stub: FaceApiStub, tmp_path: Path, producer: Any) -> UploadProcessor:
    """A processor whose sink is Event Hubs (which, unlike the local log, never drops a repeated event_id)."""
    from functions.sinks.eventhub import EventHubSink

    settings = ingest_settings(azurite.connection_string, containers, face_stub.url, tmp_path / "events")
    return UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service), FaceAnalyzer(settings),
                           EventHubSink(producer))


def test_a_re_upload_of_an_already_sent_capture_sends_no_second_event_and_counts_a_duplicate(
    azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    from ingest_helpers import RecordingProducer

    producer = RecordingProducer()
    processor = _event_hub_processor(azurite, blob_service, containers, face_stub, tmp_path, producer)
    first = processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))
    assert first.status == "sent" and containers.sent_marks() == [first.event_id]

    # Hours later (the stream job's one-hour look-back long past) the edge re-uploads the same capture
    # after a lost acknowledgement: a new blob version; only the mark remembers the event was sent.
    again = processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))

    assert (again.status, again.reason, again.duplicate, again.event_id) == ("skipped", "already_sent", True,
                                                                             first.event_id)
    assert len(producer.sent) == 1, "the hub got the event once"
    assert len(face_stub.detects) == 1, "the duplicate is not analysed again"
    assert containers.upload_names() == [], "the duplicate is deleted"
    counts = processor.counters.snapshot()
    assert (counts.sent, counts.duplicates, counts.skipped, counts.in_flight) == (1, 1, 1, 0)


def test_a_photo_whose_event_another_instance_sent_days_ago_is_deleted_unanalysed(
    azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    from ingest_helpers import RecordingProducer

    event_id = UploadPath.parse(UPLOAD_NAME, {}).event_id()
    containers.sent.create_container()
    containers.sent.upload_blob(event_id, b"")  # marked when its event was sent, long ago
    producer = RecordingProducer()
    processor = _event_hub_processor(azurite, blob_service, containers, face_stub, tmp_path, producer)

    outcome = processor.process(UPLOAD_NAME, PHOTO, {}, containers.upload(UPLOAD_NAME, PHOTO))

    assert (outcome.status, outcome.duplicate) == ("skipped", True)
    assert producer.sent == [] and face_stub.detects == [] and containers.upload_names() == []
    assert processor.counters.snapshot().duplicates == 1


def test_the_sent_mark_is_written_only_once_the_event_was_sent(
    azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub, tmp_path: Path
) -> None:
    from azure.eventhub.exceptions import ConnectError
    from ingest_helpers import RecordingProducer

    producer = RecordingProducer(fail_with=ConnectError("amqp connection refused"))
    processor = _event_hub_processor(azurite, blob_service, containers, face_stub, tmp_path, producer)
    etag = containers.upload(UPLOAD_NAME, PHOTO)

    with pytest.raises(TransientError, match="event hub"):
        processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    assert containers.sent_marks() == [], "a failed send leaves no mark: the retry must still send"
    assert containers.upload_names() == [UPLOAD_NAME]

    producer.fail_with = None
    outcome = processor.process(UPLOAD_NAME, PHOTO, {}, etag)
    assert outcome.status == "sent" and len(producer.sent) == 1
    assert containers.sent_marks() == [outcome.event_id]
    mark = containers.sent.get_blob_client(outcome.event_id).get_blob_properties()
    assert mark.size == 0, "a mark carries nothing but its name"


def test_an_existing_mark_is_never_overwritten(blob_service: BlobServiceClient, containers: Containers) -> None:
    storage = UploadStorage(blob_service, containers.uploads.container_name, containers.quarantine.container_name,
                            containers.sent.container_name)
    assert storage.was_sent("a" * 32) is False  # no container yet: nothing was sent
    assert storage.mark_sent("a" * 32) is True
    first = containers.sent.get_blob_client("a" * 32).get_blob_properties().etag
    assert storage.mark_sent("a" * 32) is False  # If-None-Match: *
    assert containers.sent.get_blob_client("a" * 32).get_blob_properties().etag == first
    assert storage.was_sent("a" * 32) is True
