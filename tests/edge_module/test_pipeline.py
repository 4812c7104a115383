"""The whole module on real footage against a real Azurite: people in, contract blobs out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from azure.storage.blob import BlobServiceClient
from edge_helpers import StepClock, decode

from edge_module.app import EdgeModule
from edge_module.camera import FolderSource, Frame, VideoFileSource
from edge_module.config import ModuleSettings
from footfall.azurite import Azurite
from functions.contracts import UploadPath


@pytest.fixture
def container(azurite: Azurite, request: pytest.FixtureRequest) -> str:
    """A container name of its own for each test, on the session's Azurite."""
    return "edge-" + str(abs(hash(request.node.name)) % 10**8)


def blobs(azurite: Azurite, container: str) -> dict[str, dict[str, str]]:
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        cc = svc.get_container_client(container)
        if not cc.exists():
            return {}
        return {b.name: dict(b.metadata) for b in cc.list_blobs(include=["metadata"])}


def run_module(settings: ModuleSettings, source: object, clock: StepClock) -> EdgeModule:
    module = EdgeModule(settings, clock=clock).start()
    try:
        module.run(source)
    finally:
        module.stop(drain_timeout_s=20)
    return module


def test_vtest_pedestrians_are_photographed_and_uploaded_by_the_contract(
    azurite: Azurite, container: str, make_settings: Callable[..., ModuleSettings], vtest_path: Path,
    step_clock: StepClock,
) -> None:
    settings = make_settings(storage_connection_string=azurite.connection_string, container=container,
                             capture={"min_interval_s": 5, "whole_frames": True})
    # Every 20th frame (40 frames), one simulated second apart: at most one photo per 5 s.
    module = run_module(settings, VideoFileSource(str(vtest_path), clock=step_clock, step=20), step_clock)
    uploaded = blobs(azurite, container)
    taken = module.counters.get("photos_taken")
    assert 5 <= taken <= 8 and len(uploaded) == taken
    assert module.buffer.count == 0 and module.counters.get("uploaded") == taken
    times = []
    for name, meta in uploaded.items():
        parsed = UploadPath.parse(name, meta)
        assert name == parsed.blob_name()
        assert (parsed.store_id, parsed.camera_id) == ("S0042", "C07")
        assert meta["cameraid"] == "C07" and meta["capturedat"].endswith("Z")
        times.append(parsed.captured_at)
    times.sort()
    assert all((b - a) >= timedelta(seconds=5) for a, b in zip(times, times[1:], strict=False)), "rate limit held"


def test_uploaded_photo_is_the_full_frame_as_jpeg(
    azurite: Azurite, container: str, make_settings: Callable[..., ModuleSettings], vtest_frames: list[np.ndarray],
    step_clock: StepClock,
) -> None:
    settings = make_settings(storage_connection_string=azurite.connection_string, container=container)
    module = EdgeModule(settings, clock=step_clock).start()
    photo = module.process(Frame(image=vtest_frames[0], captured_at=step_clock(), index=0))
    module.stop(drain_timeout_s=20)
    assert photo is not None
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        blob = svc.get_blob_client(container, photo.blob_name)
        props = blob.get_blob_properties()
        image = decode(blob.download_blob().readall())
    assert props.content_settings.content_type == "image/jpeg"
    assert image.shape == vtest_frames[0].shape
    assert np.abs(image.astype(int) - vtest_frames[0].astype(int)).mean() < 4  # a faithful JPEG


def test_frames_without_people_upload_nothing(
    azurite: Azurite, container: str, make_settings: Callable[..., ModuleSettings], tmp_path: Path,
    coffee_jpeg: bytes, chelsea_jpeg: bytes, empty_scene: np.ndarray, step_clock: StepClock,
) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "coffee.jpg").write_bytes(coffee_jpeg)
    (folder / "chelsea.jpg").write_bytes(chelsea_jpeg)
    cv2.imwrite(str(folder / "empty-car-park.png"), empty_scene)
    for kind in ("hog", "hog+face"):
        settings = make_settings(storage_connection_string=azurite.connection_string, container=container,
                                 detector={"kind": kind})
        module = run_module(settings, FolderSource(folder, clock=step_clock), step_clock)
        assert module.counters.get("frames_analysed") == 3
        assert module.counters.get("photos_taken") == 0
    assert blobs(azurite, container) == {}


def test_stills_with_people_are_uploaded(
    azurite: Azurite, container: str, make_settings: Callable[..., ModuleSettings], tmp_path: Path,
    messi_bgr: np.ndarray, basketball_bgr: np.ndarray, step_clock: StepClock,
) -> None:
    folder = tmp_path / "stills"
    folder.mkdir()
    cv2.imwrite(str(folder / "a-basketball1.png"), basketball_bgr)
    cv2.imwrite(str(folder / "b-messi5.jpg"), messi_bgr)
    # The close-up configuration: HOG for standing people, a face for the crouched footballer.
    settings = make_settings(storage_connection_string=azurite.connection_string, container=container,
                             detector={"kind": "hog+face"})
    module = run_module(settings, FolderSource(folder, clock=step_clock), step_clock)
    assert module.counters.get("photos_taken") == 2
    assert len(blobs(azurite, container)) == 2


def test_nothing_is_photographed_while_the_store_is_closed(
    azurite: Azurite, container: str, make_settings: Callable[..., ModuleSettings], vtest_path: Path,
) -> None:
    # Tokyo store, open 09:00-18:00; the footage plays at 23:00 Tokyo time (14:00 UTC).
    clock = StepClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    settings = make_settings(storage_connection_string=azurite.connection_string, container=container,
                             timezone="Asia/Tokyo", opening_hours="09:00-18:00")
    module = run_module(settings, VideoFileSource(str(vtest_path), clock=clock, step=40), clock)
    assert module.counters.get("frames_seen") == 20
    assert module.counters.get("frames_analysed") == 0, "the detector does not even run"
    assert blobs(azurite, container) == {}
