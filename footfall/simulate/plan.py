"""The plan of a simulated day: which photo each camera uploads, when, and what it shows.

Planning is separate from rendering so the plan (the manifest) is cheap, deterministic for a
seed, and tells tests and the demo what to expect: every ``photo`` should become one event,
every broken upload one quarantined blob.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from footfall.simulate.schedule import capture_times, people_in_frame
from footfall.simulate.stores import UNKNOWN_STORE_ID, Store
from functions.contracts import PhotoKind, UploadPath, upload_metadata

UploadKind = Literal["photo", "corrupt", "bad_path", "unknown_store"]
BROKEN_KINDS: tuple[UploadKind, ...] = ("corrupt", "bad_path", "unknown_store")
ENTRANCE_CAMERA = "C01"
"""Photographs each visitor once as they come in (a visit crop); its line counts them (cameras.csv)."""
FRAME_CAMERA = "C02"
"""A camera that uploads whole frames, as cameras that only send photos do: its faces are sightings."""
VISIT_SHARE = 0.8
"""Share of the valid photos that are visit crops; the rest are whole frames."""
FACING_PROBABILITY = 0.8


class SimConfig(BaseModel):
    """What to simulate."""

    photos: int = Field(default=300, ge=0, description="Valid photos over all stores.")
    stores: int = Field(default=8, ge=1, description="How many stores, spread over regions.")
    broken: int = Field(default=6, ge=0, description="Deliberately broken uploads (cycled over the kinds).")
    day: date = Field(default_factory=lambda: datetime.now(UTC).date())
    seed: int = 7


class PlannedUpload(BaseModel):
    """One upload: where it goes, when it was captured, what it shows and how it should end."""

    index: int
    kind: UploadKind
    blob_name: str
    store_id: str
    camera_id: str
    captured_at: datetime
    photo_kind: PhotoKind = "frame"
    people: int = Field(ge=0, le=6)
    faces_visible: int = Field(ge=0, le=6)
    render_seed: int
    background_seed: int
    brightness: float

    @property
    def metadata(self) -> dict[str, str]:
        """Blob metadata as the edge module sets it: ``capturedat`` (ISO 8601 UTC), ``cameraid``, ``kind``."""
        return upload_metadata(self.captured_at, self.camera_id, self.photo_kind)

    @property
    def expected(self) -> Literal["event", "quarantine"]:
        """What the pipeline should make of it."""
        return "event" if self.kind == "photo" else "quarantine"


class Manifest(BaseModel):
    """The plan of a whole simulated day."""

    config: SimConfig
    stores: list[Store]
    uploads: list[PlannedUpload]

    @property
    def photos(self) -> list[PlannedUpload]:
        """The valid photos (each should become one event)."""
        return [u for u in self.uploads if u.kind == "photo"]

    @property
    def visits(self) -> list[PlannedUpload]:
        """The visit crops: one per simulated visitor."""
        return [u for u in self.uploads if u.kind == "photo" and u.photo_kind == "visit"]

    @property
    def broken(self) -> list[PlannedUpload]:
        """The broken uploads (each should be quarantined)."""
        return [u for u in self.uploads if u.kind != "photo"]


def _local_hour(ts: datetime, store: Store) -> float:
    local = ts.astimezone(store.tz)
    return local.hour + local.minute / 60


def plan_day(config: SimConfig, stores: list[Store]) -> Manifest:
    """Plan ``config.photos`` photos over ``stores`` plus ``config.broken`` broken uploads."""
    rng = np.random.default_rng(config.seed)
    shares = [int(n) for n in rng.multinomial(config.photos, np.full(len(stores), 1 / len(stores)))] if stores else []
    uploads: list[PlannedUpload] = []
    seq: dict[tuple[str, str], int] = {}

    def add(kind: UploadKind, store: Store, store_index: int, ts: datetime, store_id: str | None = None) -> None:
        visit = kind == "photo" and rng.random() < VISIT_SHARE
        camera = ENTRANCE_CAMERA if visit else FRAME_CAMERA
        camera_index = 0 if visit else 1
        sid = store_id or store.store_id
        seq[(sid, camera)] = seq.get((sid, camera), 0) + 1
        hour = _local_hour(ts, store)
        people = 1 if visit else people_in_frame(rng, hour)
        name = UploadPath(store_id=sid, camera_id=camera, captured_at=ts, seq=seq[(sid, camera)],
                          extension="jpg").blob_name()
        if kind == "bad_path":  # what a misconfigured camera might send
            name = f"{sid}/{camera} entrance/{ts:%Y-%m-%d}/snapshot_{ts:%H%M%S}.jpg"
        uploads.append(PlannedUpload(
            index=len(uploads), kind=kind, blob_name=name, store_id=sid, camera_id=camera, captured_at=ts,
            photo_kind="visit" if visit else "frame",
            people=people, faces_visible=int(rng.binomial(people, FACING_PROBABILITY)),
            render_seed=int(rng.integers(2**31)), background_seed=config.seed * 1000 + store_index * 10 + camera_index,
            brightness=float(0.92 + 0.1 * np.sin((hour - 8) / 12 * np.pi)),
        ))

    for store_index, (store, share) in enumerate(zip(stores, shares, strict=True)):
        for ts in capture_times(rng, config.day, store.tz, int(share)):
            add("photo", store, store_index, ts)
    for i in range(config.broken):
        store_index = i % len(stores)
        store = stores[store_index]
        (ts,) = capture_times(rng, config.day, store.tz, 1)
        kind = BROKEN_KINDS[i % len(BROKEN_KINDS)]
        add(kind, store, store_index, ts, store_id=UNKNOWN_STORE_ID if kind == "unknown_store" else None)
    uploads.sort(key=lambda u: (u.captured_at, u.index))
    return Manifest(config=config, stores=stores, uploads=uploads)
