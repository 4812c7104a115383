"""Fixtures for the face service tests: the SDK client on the shared running service."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

# Stopgap until pyproject's pytest options carry `pythonpath = ["."]`: with tests/ on sys.path
# (tests/conftest.py, rootdir-less), this folder's name would shadow the face_service package.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.append(_REPO)

import pytest  # noqa: E402
from azure.ai.vision.face import FaceClient  # noqa: E402
from azure.core.credentials import AzureKeyCredential  # noqa: E402


@pytest.fixture(scope="session")
def face_client(face_service_url: str) -> Iterator[FaceClient]:
    """``azure.ai.vision.face.FaceClient`` on the running service (no key configured there)."""
    with FaceClient(endpoint=face_service_url, credential=AzureKeyCredential("unused")) as client:
        yield client
