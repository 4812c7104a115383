"""Fixtures for the Functions tests (helpers live in ``ingest_helpers``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import Containers, FaceApiStub


@pytest.fixture(autouse=True)
def _clean_footfall_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FOOTFALL_* or AzureWebJobsStorage variable of the developer's shell reaches a test."""
    for key in list(os.environ):
        if (key.startswith("FOOTFALL_") and key != "FOOTFALL_STATE_DIR") or key.startswith("AzureWebJobsStorage"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture()
def face_stub() -> Iterator[FaceApiStub]:
    """A fresh Face API stub on a free loopback port."""
    stub = FaceApiStub()
    yield stub
    stub.close()


@pytest.fixture(scope="session")
def blob_service(azurite: Any) -> Iterator[BlobServiceClient]:
    """One client for the session's Azurite."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    yield service
    service.close()


@pytest.fixture()
def containers(blob_service: BlobServiceClient) -> Containers:
    """Unique ``uploads-*``, ``quarantine-*`` and ``sent-*`` containers in Azurite (the quarantine and sent
    ones are not created: the code under test must create them)."""
    suffix = uuid.uuid4().hex[:10]
    uploads = blob_service.get_container_client(f"uploads-{suffix}")
    uploads.create_container()
    return Containers(uploads, blob_service.get_container_client(f"quarantine-{suffix}"),
                      blob_service.get_container_client(f"sent-{suffix}"))
