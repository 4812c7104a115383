"""A service with a subscription key and no waiting room: 401 without the key, 429 when busy."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import httpx
import pytest
from azure.ai.vision.face import FaceClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError
from face_helpers import detect, start_service, stop_service
from PIL import Image
from skimage import data

KEY = "test-key-0123456789"


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """One worker, no queue (capacity 1), key required."""
    proc, url = start_service({
        "FOOTFALL_FACE_WORKERS": "1", "FOOTFALL_FACE_QUEUE_PER_WORKER": "0",
        "FOOTFALL_FACE_SERVICE_KEY": KEY, "FOOTFALL_FACE_RETRY_AFTER_S": "2",
    })
    try:
        yield url
    finally:
        stop_service(proc)


def test_the_right_key_is_let_in(guarded_url: str, astronaut_jpeg: bytes) -> None:
    with FaceClient(guarded_url, AzureKeyCredential(KEY)) as client:
        assert len(detect(client, astronaut_jpeg)) == 1


def test_a_wrong_key_gets_401(guarded_url: str, astronaut_jpeg: bytes) -> None:
    with FaceClient(guarded_url, AzureKeyCredential("wrong")) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            detect(client, astronaut_jpeg)
    assert info.value.status_code == 401
    assert "subscription key" in info.value.error.message


def test_no_key_gets_401_but_status_stays_open(guarded_url: str, astronaut_jpeg: bytes) -> None:
    r = httpx.post(f"{guarded_url}/face/v1.0/detect", content=astronaut_jpeg,
                   headers={"content-type": "application/octet-stream"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "401"
    assert httpx.get(f"{guarded_url}/status").status_code == 200


def test_a_burst_beyond_the_queue_gets_429_with_retry_after(guarded_url: str) -> None:
    big = Image.fromarray(data.astronaut()).resize((2048, 2048))
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=95)
    photo = buf.getvalue()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=guarded_url, timeout=60) as client:
            calls = [client.post("/face/v1.2/detect?returnFaceAttributes=age,gender,emotion", content=photo,
                                 headers={"content-type": "application/octet-stream",
                                          "ocp-apim-subscription-key": KEY})
                     for _ in range(8)]
            return await asyncio.gather(*calls)

    responses = asyncio.run(burst())

    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 429}, codes
    for r in responses:
        if r.status_code == 429:
            assert r.headers["retry-after"] == "2"
            assert r.json()["error"]["code"] == "RateLimitExceeded"
        else:
            assert len(r.json()) == 1
    status = httpx.get(f"{guarded_url}/status").json()
    assert status["queue"]["capacity"] == 1
    assert status["queue"]["rejected_total"] >= codes.count(429)
    assert status["queue"]["in_flight"] == 0
