"""Fixtures for the face service tests: the SDK client on the shared running service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.ai.vision.face import FaceClient
from azure.core.credentials import AzureKeyCredential


@pytest.fixture(scope="session")
def face_client(face_service_url: str) -> Iterator[FaceClient]:
    """``azure.ai.vision.face.FaceClient`` on the running service (no key configured there)."""
    with FaceClient(endpoint=face_service_url, credential=AzureKeyCredential("unused")) as client:
        yield client
