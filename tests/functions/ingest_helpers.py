"""Helpers for the Functions tests: settings, a Face-API stub server, Azurite containers, photos."""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.eventhub import EventDataBatch
from azure.storage.blob import ContainerClient
from PIL import Image

from functions.contracts import CountEvent, LineCount, count_event_id
from functions.settings import Settings


def make_settings(**values: Any) -> Settings:
    """Settings from explicit values (by their environment names), ignoring the real environment's
    FOOTFALL_* variables so a developer's shell cannot change a test."""
    return Settings(**values)


# ---------------------------------------------------------------- Face API stub


@dataclass
class StubReply:
    """One canned reply of the stub: status, JSON body, headers, and a delay before answering."""

    status: int = 200
    body: Any = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class SeenRequest:
    """What the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class FaceApiStub:
    """A tiny HTTP server answering like the Face API: ``POST /face/{version}/detect`` and ``GET /status``.

    Replies are taken from :attr:`replies` in order; when empty, :attr:`default` answers.
    """

    def __init__(self) -> None:
        self.replies: list[StubReply] = []
        self.default = StubReply(200, [])
        self.status_reply = StubReply(200, {"status": "ready", "service": "face-service", "version": "9.9",
                                            "analyzer": "face-service/9.9-stub"})
        self.requests: list[SeenRequest] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _answer(self, reply: StubReply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                url = urlsplit(self.path)
                stub.requests.append(SeenRequest(self.command, url.path, parse_qs(url.query),
                                                 {k.lower(): v for k, v in self.headers.items()},
                                                 self.rfile.read(length) if length else b""))

            def do_GET(self) -> None:
                self._record()
                self._answer(stub.status_reply if self.path.startswith("/status") else StubReply(404, {}))

            def do_POST(self) -> None:
                self._record()
                reply = stub.replies.pop(0) if stub.replies else stub.default
                self._answer(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def detects(self) -> list[SeenRequest]:
        """The detect calls received."""
        return [r for r in self.requests if r.method == "POST"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def face_json(age: float = 31.4, gender: str | None = "female", emotion: dict[str, float] | None = None,
              **extra: Any) -> dict[str, Any]:
    """One detection the way the Face API returns it (rectangle, landmarks, attributes)."""
    attrs: dict[str, Any] = {"age": age, "headPose": {"pitch": 1.5, "roll": -2.25, "yaw": 7.75}}
    if gender is not None:
        attrs["gender"] = gender
    attrs["emotion"] = emotion if emotion is not None else {
        "anger": 0.01, "contempt": 0.0, "disgust": 0.0, "fear": 0.0,
        "happiness": 0.93, "neutral": 0.05, "sadness": 0.01, "surprise": 0.0,
    }
    return {"faceRectangle": {"top": 117, "left": 211, "width": 93, "height": 97},
            "faceAttributes": attrs, **extra}


def face_error(code: str, message: str) -> dict[str, Any]:
    """The Face API's error body."""
    return {"error": {"code": code, "message": message}}


@dataclass
class Containers:
    """Fresh uploads, quarantine and sent (marks) containers for one test."""

    uploads: ContainerClient
    quarantine: ContainerClient
    sent: ContainerClient

    def upload(self, name: str, data: bytes, metadata: dict[str, str] | None = None) -> str:
        """Upload a blob; return its etag."""
        return self.uploads.get_blob_client(name).upload_blob(data, overwrite=True, metadata=metadata)["etag"]

    def upload_names(self) -> list[str]:
        return [b.name for b in self.uploads.list_blobs()]

    def quarantine_names(self) -> list[str]:
        return [b.name for b in self.quarantine.list_blobs()]

    def sent_marks(self) -> list[str]:
        """The event ids marked sent (none when the container was never created)."""
        return [b.name for b in self.sent.list_blobs()] if self.sent.exists() else []


# ---------------------------------------------------------------- photos


def jpeg_bytes(size: tuple[int, int] = (640, 480), color: tuple[int, int, int] = (90, 120, 150), **save: Any) -> bytes:
    """A plain JPEG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG", **save)
    return buf.getvalue()


UPLOAD_NAME = "S0001/C01/2026/11/23/080000123-7.jpg"


REPLAY_AGE_DAYS = 36500
"""The tests' photos are named on fixed days (2026-11-23): a capture-time window wide enough to replay
them whatever today is. Tests of the window itself name photos relative to now."""


def ingest_settings(
    connection_string: str, containers: Containers, face_url: str, event_log: Any, **values: Any
) -> Settings:
    """Settings for an UploadProcessor on Azurite, a face endpoint and a local event log."""
    return make_settings(**{
        "FOOTFALL_CAPTURE_MAX_AGE_DAYS": REPLAY_AGE_DAYS,
        "AzureWebJobsStorage": connection_string,
        "FOOTFALL_UPLOADS_CONTAINER": containers.uploads.container_name,
        "FOOTFALL_QUARANTINE_CONTAINER": containers.quarantine.container_name,
        "FOOTFALL_SENT_CONTAINER": containers.sent.container_name,
        "FOOTFALL_FACE_ENDPOINT": face_url,
        "FOOTFALL_FACE_RETRY_TOTAL": 0,
        "FOOTFALL_EVENT_SINK": "local",
        "FOOTFALL_LOCAL_EVENT_LOG": str(event_log),
        **values,
    })


def registered_functions() -> dict[str, Any]:
    """``function_app.app.get_functions()`` by name, from a freshly imported ``function_app``.

    azure-functions 1.x lets ``get_functions()`` run once per app (a second call fails its
    unique-name check), so each test indexes a fresh app, as the worker does at start-up.
    """
    import importlib

    import function_app

    app = importlib.reload(function_app).app
    return {f.get_function_name(): f for f in app.get_functions()}


ONE_MB = 1024 * 1024


class RecordingProducer:
    """Stands in for ``EventHubProducerClient``: ``create_batch`` returns a real ``EventDataBatch``
    with the hub's 1 MB limit (or the caller's), ``send_batch`` records what it was given."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.sent: list[EventDataBatch] = []
        self.created: list[dict[str, object]] = []
        self.fail_with = fail_with
        self.closed = False

    def create_batch(self, *, partition_key: str | None = None, max_size_in_bytes: int | None = None) -> EventDataBatch:
        self.created.append({"partition_key": partition_key, "max_size_in_bytes": max_size_in_bytes})
        return EventDataBatch(max_size_in_bytes=max_size_in_bytes or ONE_MB, partition_key=partition_key)

    def send_batch(self, batch: EventDataBatch) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(batch)

    def close(self) -> None:
        self.closed = True


# ---------------------------------------------------------------- CountEvents


def count_event(minute: int, camera: str = "C01", entries: int = 2) -> CountEvent:
    """Store S0001's CountEvent for ``camera``'s minute ``minute`` after 2026-11-23 09:00 UTC (its real id)."""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
    return CountEvent(event_id=count_event_id("S0001", camera, start), store_id="S0001", camera_id=camera,
                      window_start=start, window_end=start + timedelta(minutes=1), frames=600,
                      lines=[LineCount(line="door", entries=entries, exits=1)])
