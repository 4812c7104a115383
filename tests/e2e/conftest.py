"""Fixtures for the end-to-end tests: clean upload containers and the function's settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from footfall.azurite import Azurite
from footfall.paths import REPO_ROOT

STORES_CSV = REPO_ROOT / "stream_analytics" / "stores.csv"


@pytest.fixture
def own_azurite(azurite: Azurite) -> Azurite:
    """The session's Azurite with empty ``uploads``, ``quarantine`` and ``sent`` containers: the trigger
    path ``uploads/{name}`` is fixed, so ``uploads`` must hold nothing but this test's photos, and the
    tests replay the same captures, so no sent mark of another test may remain."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(azurite.connection_string) as service:
        for name in ("uploads", "quarantine", "sent"):
            container = service.get_container_client(name)
            try:
                for blob in list(container.list_blobs()):
                    container.delete_blob(blob.name)
            except ResourceNotFoundError:
                pass
    return azurite


@pytest.fixture
def function_env(tmp_path: Path, own_azurite: Azurite, face_service_url: str,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The app settings ``analyze_upload`` reads, pointed at the local stack (as the demo sets them)."""
    env = {
        "AzureWebJobsStorage": own_azurite.connection_string,
        "FOOTFALL_FACE_ENDPOINT": face_service_url,
        "FOOTFALL_EVENT_SINK": "local",
        "FOOTFALL_LOCAL_EVENT_LOG": str(tmp_path / "events"),
        "FOOTFALL_KNOWN_STORES": str(STORES_CSV),
        "FOOTFALL_AFTER_SUCCESS": "delete",
        "FOOTFALL_UPLOADS_CONTAINER": "uploads",
        "FOOTFALL_QUARANTINE_CONTAINER": "quarantine",
        "FOOTFALL_SENT_CONTAINER": "sent",
        "FOOTFALL_STATE_DIR": str(tmp_path / "state"),
        "FOOTFALL_CAPTURE_MAX_AGE_DAYS": "36500",  # the tests replay a fixed day (2026-11-23)
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from functions.ingest import reset_processor

    reset_processor()
    yield env
    reset_processor()
