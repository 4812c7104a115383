"""The camera simulator: a believable, deterministic day that follows the upload contract."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from footfall.azurite import Azurite
from footfall.simulate import (
    BlobTarget,
    FolderTarget,
    SimConfig,
    load_stores,
    pick_stores,
    plan_day,
    render_upload,
    simulate,
)
from footfall.simulate.schedule import intensity
from footfall.simulate.stores import UNKNOWN_STORE_ID
from functions.contracts import UploadPath, UploadPathError

DAY = date(2026, 11, 23)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_uploads_byte_for_byte(tmp_path: Path) -> None:
    config = SimConfig(photos=12, stores=4, broken=3, day=DAY, seed=11)
    simulate(config, FolderTarget(tmp_path / "a"))
    simulate(config, FolderTarget(tmp_path / "b"))
    simulate(config.model_copy(update={"seed": 12}), FolderTarget(tmp_path / "c"))

    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert len([n for n in a if not n.endswith(".metadata.json")]) == 15
    assert a == b
    assert a != c


def test_a_day_spans_several_regions_and_time_zones() -> None:
    stores = pick_stores(load_stores(), 8)
    assert len(stores) == 8
    assert len({s.region for s in stores}) == 8
    assert len({s.time_zone for s in stores}) >= 6


def test_photos_are_taken_in_opening_hours_local_time_busiest_at_lunch_and_after_work() -> None:
    manifest = plan_day(SimConfig(photos=4000, stores=8, broken=0, day=DAY), pick_stores(load_stores(), 8))
    by_store = {s.store_id: s for s in manifest.stores}
    hours = Counter()
    for upload in manifest.photos:
        local = upload.captured_at.astimezone(by_store[upload.store_id].tz)
        assert local.date() == DAY
        assert 8 <= local.hour < 20
        hours[local.hour] += 1
    assert hours[12] > 1.8 * hours[9] and hours[12] > 1.8 * hours[15]
    assert hours[17] > 1.8 * hours[9] and hours[17] > 1.8 * hours[15]
    assert intensity(7.99) == intensity(20.0) == 0.0
    # Busy hours also show more people per whole frame; a visit crop shows its one visitor.
    frames = [u for u in manifest.photos if u.photo_kind == "frame"]
    busy = [u.people for u in frames if u.captured_at.astimezone(by_store[u.store_id].tz).hour in (12, 17)]
    quiet = [u.people for u in frames if u.captured_at.astimezone(by_store[u.store_id].tz).hour in (8, 9)]
    assert sum(busy) / len(busy) > 1.5 * sum(quiet) / len(quiet)
    assert {u.people for u in manifest.visits} == {1} and 0.7 < len(manifest.visits) / len(manifest.photos) < 0.9


def test_uploads_follow_the_contract_and_the_broken_ones_break_it_on_purpose() -> None:
    stores = load_stores()
    manifest = plan_day(SimConfig(photos=40, stores=5, broken=6, day=DAY), pick_stores(stores, 5))
    assert Counter(u.kind for u in manifest.uploads) == {"photo": 40, "corrupt": 2, "bad_path": 2, "unknown_store": 2}
    known = {s.store_id for s in stores}
    for upload in manifest.uploads:
        if upload.kind == "bad_path":
            with pytest.raises(UploadPathError):
                UploadPath.parse(upload.blob_name, upload.metadata)
            continue
        parsed = UploadPath.parse(upload.blob_name, upload.metadata)
        assert parsed.blob_name() == upload.blob_name  # the canonical name
        assert (parsed.store_id, parsed.camera_id, parsed.captured_at) == (
            upload.store_id, upload.camera_id, upload.captured_at)
        assert upload.metadata["capturedat"].endswith("Z")
        assert (parsed.store_id in known) == (upload.kind != "unknown_store")
    assert {u.store_id for u in manifest.uploads if u.kind == "unknown_store"} == {UNKNOWN_STORE_ID}
    for upload in manifest.broken:
        if upload.kind == "corrupt":
            with pytest.raises(OSError):  # PIL.UnidentifiedImageError
                Image.open(io.BytesIO(render_upload(upload))).load()


def test_photos_are_640x480_jpegs_with_zero_to_six_people_some_showing_no_face() -> None:
    manifest = plan_day(SimConfig(photos=60, stores=4, broken=0, day=DAY), pick_stores(load_stores(), 4))
    people = Counter(u.people for u in manifest.photos if u.photo_kind == "frame")
    assert min(people) == 0 and max(people) >= 5 and max(people) <= 6
    assert any(0 < u.faces_visible < u.people for u in manifest.photos)  # someone facing away
    assert any(u.faces_visible == 0 for u in manifest.photos)
    for upload in manifest.photos[:12]:
        image = Image.open(io.BytesIO(render_upload(upload)))
        assert (image.format, image.size) == ("JPEG", (640, 480))


def test_uploads_reach_azurite_with_capture_metadata(azurite: Azurite) -> None:
    target = BlobTarget(azurite.connection_string, container="simtest-uploads")
    manifest = simulate(SimConfig(photos=8, stores=3, broken=3, day=DAY, seed=3), target)

    blobs = {b.name: b for b in target.container.list_blobs(include=["metadata"])}
    assert set(blobs) == {u.blob_name for u in manifest.uploads}
    for upload in manifest.uploads:
        blob = blobs[upload.blob_name]
        assert blob.metadata == {"capturedat": upload.metadata["capturedat"], "cameraid": upload.camera_id,
                                 "kind": upload.photo_kind}
        assert blob.content_settings.content_type == "image/jpeg"


def test_rate_paces_the_uploads(tmp_path: Path) -> None:
    started = time.monotonic()
    simulate(SimConfig(photos=10, stores=2, broken=0, day=DAY), FolderTarget(tmp_path), rate=20)
    assert time.monotonic() - started >= 9 / 20


def test_the_command_writes_a_folder_and_its_plan(tmp_path: Path) -> None:
    from footfall.cli import main

    assert main(["simulate", "--folder", str(tmp_path), "--photos", "5", "--broken", "3",
                 "--stores", "3", "--date", "2026-11-23", "--seed", "5"]) == 0
    plan = json.loads((tmp_path / "manifest.json").read_text())
    assert len(plan["uploads"]) == 8
    for upload in plan["uploads"]:
        assert (tmp_path / upload["blob_name"]).is_file()
        meta = json.loads((tmp_path / (upload["blob_name"] + ".metadata.json")).read_text())
        assert meta["cameraid"] == upload["camera_id"]
