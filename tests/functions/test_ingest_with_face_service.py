"""The function against the real face service on loopback, through the real FaceClient, with real photos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import Containers, ingest_settings, jpeg_bytes
from test_event_privacy import assert_private

from functions.face_client import FaceAnalyzer
from functions.ingest import UploadProcessor
from functions.sinks import create_sink
from functions.sinks.local_log import read_events
from functions.upload_storage import UploadStorage


@pytest.fixture()
def processor(face_service_url: str, azurite: Any, blob_service: BlobServiceClient, containers: Containers,
              tmp_path: Path) -> UploadProcessor:
    settings = ingest_settings(azurite.connection_string, containers, face_service_url, tmp_path / "events",
                               FOOTFALL_FACE_RETRY_TOTAL=2)
    return UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service), FaceAnalyzer(settings),
                           create_sink(settings))


def test_the_face_client_reads_faces_and_attributes_from_the_real_service(face_service_url: str,
                                                                         astronaut_jpeg: bytes) -> None:
    from ingest_helpers import make_settings

    analyzer = FaceAnalyzer(make_settings(FOOTFALL_FACE_ENDPOINT=face_service_url))
    faces = analyzer.detect(astronaut_jpeg)
    assert len(faces) == 1
    attrs = faces[0].face_attributes
    assert 15 <= attrs.age <= 80
    assert attrs["gender"] in {"female", "male"}
    assert set(attrs["emotion"]) == {"anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness",
                                     "surprise"}
    assert faces[0].face_id is None  # asked with returnFaceId=false
    assert analyzer.analyzer().startswith("face-service/")


@pytest.mark.parametrize(("photo", "faces"), [("astronaut_jpeg", 1), ("grace_hopper_jpeg", 1), ("coffee_jpeg", 0),
                                              ("chelsea_jpeg", 0)])
def test_real_photos_become_private_events_and_are_deleted(
    request: pytest.FixtureRequest, processor: UploadProcessor, containers: Containers, tmp_path: Path,
    photo: str, faces: int,
) -> None:
    data: bytes = request.getfixturevalue(photo)
    name = "S0001/C01/2026/11/23/080000123-7.jpg"
    etag = containers.upload(name, data)

    outcome = processor.process(name, data, {}, etag)

    assert (outcome.status, outcome.face_count) == ("sent", faces)
    (event,) = read_events(tmp_path / "events")
    assert event.analyzer.startswith("face-service/")
    for face in event.faces:
        assert face.age is None and face.age_band is not None  # the band travels, not the exact age
        assert face.gender in {"female", "male"} and face.emotion is not None
    assert_private(event.to_json(), [name, etag.strip('"'), containers.uploads.container_name])
    assert containers.upload_names() == []


def test_a_photo_larger_than_the_face_api_accepts_is_downscaled_and_analysed(
    processor: UploadProcessor, containers: Containers, astronaut_jpeg: bytes
) -> None:
    from io import BytesIO

    from PIL import Image

    big = Image.open(BytesIO(astronaut_jpeg)).resize((4400, 4400), Image.Resampling.BILINEAR)
    buf = BytesIO()
    big.save(buf, format="JPEG", quality=60)
    name = "S0001/C01/2026/11/23/080000123-8.jpg"
    outcome = processor.process(name, buf.getvalue(), {}, containers.upload(name, buf.getvalue()))
    assert outcome.status == "sent" and outcome.face_count == 1


def test_a_blank_frame_has_no_faces(processor: UploadProcessor, containers: Containers) -> None:
    data = jpeg_bytes((640, 480))
    name = "S0001/C01/2026/11/23/080000123-9.jpg"
    assert processor.process(name, data, {}, containers.upload(name, data)).face_count == 0
