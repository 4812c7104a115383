"""The ASGI app (Starlette): ``GET /status`` and ``POST /face/{version}/detect``."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import uuid
from collections.abc import AsyncIterator
from typing import Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from face_service import __version__, errors
from face_service.config import ServiceSettings
from face_service.pool import WorkerPool
from face_service.query import parse_detect_query
from face_service.schemas import API_VERSIONS, SERVICE_NAME, StatusResponse

ANALYZER_HEADER = "x-footfall-analyzer"
"""Response header naming service and model versions (the value of ``FrameEvent.analyzer``)."""
_BINARY_TYPES = ("application/octet-stream", "image/")
_DRAIN_FACTOR = 4
"""Oversized bodies up to this many times the limit are drained before the error is sent."""


def _error_response(exc: errors.FaceApiError) -> Response:
    headers = {**exc.headers, "apim-request-id": str(uuid.uuid4())}
    return Response(exc.body().model_dump_json(), status_code=exc.status, headers=headers,
                    media_type="application/json")


async def _refuse_declared_oversize(request: Request, limit: int) -> None:
    """``InvalidImageSize`` from ``Content-Length`` alone, before the request takes a queue place."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise errors.bad_argument("Request body is invalid: bad Content-Length.")
    if int(declared) > limit:
        if int(declared) <= _DRAIN_FACTOR * limit:
            # Read and drop the body so the client sees the error instead of a reset connection.
            async for _ in request.stream():
                pass
        raise errors.image_too_big(f"The body is {int(declared)} bytes; at most {limit} bytes are allowed.")


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``InvalidImageSize`` as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.image_too_big(f"The body is over {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: ServiceSettings | None = None) -> Starlette:
    """Build the app. The worker processes start in the background; ``/status`` says when ready."""
    settings = settings or ServiceSettings()
    pool = WorkerPool(settings)
    key = settings.service_key.get_secret_value() if settings.service_key else None

    async def status(request: Request) -> Response:
        state: Literal["ready", "loading", "failed"] = (
            "ready" if pool.ready else ("failed" if pool.error else "loading")
        )
        body = StatusResponse(
            status=state, service=SERVICE_NAME, version=__version__,
            analyzer=pool.analyzer, models=pool.models,
            queue=pool.status(), error=pool.error,
        )
        return Response(body.model_dump_json(exclude_none=True), status_code=200 if pool.ready else 503,
                        media_type="application/json")

    async def detect(request: Request) -> Response:
        if request.path_params["version"] not in API_VERSIONS:
            raise errors.FaceApiError(404, "404", f"Resource not found: API versions are {', '.join(API_VERSIONS)}.")
        if key is not None:
            given = request.headers.get("ocp-apim-subscription-key", "")
            if not hmac.compare_digest(given.encode(), key.encode()):
                raise errors.unauthorized()
        options = parse_detect_query(request.query_params)
        content_type = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
        if content_type == "application/json":
            raise errors.FaceApiError(
                400, "InvalidURL",
                "Detecting from an image URL is not supported by this service: send the image bytes "
                "as application/octet-stream.",
            )
        if not content_type.startswith(_BINARY_TYPES):
            raise errors.unsupported_media_type(content_type)
        await _refuse_declared_oversize(request, settings.max_body_bytes)
        # The queue is checked before a byte of the body is read: a refused request costs no buffer.
        slot = pool.admit()
        data: bytes | None = None
        try:
            async with asyncio.timeout(settings.request_timeout_s):
                data = await _read_body(request, settings.max_body_bytes)
                result = await slot.run(data, options.attributes, options.landmarks)
        except TimeoutError:
            if data is None:
                raise errors.FaceApiError(
                    408, "RequestTimeout",
                    f"The request body did not arrive within {settings.request_timeout_s:g} seconds.",
                ) from None
            raise errors.FaceApiError(
                503, "ServiceUnavailable",
                f"The image was not analysed within {settings.request_timeout_s:g} seconds. Try again shortly.",
                headers={"Retry-After": str(settings.retry_after_s)},
            ) from None
        finally:
            slot.release()
        if result.status != 200:
            raise errors.FaceApiError(result.status, result.error_code or "InternalServerError",
                                      result.error_message or "", dict(result.error_headers))
        return Response(result.body, media_type="application/json",
                        headers={ANALYZER_HEADER: pool.analyzer, "apim-request-id": str(uuid.uuid4())})

    async def face_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.FaceApiError)
        return _error_response(exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "404" if exc.status_code == 404 else str(exc.status_code)
        return _error_response(errors.FaceApiError(exc.status_code, code, str(exc.detail)))

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        return _error_response(errors.FaceApiError(500, "InternalServerError", f"{type(exc).__name__}"))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        starting = asyncio.create_task(pool.start())
        try:
            yield
        finally:
            starting.cancel()
            await asyncio.get_running_loop().run_in_executor(None, pool.close)

    app = Starlette(
        routes=[
            Route("/status", status, methods=["GET"]),
            Route("/face/{version}/detect", detect, methods=["POST"]),
        ],
        exception_handlers={
            errors.FaceApiError: face_api_error, HTTPException: http_error, Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.pool = pool
    return app
