"""The face service, called through ``azure.ai.vision.face.FaceClient``.

One :class:`FaceAnalyzer` wraps one ``FaceClient`` (created once, reused by every invocation)
and turns the SDK's errors into the ingest function's two kinds:

* 429, 408, 5xx, timeouts, refused connections, and auth/endpoint problems (401, 403, 404)
  are :class:`~functions.errors.TransientError`: not the photo's fault, so the host retries
  and the photo waits in ``uploads``;
* 400, 413 and 415 (``InvalidImage``, ``InvalidImageSize``, ...) are a
  :class:`~functions.errors.PermanentError` with reason ``face_rejected``.

The same code serves our Face-API-compatible service and Azure AI Face. Faces are always
requested with ``return_face_id=False`` and without landmarks.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from azure.ai.vision.face import FaceClient
from azure.ai.vision.face.models import FaceDetectionResult
from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.rest import HttpRequest

from functions.errors import PermanentError, TransientError
from functions.settings import Settings
from functions.telemetry import ingest_metrics

log = logging.getLogger(__name__)

PERMANENT_STATUS = frozenset({400, 413, 415})
"""HTTP statuses that mean "this image can never be analysed"."""

LOCAL_KEY_PLACEHOLDER = "local-face-service"
"""Sent as the key to a face service that needs none (AzureKeyCredential cannot be empty)."""


def _credential(settings: Settings) -> AzureKeyCredential | TokenCredential:
    if settings.face_key is not None and settings.face_key.get_secret_value():
        return AzureKeyCredential(settings.face_key.get_secret_value())
    if settings.uses_azure_face:
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()
    return AzureKeyCredential(LOCAL_KEY_PLACEHOLDER)


def create_face_client(settings: Settings) -> FaceClient:
    """A ``FaceClient`` for ``settings.face_endpoint`` (key, or managed identity on Azure Face).

    The SDK's own retries are kept short (``face_retry_total``): the Functions host owns the
    long, bounded retry policy.
    """
    return FaceClient(
        endpoint=settings.face_endpoint.rstrip("/"),
        credential=_credential(settings),
        api_version=settings.face_api_version,
        connection_timeout=settings.face_timeout_s,
        read_timeout=settings.face_timeout_s,
        retry_total=settings.face_retry_total,
        retry_backoff_factor=0.2,
    )


def classify_face_error(exc: AzureError) -> PermanentError | TransientError:
    """Map an SDK error to a permanent (quarantine) or transient (retry) error."""
    if isinstance(exc, HttpResponseError) and exc.status_code in PERMANENT_STATUS:
        code = getattr(exc.error, "code", None) if exc.error is not None else None
        return PermanentError("face_rejected", f"HTTP {exc.status_code} {code or ''}".strip() + f": {exc.message}")
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return TransientError("face service", f"HTTP {exc.status_code}: {exc.message}")
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return TransientError("face service", f"{type(exc).__name__}: {exc.message}")
    return TransientError("face service", f"{type(exc).__name__}: {exc}")


class FaceAnalyzer:
    """Detects faces and their attributes in a prepared JPEG."""

    def __init__(self, settings: Settings, client: FaceClient | None = None) -> None:
        self._settings = settings
        self._client = client or create_face_client(settings)
        self._analyzer: str | None = settings.face_analyzer

    @property
    def client(self) -> FaceClient:
        """The underlying SDK client."""
        return self._client

    def detect(self, jpeg: bytes, attributes: list[str] | None = None) -> list[FaceDetectionResult]:
        """Detect faces with ``attributes`` (default: the settings' list); raises :class:`PermanentError`
        or :class:`TransientError` on failure.

        Each call's duration and HTTP status go to ``footfall.face_service.duration`` (429s also to
        ``footfall.face_service.throttled``).
        """
        wanted = self._settings.requested_attributes if attributes is None else attributes
        started = time.perf_counter()
        status: int | None = 200
        try:
            return self._client.detect(
                jpeg,
                detection_model=self._settings.face_detection_model,
                recognition_model=self._settings.face_recognition_model,
                return_face_id=False,
                return_face_landmarks=False,
                return_face_attributes=wanted or None,
            )
        except AzureError as exc:
            status = exc.status_code if isinstance(exc, HttpResponseError) else None
            raise classify_face_error(exc) from exc
        finally:
            ingest_metrics().face_call((time.perf_counter() - started) * 1000, status)

    def probe(self) -> None:
        """Raise :class:`TransientError` unless the face service answers ``GET /status``. Azure AI
        Face has no such endpoint: there only the invocations' circuit breaker sees an outage."""
        if not self._settings.uses_azure_face:
            self._status()

    def analyzer(self) -> str:
        """What the events name as their analyzer, e.g. ``face-service/1.0`` or ``azure-face/detection_03``.

        For our face service it comes from ``GET /status`` (asked once, then cached).
        """
        if self._analyzer is None:
            if self._settings.uses_azure_face:
                self._analyzer = f"azure-face/{self._settings.face_detection_model}"
            else:
                self._analyzer = analyzer_from_status(self._status())
        return self._analyzer[:128]

    def _status(self) -> Any:
        url = f"{self._settings.face_endpoint.rstrip('/')}/status"
        try:
            response = self._client.send_request(HttpRequest("GET", url))
            response.raise_for_status()
            return response.json()
        except (AzureError, ValueError) as exc:
            raise TransientError("face service", f"GET /status failed: {exc}") from exc

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()


def analyzer_from_status(status: Any) -> str:
    """The analyzer string from a ``GET /status`` body: its ``analyzer`` field, else
    ``face-service/<version>``, else ``face-service/unknown``."""
    if isinstance(status, dict):
        analyzer = status.get("analyzer")
        if isinstance(analyzer, str) and analyzer.strip():
            return analyzer.strip()
        version = status.get("version")
        if isinstance(version, (str, int, float)) and str(version).strip():
            return f"face-service/{str(version).strip()}"
    return "face-service/unknown"
