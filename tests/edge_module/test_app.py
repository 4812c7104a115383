"""The module counting a store entrance: synthetic clips with known people, through the real
detector, ByteTrack, the exclusion zone and the door line, to CountEvents and visit crops.

The clip is the demo's entrance camera (:mod:`footfall.simulate.entrance`): visitors walk in
towards the camera (facing it) and out away from it; a member of staff in a red top paces back and
forth across the door line behind the till, inside the exclusion zone, the whole time. Staff wear
pure magenta, a colour nothing else in the scene has (visitors' clothes and the shelves' products are
drawn from channel values 20..230).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from azure.storage.blob import BlobServiceClient
from edge_helpers import decode

from edge_module.app import EdgeModule
from edge_module.camera import Frame
from edge_module.config import ModuleSettings
from footfall.azurite import Azurite
from footfall.simulate.entrance import DETECTOR, ENTRANCE_CAMERA_CONFIG, FPS, WALK_S, Walker, render, staff_foot
from footfall.simulate.figures import Appearance
from footfall.simulate.scene import background
from functions.contracts import CountEvent, UploadPath
from functions.sinks.local_log import read_counts

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MAGENTA = (255, 0, 255)
STAFF = Appearance(seed=11, top=MAGENTA, trousers=MAGENTA, skin=(200, 160, 140), hair=(30, 20, 10), build=1.0)


def visitors(n_in: int, n_out: int) -> list[Walker]:
    rng = np.random.default_rng(5)
    walks = []
    for i in range(n_in):
        look = Appearance.random(rng)
        x = 0.3 if i == 0 else 0.35 + 0.5 * ((i * 0.37) % 1)  # the first walks in right beside the till
        walks.append(Walker(2 + 5.0 * i, WALK_S, (x, 0.36), (x + 0.02, 0.99), look, True))
    for i in range(n_out):
        look = Appearance.random(rng)
        x = 0.4 + 0.4 * ((i * 0.53) % 1)
        walks.append(Walker(4.5 + 7.0 * i, WALK_S, (x, 0.99), (x, 0.36), look, False))
    return walks


@pytest.fixture(scope="module")
def store_run(tmp_path_factory: pytest.TempPathFactory, azurite: Azurite) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("store")
    container = "edge-visitors"
    walks = visitors(6, 2)
    settings = ModuleSettings(
        store_id="S0042", buffer_dir=tmp / "buffer", use_hub="no", storage_connection_string=azurite.connection_string,
        container=container, counts_event_log=tmp / "events", cameras=[ENTRANCE_CAMERA_CONFIG], detector=DETECTOR,
        capture={"visit_crop_after_s": 3.0}, backoff_initial_s=0.2, backoff_max_s=1.0,
    )
    module = EdgeModule(settings, clock=lambda: START + timedelta(minutes=5)).start()
    scene = background(3)
    frames = int(40 * FPS)
    from footfall.simulate import entrance

    for i in range(frames):
        t = i / FPS
        # Pacing behind the till; while the first visitor passes, standing right beside their head.
        image = render(scene, walks, STAFF, t, staff_at=lambda t: (0.2, 0.75) if t < 6 else staff_foot(t))
        module.process(Frame(image=image, captured_at=START + timedelta(seconds=t), index=i))
    pending_tracks = [s.pipeline.tracker for s in module.cameras.values() if s.pipeline is not None]
    module.stop(drain_timeout_s=20)
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        cc = svc.get_container_client(container)
        blobs = {b.name: (dict(b.metadata), cc.download_blob(b.name).readall())
                 for b in cc.list_blobs(include=["metadata"])}
    assert entrance.TILL == ENTRANCE_CAMERA_CONFIG.exclusion_zones[0]
    return {"module": module, "tmp": tmp, "blobs": blobs, "events": list(read_counts(tmp / "events")),
            "had_tracks": bool(pending_tracks)}


def test_every_visitor_in_and_out_is_counted_exactly_and_staff_behind_the_till_add_nothing(
    store_run: dict[str, object],
) -> None:
    events: list[CountEvent] = store_run["events"]
    assert events and {e.camera_id for e in events} == {"C01"}
    entries = sum(line.entries for e in events for line in e.lines)
    exits = sum(line.exits for e in events for line in e.lines)
    assert (entries, exits) == (6, 2)
    assert len({e.event_id for e in events}) == len(events), "one CountEvent per camera minute"


def test_one_visit_crop_per_visitor_each_showing_one_person(store_run: dict[str, object]) -> None:
    blobs: dict[str, tuple[dict[str, str], bytes]] = store_run["blobs"]
    assert len(blobs) == 6, "one crop per visitor who came in; nobody who only left"
    faces = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    for name, (metadata, data) in blobs.items():
        path = UploadPath.parse(name, metadata)
        assert path.kind == "visit" and metadata["kind"] == "visit"
        image = decode(data)
        assert image.shape[0] <= 240 and image.shape[1] <= 240, "a head-and-shoulders crop, not the scene"
        found = faces.detectMultiScale(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(20, 20))
        assert len(found) <= 1


def test_nobody_inside_the_exclusion_zone_is_ever_photographed(store_run: dict[str, object]) -> None:
    blobs: dict[str, tuple[dict[str, str], bytes]] = store_run["blobs"]
    for _, data in blobs.values():
        image = decode(data).astype(int)
        magenta = (image[:, :, 2] > 235) & (image[:, :, 1] < 40) & (image[:, :, 0] > 235)
        assert magenta.sum() < 5, "the member of staff is in a crop"


def test_nothing_of_a_track_survives_the_process(store_run: dict[str, object]) -> None:
    module: EdgeModule = store_run["module"]
    tmp: Path = store_run["tmp"]
    assert store_run["had_tracks"]
    assert all(s.pipeline is None for s in module.cameras.values()), "stopping drops every tracker"
    for path in tmp.rglob("*"):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix == ".jsonl":  # the local event log: CountEvents only, which cannot hold an id or a box
            for line in path.read_text().splitlines():
                data = json.loads(line)
                data.pop("EventEnqueuedUtcTime"), data.pop("PartitionKey")
                CountEvent.model_validate(data)
        else:
            pytest.fail(f"{path} was left behind")


def test_count_events_wait_in_the_buffer_without_a_destination(
    tmp_path: Path, make_settings: Callable[..., ModuleSettings], azurite: Azurite,
) -> None:
    settings = make_settings(storage_connection_string=azurite.connection_string, cameras=[ENTRANCE_CAMERA_CONFIG],
                             detector=DETECTOR)
    module = EdgeModule(settings, clock=lambda: START).start()
    scene = background(3)
    for i in range(8):
        module.process(Frame(image=render(scene, [], STAFF, i / FPS), captured_at=START + timedelta(seconds=i),
                             index=i))
    module.stop(drain_timeout_s=1)
    (only,) = module.count_buffer.pending()
    event = CountEvent.from_json(only.read_bytes())
    assert event.frames == 8 and event.lines[0].entries == 0
