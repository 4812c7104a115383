"""Store-and-forward against a real Azurite that goes away in the middle of a run."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from azure.storage.blob import BlobServiceClient
from edge_helpers import StepClock

from edge_module.app import EdgeModule
from edge_module.buffer import BufferedPhoto, PhotoBuffer
from edge_module.camera import Frame
from edge_module.config import ModuleSettings
from edge_module.uploader import BlobUploader
from footfall.azurite import Azurite, free_port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def uploaded(conn: str, container: str = "uploads") -> list[str]:
    with BlobServiceClient.from_connection_string(conn) as svc:
        cc = svc.get_container_client(container)
        return [b.name for b in cc.list_blobs()] if cc.exists() else []


def feed(module: EdgeModule, frames: list[np.ndarray], clock: StepClock) -> list[BufferedPhoto]:
    photos = []
    for i, image in enumerate(frames):
        photo = module.process(Frame(image=image, captured_at=clock(), index=i))
        if photo is not None:
            photos.append(photo)
    return photos


def test_outage_photos_are_buffered_then_each_arrives_exactly_once(
    tmp_path: Path, make_settings: Callable[..., ModuleSettings], vtest_frames: list[np.ndarray],
    step_clock: StepClock,
) -> None:
    azurite = Azurite(location=tmp_path / "azurite", port=free_port()).start()
    module: EdgeModule | None = None
    try:
        settings = make_settings(storage_connection_string=azurite.connection_string, upload_timeout_s=2.0)
        module = EdgeModule(settings, clock=step_clock).start()
        order: list[str] = []
        module.forwarder.on_uploaded = lambda photo, outcome: order.append(photo.blob_name)

        before = feed(module, vtest_frames[:8], step_clock)
        assert before, "vtest has people in its first frames"
        wait_until(lambda: module.buffer.count == 0, 20, "the first photos to upload")
        assert sorted(uploaded(azurite.connection_string)) == sorted(p.blob_name for p in before)

        azurite.stop()  # the store's network goes down
        during = feed(module, vtest_frames[8:28], step_clock)
        assert len(during) >= 8, "capturing goes on while offline"
        wait_until(lambda: module.counters.get("upload_failures") >= 2, 20, "failed upload attempts")
        assert module.buffer.count == len(during), "nothing uploaded, nothing lost"
        assert sorted(p.name for p in (tmp_path / "buffer").glob("*.jpg")) == sorted(p.path.name for p in during)
        assert module.forwarder.backoff_s > settings.backoff_initial_s, "backoff grows while the network is down"

        azurite.start()  # same port, same data folder
        wait_until(lambda: module.buffer.count == 0, 30, "the buffer to drain after the outage")
        after = feed(module, vtest_frames[28:34], step_clock)
        module.stop(drain_timeout_s=20)

        names = uploaded(azurite.connection_string)
        expected = [p.blob_name for p in before + during + after]
        assert len(names) == len(set(names)) == len(expected)
        assert sorted(names) == sorted(expected), "every photo arrived exactly once"
        assert order == expected, "uploads happen oldest first, also when draining the backlog"
        assert list((tmp_path / "buffer").glob("*.jpg")) == [] and module.buffer.count == 0
        telemetry = module.send_telemetry()
        assert telemetry.photos_taken == telemetry.photos_uploaded == len(expected)
        assert telemetry.photos_buffered == 0 and telemetry.photos_dropped == 0 and telemetry.upload_failures >= 2
    finally:
        if module is not None:
            module.forwarder.stop()
        azurite.stop()


def test_crash_between_upload_and_delete_does_not_duplicate_or_rewrite(
    azurite: Azurite, tmp_path: Path, make_settings: Callable[..., ModuleSettings], vtest_frames: list[np.ndarray],
    step_clock: StepClock,
) -> None:
    settings = make_settings(storage_connection_string=azurite.connection_string, container="crash-test")
    buffer = PhotoBuffer(settings.buffer_dir, settings.buffer)
    photo = buffer.put(b"\xff\xd8 not really a jpeg \xff\xd9", settings.store_id, settings.camera_id, step_clock())
    assert photo is not None
    # The first run uploads the photo, then "crashes" before deleting it from the buffer.
    assert BlobUploader.from_settings(settings).upload(photo) == "uploaded"
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        etag = svc.get_blob_client("crash-test", photo.blob_name).get_blob_properties().etag

    restarted = EdgeModule(settings, clock=step_clock)
    outcomes: list[str] = []
    restarted.forwarder.on_uploaded = lambda p, outcome: outcomes.append(outcome)
    restarted.start()
    wait_until(lambda: restarted.buffer.count == 0, 20, "the leftover photo to be confirmed")
    restarted.stop()

    assert outcomes == ["already-there"]
    assert uploaded(azurite.connection_string, "crash-test") == [photo.blob_name]
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        props = svc.get_blob_client("crash-test", photo.blob_name).get_blob_properties()
    assert props.etag == etag, "the blob was not rewritten (no second blob-trigger event)"
    assert props.metadata == {"capturedat": photo.metadata["capturedat"], "cameraid": "C07", "kind": "frame"}
