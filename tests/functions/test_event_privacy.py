"""Privacy: whatever the face service returns, an event holds demographics only.

Real photos go through the whole processor; the Face-API stub answers with everything a
careless pipeline could leak (face ids, rectangles, landmarks, head pose). The serialized events
must contain none of it, nor the blob name, its URL, container, file name or etag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import Containers, FaceApiStub, StubReply, face_json, ingest_settings

from functions.face_client import FaceAnalyzer
from functions.ingest import UploadProcessor
from functions.sinks import create_sink
from functions.sinks.local_log import LogRecord, read_events
from functions.upload_storage import UploadStorage

FACE_ID = "c5c24a82-6845-4031-9d5d-978df9175426"
LEAKY_DETECTION = face_json(
    age=29.0, gender="male",
    faceId=FACE_ID,
    recognitionModel="recognition_04",
    faceLandmarks={"pupilLeft": {"x": 412.7, "y": 78.4}, "noseTip": {"x": 437.7, "y": 92.4}},
)

EVENT_KEYS = {"schema", "event_id", "captured_at", "store_id", "camera_id", "kind", "face_count", "faces",
              "analyzer", "processed_at"}
FACE_KEYS = {"age", "age_band", "gender", "emotion", "emotion_score"}
FORBIDDEN_WORDS = ["faceRectangle", "rectangle", "landmark", "pupil", "noseTip", "faceId", "face_id",
                   "recognition", "headPose", "pitch", "yaw", "embedding", "http", "blob", "uploads", "jpg",
                   "uri", "url"]


def assert_nothing_leaks(text: str, secrets: list[str]) -> None:
    lowered = text.lower()
    for word in FORBIDDEN_WORDS:
        assert word.lower() not in lowered, f"{word!r} leaked into {text}"
    for secret in secrets:
        assert secret and secret.lower() not in lowered, f"{secret!r} leaked into {text}"


def assert_private(event_json: str, secrets: list[str]) -> None:
    data = json.loads(event_json)
    assert set(data) == EVENT_KEYS
    for face in data["faces"]:
        assert set(face) == FACE_KEYS
    assert_nothing_leaks(event_json, secrets)
    assert len(event_json) < 300 + len(data["analyzer"]) + 120 * len(data["faces"])  # no room for a photo or embedding


@pytest.mark.parametrize("photo", ["astronaut_jpeg", "grace_hopper_jpeg", "coffee_jpeg"])
def test_events_from_real_photos_hold_no_identifying_data(
    request: pytest.FixtureRequest, photo: str, azurite: Any, blob_service: BlobServiceClient,
    containers: Containers, face_stub: FaceApiStub, tmp_path: Path,
) -> None:
    data: bytes = request.getfixturevalue(photo)
    face_stub.default = StubReply(200, [LEAKY_DETECTION, face_json(age=61.2, gender="female")])
    settings = ingest_settings(azurite.connection_string, containers, face_stub.url, tmp_path / "events")
    processor = UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service),
                                FaceAnalyzer(settings), create_sink(settings))
    name = "S0042/CAM-7/2026/11/23/101112131-99.jpg"
    etag = containers.upload(name, data, {"cameraid": "CAM-7"})

    outcome = processor.process(name, data, {"cameraid": "CAM-7"}, etag)

    assert outcome.status == "sent"
    (path,) = (tmp_path / "events").glob("frames-*.jsonl")
    (line,) = path.read_text().splitlines()
    blob_url = containers.uploads.get_blob_client(name).url
    secrets = [name, "101112131-99", blob_url, containers.uploads.container_name, etag.strip('"'), FACE_ID,
               "412.7", "437.7"]
    # The log adds what Event Hubs would know of the event (arrival time, partition key = store id).
    assert set(json.loads(line)) - EVENT_KEYS == {"EventEnqueuedUtcTime", "PartitionKey"}
    assert_nothing_leaks(line, secrets)
    assert_private(LogRecord.from_line(line).event.to_json(), secrets)
    assert_nothing_leaks(outcome.model_dump_json(), secrets)  # what a host may log is clean too
    (event,) = read_events(tmp_path / "events")
    assert [f.gender for f in event.faces] == ["male", "female"]
