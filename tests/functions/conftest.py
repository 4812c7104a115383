"""Fixtures for the Functions tests (helpers live in ``ingest_helpers``)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# This folder is called ``functions`` like the package it tests. Without ``pythonpath = ["."]`` in
# pytest's configuration, ``tests/`` on sys.path makes ``import functions`` find this folder as a
# namespace package (the editable install's finder comes last). Put the repo root first and
# forget any such namespace import, so ``functions`` and ``function_app`` are the real ones.
# Keep this folder flat: a subfolder named like a subpackage (``sinks/``, ``blueprints/``) would
# hide that subpackage from other folders' tests collected before this conftest loads.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
for _name in [m for m in sys.modules if m == "functions" or m.startswith("functions.")]:
    if getattr(sys.modules[_name], "__file__", None) is None:
        del sys.modules[_name]
from azure.storage.blob import BlobServiceClient  # noqa: E402 (after the sys.path fix above)
from ingest_helpers import Containers, FaceApiStub  # noqa: E402 (after the sys.path fix above)


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
    """Unique ``uploads-*`` and ``quarantine-*`` containers in Azurite (the quarantine one is not
    created: the code under test must create it)."""
    suffix = uuid.uuid4().hex[:10]
    uploads = blob_service.get_container_client(f"uploads-{suffix}")
    uploads.create_container()
    return Containers(uploads, blob_service.get_container_client(f"quarantine-{suffix}"))
