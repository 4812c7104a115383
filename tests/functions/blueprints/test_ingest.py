"""The blueprint is thin: the registered user function hands the trigger's InputStream to UploadProcessor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.blob import InputStream
from ingest_helpers import (
    UPLOAD_NAME,
    Containers,
    FaceApiStub,
    StubReply,
    face_error,
    face_json,
    jpeg_bytes,
    registered_functions,
)

from functions import ingest
from functions.errors import TransientError
from functions.sinks.local_log import read_events

PHOTO = jpeg_bytes((640, 480))


def user_function() -> Any:
    return registered_functions()["analyze_upload"].get_user_function()


def trigger_stream(containers: Containers, name: str, data: bytes, etag: str, etag_key: str) -> func.InputStream:
    path = f"{containers.uploads.container_name}/{name}"
    return InputStream(name=path, uri=f"{containers.uploads.url}/{name}", length=len(data), data=data,
                       metadata={}, blob_properties={etag_key: etag, "ContentLength": len(data)})


@pytest.mark.parametrize("etag_key", ["ETag", "Etag"])
def test_invoking_the_registered_function_sends_the_event_and_deletes_the_photo(
    configured: Path, containers: Containers, face_stub: FaceApiStub, etag_key: str
) -> None:
    face_stub.default = StubReply(200, [face_json()])
    etag = containers.upload(UPLOAD_NAME, PHOTO)

    assert user_function()(trigger_stream(containers, UPLOAD_NAME, PHOTO, etag, etag_key)) is None

    (event,) = read_events(configured)
    assert event.face_count == 1 and containers.upload_names() == []
    counters = ingest.counters()
    assert counters is not None and counters.snapshot().sent == 1


def test_a_transient_failure_propagates_so_the_host_retries(
    configured: Path, containers: Containers, face_stub: FaceApiStub
) -> None:
    face_stub.default = StubReply(503, face_error("503", "down"))
    etag = containers.upload(UPLOAD_NAME, PHOTO)
    with pytest.raises(TransientError):
        user_function()(trigger_stream(containers, UPLOAD_NAME, PHOTO, etag, "ETag"))
    assert containers.upload_names() == [UPLOAD_NAME]


def test_clients_are_created_once_and_reused(configured: Path, containers: Containers) -> None:
    for n in range(3):
        name = f"S0001/C01/2026/11/23/08000012{n}-{n}.jpg"
        user_function()(trigger_stream(containers, name, PHOTO, containers.upload(name, PHOTO), "ETag"))
    processor = ingest.get_processor()
    assert processor is ingest.get_processor()
    assert processor.counters.snapshot().sent == 3


def test_each_invocation_is_a_span_with_its_outcome(
    configured: Path, containers: Containers, face_stub: FaceApiStub
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from functions.telemetry import use_providers

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    use_providers(None, provider)
    try:
        face_stub.default = StubReply(200, [face_json()])
        etag = containers.upload(UPLOAD_NAME, PHOTO)
        user_function()(trigger_stream(containers, UPLOAD_NAME, PHOTO, etag, "ETag"))
        bad = UPLOAD_NAME.replace("-7.jpg", "-8.jpg")
        etag = containers.upload(bad, b"not a photo")
        user_function()(trigger_stream(containers, bad, b"not a photo", etag, "ETag"))
    finally:
        use_providers(None)

    finished = spans.get_finished_spans()
    assert [s.name for s in finished] == ["analyze_upload", "analyze_upload"]
    assert [s.attributes.get("footfall.outcome") for s in finished] == ["sent", "quarantined"]
    assert finished[1].attributes.get("footfall.reason") == "unsupported_format"
    assert {(s.attributes.get("footfall.store_id"), s.attributes.get("footfall.camera_id")) for s in finished} == {
        ("S0001", "C01")
    }
