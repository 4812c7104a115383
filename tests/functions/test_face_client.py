"""The face client: the real FaceClient over HTTP against a Face-API stub, and its error classes."""

from __future__ import annotations

import socket

import pytest
from ingest_helpers import FaceApiStub, StubReply, face_error, face_json, jpeg_bytes, make_settings

from functions.errors import PermanentError, TransientError
from functions.face_client import FaceAnalyzer, analyzer_from_status

JPEG = jpeg_bytes((320, 240))


def analyzer_for(stub: FaceApiStub, **values: object) -> FaceAnalyzer:
    return FaceAnalyzer(make_settings(**{"FOOTFALL_FACE_ENDPOINT": stub.url, "FOOTFALL_FACE_RETRY_TOTAL": 0, **values}))


def test_detect_sends_the_photo_with_the_face_api_query_and_parses_the_reply(face_stub: FaceApiStub) -> None:
    face_stub.default = StubReply(200, [face_json(age=40.2, gender="male")])
    faces = analyzer_for(face_stub).detect(JPEG)

    assert len(faces) == 1 and faces[0].face_attributes.age == pytest.approx(40.2)
    (request,) = face_stub.detects
    assert request.path == "/face/v1.2/detect"
    assert request.body == JPEG
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.query["returnFaceId"] == ["false"]
    assert request.query["returnFaceLandmarks"] == ["false"]
    assert request.query["detectionModel"] == ["detection_03"]
    assert request.query["recognitionModel"] == ["recognition_04"]
    assert request.query["returnFaceAttributes"] == ["age,gender,emotion,headPose"]


def test_api_version_key_and_attributes_come_from_settings(face_stub: FaceApiStub) -> None:
    analyzer_for(face_stub, FOOTFALL_FACE_API_VERSION="v1.0", FOOTFALL_FACE_KEY="s3cret",
                 FOOTFALL_FACE_ATTRIBUTES="headPose").detect(JPEG)
    (request,) = face_stub.detects
    assert request.path == "/face/v1.0/detect"
    assert request.headers["ocp-apim-subscription-key"] == "s3cret"
    assert request.query["returnFaceAttributes"] == ["headPose"]


@pytest.mark.parametrize(("status", "code"), [(429, "429"), (500, "InternalServerError"), (503, "ServiceUnavailable"),
                                              (401, "Unauthorized"), (404, "NotFound")])
def test_throttling_server_errors_and_config_errors_are_transient(
    face_stub: FaceApiStub, status: int, code: str
) -> None:
    face_stub.default = StubReply(status, face_error(code, "try later"), {"Retry-After": "0"})
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        analyzer_for(face_stub).detect(JPEG)


@pytest.mark.parametrize(("status", "code"), [(400, "InvalidImage"), (400, "InvalidImageSize"), (415, "BadArgument")])
def test_an_image_the_service_rejects_is_permanent(face_stub: FaceApiStub, status: int, code: str) -> None:
    face_stub.default = StubReply(status, face_error(code, "Decoding error, image format unsupported."))
    with pytest.raises(PermanentError) as caught:
        analyzer_for(face_stub).detect(JPEG)
    assert caught.value.reason == "face_rejected"
    assert code in caught.value.detail


def test_a_slow_service_times_out_as_transient(face_stub: FaceApiStub) -> None:
    face_stub.default = StubReply(200, [], delay_s=1.5)
    with pytest.raises(TransientError):
        analyzer_for(face_stub, FOOTFALL_FACE_TIMEOUT_S=0.3).detect(JPEG)


def test_a_service_that_is_down_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    analyzer = FaceAnalyzer(make_settings(FOOTFALL_FACE_ENDPOINT=f"http://127.0.0.1:{port}",
                                          FOOTFALL_FACE_RETRY_TOTAL=0))
    with pytest.raises(TransientError):
        analyzer.detect(JPEG)


def test_one_429_is_absorbed_by_the_sdk_retry_when_allowed(face_stub: FaceApiStub) -> None:
    face_stub.replies = [StubReply(429, face_error("429", "slow down"), {"Retry-After": "0"})]
    face_stub.default = StubReply(200, [face_json()])
    faces = analyzer_for(face_stub, FOOTFALL_FACE_RETRY_TOTAL=1).detect(JPEG)
    assert len(faces) == 1 and len(face_stub.detects) == 2


def test_the_analyzer_name_comes_from_the_service_status_once(face_stub: FaceApiStub) -> None:
    analyzer = analyzer_for(face_stub)
    assert analyzer.analyzer() == "face-service/9.9-stub"
    assert analyzer.analyzer() == "face-service/9.9-stub"
    assert [r.path for r in face_stub.requests] == ["/status"]


def test_a_service_still_loading_its_models_is_transient(face_stub: FaceApiStub) -> None:
    face_stub.status_reply = StubReply(503, {"status": "loading", "service": "face-service", "version": "1.0",
                                             "analyzer": "face-service/1.0"})
    with pytest.raises(TransientError, match="status"):
        analyzer_for(face_stub).analyzer()


def test_azure_face_is_named_by_its_detection_model_without_asking() -> None:
    analyzer = FaceAnalyzer(make_settings(FOOTFALL_FACE_ENDPOINT="https://x.cognitiveservices.azure.com",
                                          FOOTFALL_FACE_KEY="k"))
    assert analyzer.analyzer() == "azure-face/detection_03"


def test_an_explicit_analyzer_setting_wins(face_stub: FaceApiStub) -> None:
    assert analyzer_for(face_stub, FOOTFALL_FACE_ANALYZER="face-service/custom").analyzer() == "face-service/custom"
    assert face_stub.requests == []


@pytest.mark.parametrize(("status", "name"), [
    ({"analyzer": "face-service/1.0+yunet"}, "face-service/1.0+yunet"),
    ({"version": "2.1"}, "face-service/2.1"),
    ({}, "face-service/unknown"),
    (["odd"], "face-service/unknown"),
])
def test_analyzer_from_status_bodies(status: object, name: str) -> None:
    assert analyzer_from_status(status) == name
