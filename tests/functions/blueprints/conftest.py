"""The environment a Functions host (or ``footfall host``) gives the app, for the blueprint tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import Containers, FaceApiStub

from functions import ingest


@pytest.fixture()
def configured(monkeypatch: pytest.MonkeyPatch, azurite: Any, containers: Containers, face_stub: FaceApiStub,
               tmp_path: Path) -> Iterator[Path]:
    """Azurite's containers, the face service stub and a local event log (the folder yielded)."""
    for key, value in {
        "AzureWebJobsStorage": azurite.connection_string,
        "FOOTFALL_UPLOADS_CONTAINER": containers.uploads.container_name,
        "FOOTFALL_QUARANTINE_CONTAINER": containers.quarantine.container_name,
        "FOOTFALL_SENT_CONTAINER": containers.sent.container_name,
        "FOOTFALL_FACE_ENDPOINT": face_stub.url,
        "FOOTFALL_FACE_RETRY_TOTAL": "0",
        "FOOTFALL_LOCAL_EVENT_LOG": str(tmp_path / "events"),
    }.items():
        monkeypatch.setenv(key, value)
    ingest.reset_processor()
    yield tmp_path / "events"
    ingest.reset_processor()
