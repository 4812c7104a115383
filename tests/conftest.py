"""Shared fixtures: real local servers (Azurite) and real photos from installed packages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from footfall.azurite import Azurite
from functions.settings import use_settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test reads its settings afresh from its own environment, and the local state (event log,
    receipts, report database) of a developer's ``make demo`` is never what a test reads or writes."""
    monkeypatch.setenv("FOOTFALL_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    use_settings(None)
    yield
    use_settings(None)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """A real Azurite blob service on a free loopback port, for the whole session."""
    with Azurite(location=tmp_path_factory.mktemp("azurite")) as az:
        yield az


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep artefacts (screenshots, reports) for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _encode(arr: np.ndarray, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, quality=90)
    return buf.getvalue()


@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    """scikit-image's astronaut (Eileen Collins): one face, female."""
    from skimage import data

    return _encode(data.astronaut())


@pytest.fixture(scope="session")
def grace_hopper_jpeg() -> bytes:
    """matplotlib's sample ``grace_hopper.jpg``: one face."""
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return f.read()


@pytest.fixture(scope="session")
def coffee_jpeg() -> bytes:
    """scikit-image's coffee cup: no face."""
    from skimage import data

    return _encode(data.coffee())


@pytest.fixture(scope="session")
def chelsea_jpeg() -> bytes:
    """scikit-image's cat Chelsea: no human face."""
    from skimage import data

    return _encode(data.chelsea())


@pytest.fixture(scope="session")
def face_service_url() -> Iterator[str]:
    """The real face service (``python -m face_service``) on a free loopback port, for the session."""
    import os

    from footfall.face_process import FaceServiceProcess

    workers = os.environ.get("FOOTFALL_FACE_WORKERS", "1")
    with FaceServiceProcess(env={"FOOTFALL_FACE_WORKERS": workers}) as face:
        yield face.url


@pytest.fixture(scope="session")
def fleet():
    """One deterministic fleet day (8 stores, 5 cities, 3 regions and one store without reference data),
    as people and as the store and zone windows the job publishes (see tests/fleet.py)."""
    from fleet import make_fleet

    return make_fleet()
