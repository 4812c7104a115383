"""Bad input gets the Face API's error JSON and status, and the service keeps serving."""

from __future__ import annotations

import random
import struct
import zlib

import httpx
import numpy as np
import pytest
from azure.ai.vision.face import FaceClient
from azure.core.exceptions import HttpResponseError
from face_helpers import detect, encode


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but holds no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    iend = b"IEND"
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + struct.pack(">I", 0) + iend + struct.pack(">I", zlib.crc32(iend)))


def failed_call(client: FaceClient, data: bytes, **kwargs: object) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        detect(client, data, **kwargs)
    return info.value


@pytest.fixture(autouse=True)
def still_serving(face_client: FaceClient, astronaut_jpeg: bytes):
    """After every bad request, a good one still gets its face."""
    yield
    assert len(detect(face_client, astronaut_jpeg)) == 1


def test_empty_body_is_too_small(face_client: FaceClient) -> None:
    err = failed_call(face_client, b"")
    assert (err.status_code, err.error.code) == (400, "InvalidImageSize")
    assert "too small" in err.error.message


def test_random_bytes_are_not_an_image(face_client: FaceClient) -> None:
    noise = random.Random(3).randbytes(50_000)
    err = failed_call(face_client, noise)
    assert (err.status_code, err.error.code) == (400, "InvalidImage")


def test_truncated_jpeg_is_refused_not_padded(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    err = failed_call(face_client, astronaut_jpeg[: len(astronaut_jpeg) // 2])
    assert (err.status_code, err.error.code) == (400, "InvalidImage")
    assert "truncated" in err.error.message


def test_a_7_mb_body_is_too_big(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    body = astronaut_jpeg + bytes(7 * 1024 * 1024 - len(astronaut_jpeg))
    err = failed_call(face_client, body)
    assert (err.status_code, err.error.code) == (400, "InvalidImageSize")
    assert "too big" in err.error.message


def test_a_20000_pixel_png_is_refused_from_its_header(face_client: FaceClient) -> None:
    err = failed_call(face_client, png_header(20_000, 20_000))
    assert (err.status_code, err.error.code) == (400, "InvalidImageSize")
    assert "too big" in err.error.message


def test_a_tiny_image_is_too_small(face_client: FaceClient) -> None:
    err = failed_call(face_client, encode(np.zeros((20, 20, 3), np.uint8), "PNG"))
    assert (err.status_code, err.error.code) == (400, "InvalidImageSize")


@pytest.mark.parametrize("attribute", ["shoeSize", "smile"])
def test_unknown_or_unsupported_attribute_is_a_bad_argument(face_client: FaceClient, astronaut_jpeg: bytes,
                                                             attribute: str) -> None:
    err = failed_call(face_client, astronaut_jpeg, return_face_attributes=["age", attribute])
    assert (err.status_code, err.error.code) == (400, "BadArgument")
    assert attribute in err.error.message and "age, gender, emotion, headPose" in err.error.message


def test_unknown_detection_model_is_a_bad_argument(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    err = failed_call(face_client, astronaut_jpeg, detection_model="detection_09")
    assert (err.status_code, err.error.code) == (400, "BadArgument")
    assert "detectionModel" in err.error.message


def test_face_ids_are_refused_clearly(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    err = failed_call(face_client, astronaut_jpeg, return_face_id=True)
    assert (err.status_code, err.error.code) == (403, "UnsupportedFeature")
    assert "returnFaceId=false" in err.error.message


def test_a_text_body_is_an_unsupported_media_type(face_service_url: str) -> None:
    r = httpx.post(f"{face_service_url}/face/v1.0/detect", content=b"hello", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "BadArgument"


def test_an_unknown_api_version_or_path_is_not_found(face_service_url: str, astronaut_jpeg: bytes) -> None:
    for path in ("/face/v9.9/detect", "/face/v1.0/verify"):
        r = httpx.post(f"{face_service_url}{path}", content=astronaut_jpeg,
                       headers={"content-type": "application/octet-stream"})
        assert r.status_code == 404
        assert set(r.json()["error"]) == {"code", "message"}
