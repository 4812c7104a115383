"""Fixtures for the end-to-end tests: a private Azurite and the function's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from footfall.azurite import Azurite
from footfall.paths import REPO_ROOT

STORES_CSV = REPO_ROOT / "stream_analytics" / "stores.csv"


@pytest.fixture
def own_azurite(tmp_path: Path) -> Iterator[Azurite]:
    """An Azurite of the test's own: the trigger path ``uploads/{name}`` is fixed, so the
    ``uploads`` container must hold nothing but this test's photos."""
    with Azurite(location=tmp_path / "azurite") as az:
        yield az


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
        "FOOTFALL_STATE_DIR": str(tmp_path / "state"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from functions.ingest import reset_processor

    reset_processor()
    yield env
    reset_processor()
