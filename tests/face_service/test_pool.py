"""The worker pool in-process: a worker killed mid-request costs that request a 500, not the service."""

from __future__ import annotations

import asyncio
import io
import os
import signal

import pytest
from PIL import Image
from skimage import data

from face_service import worker
from face_service.config import ServiceSettings
from face_service.errors import FaceApiError
from face_service.pool import WorkerPool


def _jpeg(size: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((size, size)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def test_a_killed_worker_fails_its_request_and_the_pool_comes_back() -> None:
    async def scenario() -> tuple[FaceApiError, int, bytes]:
        pool = WorkerPool(ServiceSettings(workers=1))
        try:
            await pool.start()
            assert pool.ready
            loop = asyncio.get_running_loop()
            victim = (await loop.run_in_executor(pool._executor, worker.describe)).pid

            request = asyncio.create_task(pool.detect(_jpeg(4000), ("age",), False))  # ~0.2 s of work
            await asyncio.sleep(0.02)
            os.kill(victim, signal.SIGKILL)
            with pytest.raises(FaceApiError) as info:
                await request

            again = await pool.detect(_jpeg(512), ("age",), False)
            return info.value, again.status, again.body
        finally:
            pool.close()

    error, status, body = asyncio.run(scenario())

    assert (error.status, error.code) == (500, "InternalServerError")
    assert status == 200 and body.startswith(b'[{"faceRectangle"')


def test_not_ready_means_503_with_retry_after() -> None:
    pool = WorkerPool(ServiceSettings(workers=1, retry_after_s=3))

    with pytest.raises(FaceApiError) as info:
        asyncio.run(pool.detect(b"x", (), False))

    assert (info.value.status, info.value.code) == (503, "ServiceUnavailable")
    assert info.value.headers == {"Retry-After": "3"}


def test_capacity_is_workers_times_one_plus_the_waiting_room() -> None:
    assert ServiceSettings(workers=3, queue_per_worker=4).queue_capacity == 15
    assert WorkerPool(ServiceSettings(workers=2, queue_per_worker=0)).status().capacity == 2


def test_a_model_that_cannot_load_shows_in_status_and_in_503s() -> None:
    async def scenario() -> tuple[WorkerPool, FaceApiError]:
        pool = WorkerPool(ServiceSettings(workers=1, emotion="no-such-model"))
        try:
            await pool.start()
            with pytest.raises(FaceApiError) as info:
                await pool.detect(b"x", (), False)
            return pool, info.value
        finally:
            pool.close()

    pool, error = asyncio.run(scenario())

    assert not pool.ready and "no-such-model" in (pool.error or "")
    assert (error.status, error.code) == (503, "ServiceUnavailable")
    assert "failed to load" in error.message
