"""A store's own IoT Edge values: its device twin tags and its module twin's desired properties.

The fleet's deployment (edge_module/deployment.py) is the same for every store; what makes a
device *this* store is set once at onboarding, and again whenever its cameras change, from two
sources:

* the reference data (``stream_analytics/stores.csv``, ``cameras.csv``): where the store is (tags
  ``footfall.store``, ``region``, ``city``, ``country``, which the deployment and any pilot
  deployment target), its IANA time zone and opening hours, its cameras' ids, roles and zones;
* the store's camera file (:class:`StoreCameras`), what the installer measured on site: each
  camera's stream URL *without a password*, its lines, zones and exclusion zones, and optionally a
  week of hours finer than ``stores.csv``'s daily ones.

:func:`store_twin` checks that the two agree and that the result fits IoT Hub's twin limits
(:func:`twin_problems`), and returns the tags and the desired properties: every live setting of
the module (:data:`edge_module.config.LIVE_KEYS`) but its upload SAS, which the deploy workflow
writes, the ones not given set to ``null`` so the twin holds exactly this store's state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge_module.camera_credentials import has_password
from edge_module.config import CREDENTIAL_KEYS, LIVE_KEYS, CameraConfig, LiveConfig
from edge_module.hours import WeeklyHours
from functions.contracts import ID_PATTERN, CameraRecord, StoreRecord

TAG_ROOT = "footfall"
"""The device twin tags of a store live under ``tags.footfall``."""
TAGS_MAX_BYTES = 8 * 1024
"""IoT Hub: the tags section of a twin."""
PROPERTIES_MAX_BYTES = 32 * 1024
"""IoT Hub: the desired section, and the reported one, of a twin."""
VALUE_MAX_BYTES = 4 * 1024
"""IoT Hub and edgeHub: one property's value."""
MAX_DEPTH = 10
"""IoT Hub and edgeHub: nesting of objects and arrays in a twin section."""
NAME_MAX_BYTES = 1024
"""IoT Hub: a property name."""
FORBIDDEN_IN_NAMES = frozenset(".$# ")
"""Characters a twin property name may not hold (edgeHub also reserves ``#``)."""
NUMBER_BYTES, BOOL_BYTES = 8, 4
"""How IoT Hub counts a number and a boolean towards a twin's size."""


class StoreCameras(BaseModel):
    """A store's camera file: what the installer set up on site. Passwords stay on the device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: str = Field(pattern=ID_PATTERN, description="the store, as in stores.csv; also its device id")
    cameras: list[CameraConfig] = Field(min_length=1, description="every camera of the store (cameras.csv)")
    opening_hours: WeeklyHours | None = Field(
        default=None,
        description="a week finer than stores.csv's daily hours (e.g. Sunday closed); without it, stores.csv's hours",
    )

    @model_validator(mode="after")
    def _no_passwords(self) -> StoreCameras:
        leaked = [c.id for c in self.cameras if has_password(c.source)]
        if leaked:
            raise ValueError(f"cameras {leaked}: the stream URL carries a password; the twin is readable by every "
                             "IoT Hub reader, so the password goes into the device's camera credentials file")
        return self


class StoreTwin(BaseModel):
    """What onboarding writes to IoT Hub for one store."""

    model_config = ConfigDict(frozen=True)

    device_id: str = Field(description="the store's IoT Edge device: its id is the store id")
    tags: dict[str, Any] = Field(description="device twin tags (az iot hub device-twin update --tags)")
    desired: dict[str, Any] = Field(
        description="module twin desired properties of footfall-edge (az iot hub module-twin update --desired)",
    )


def store_tags(store: StoreRecord) -> dict[str, Any]:
    """The device twin tags of a store: where it is, for deployments' target conditions and queries."""
    return {TAG_ROOT: {"store": store.store_id, "region": store.region, "city": store.city, "country": store.country}}


def _check_against_reference(store_id: str, cameras: Sequence[CameraConfig], records: Sequence[CameraRecord]) -> None:
    listed = {r.camera_id: r for r in records if r.store_id == store_id}
    problems = []
    if missing := sorted(set(listed) - {c.id for c in cameras}):
        problems.append(f"cameras.csv lists {missing}, the camera file has no such camera")
    for camera in cameras:
        record = listed.get(camera.id)
        if record is None:
            problems.append(f"{camera.id}: not in cameras.csv for {store_id} (Stream Analytics would not know it)")
            continue
        if camera.role != record.role:
            problems.append(f"{camera.id}: role {camera.role}, cameras.csv says {record.role}")
        zones = sorted(z.name for z in camera.zones)
        if zones != sorted(record.zone_names):
            problems.append(f"{camera.id}: zones {zones}, cameras.csv says {sorted(record.zone_names)}")
        if camera.role == "entrance" and not camera.lines:
            problems.append(f"{camera.id}: an entrance camera without a line counts no visitor")
    if problems:
        raise ValueError(f"store {store_id}: " + "; ".join(problems))


def store_twin(
    cameras: StoreCameras, stores: Sequence[StoreRecord], camera_records: Sequence[CameraRecord],
) -> StoreTwin:
    """The store's tags and desired properties, checked against the reference data and IoT Hub's limits."""
    store = next((s for s in stores if s.store_id == cameras.store_id), None)
    if store is None:
        raise ValueError(f"store {cameras.store_id} is not in stores.csv")
    _check_against_reference(store.store_id, cameras.cameras, camera_records)
    hours = cameras.opening_hours or WeeklyHours.model_validate({"daily": store.opening_hours})
    live = LiveConfig(timezone=store.time_zone, opening_hours=hours, cameras=cameras.cameras)
    given = {"timezone", "opening_hours", "cameras"}
    dumped = live.model_dump(mode="json")
    # The upload SAS is the deploy workflow's to write (CREDENTIAL_KEYS): left as it is.
    desired = {key: (dumped[key] if key in given else None) for key in sorted(LIVE_KEYS - CREDENTIAL_KEYS)}
    tags = store_tags(store)
    problems = [*twin_problems(tags, TAGS_MAX_BYTES, "tags"), *twin_problems(desired, PROPERTIES_MAX_BYTES, "desired")]
    # What the module will report back (edgeHub checks reported properties by their JSON bytes).
    reported = {"config": live.reported(), "config_status": {"status": "applied", "desired_version": 1, "error": None}}
    problems += twin_problems(reported, PROPERTIES_MAX_BYTES, "reported", json_bytes=True)
    if problems:
        raise ValueError(f"store {store.store_id}: does not fit a twin: " + "; ".join(problems))
    return StoreTwin(device_id=store.store_id, tags=tags, desired=desired)


def twin_size(value: Any) -> int:
    """A twin section's size as IoT Hub counts it: every property's name and value, strings in
    characters, numbers 8 bytes, booleans 4, objects and arrays the sum of what they hold."""
    if isinstance(value, Mapping):
        return sum(len(str(k)) + twin_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(twin_size(v) for v in value)
    if isinstance(value, bool):
        return BOOL_BYTES
    if isinstance(value, int | float):
        return NUMBER_BYTES
    if isinstance(value, str):
        return sum(1 for ch in value if not _control(ch))
    return 0


def _control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, Any, int]]:
    yield path, value, depth
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, f"{path}/{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}/{i}", depth + 1)


def twin_problems(section: Mapping[str, Any], max_bytes: int, name: str, json_bytes: bool = False) -> list[str]:
    """Why ``section`` would be refused as a twin section (empty when it fits): its size (IoT Hub's
    count, or its JSON bytes as edgeHub counts reported properties), depth, names and values."""
    problems = []
    size = len(json.dumps(section, separators=(",", ":")).encode()) if json_bytes else twin_size(section)
    if size > max_bytes:
        problems.append(f"{name} is {size} bytes, more than {max_bytes}")
    for path, value, depth in _walk(section, name, 0):
        if isinstance(value, Mapping | list) and depth > MAX_DEPTH:
            problems.append(f"{path}: nested deeper than {MAX_DEPTH}")
        if isinstance(value, Mapping):
            for key in value:
                if len(str(key).encode()) > NAME_MAX_BYTES or set(str(key)) & FORBIDDEN_IN_NAMES:
                    problems.append(f"{path}: property name {key!r} is not allowed in a twin")
        if isinstance(value, list) and any(v is None for v in value):
            problems.append(f"{path}: an array holds null")
        if isinstance(value, str) and len(value.encode()) > VALUE_MAX_BYTES:
            problems.append(f"{path}: a value of {len(value.encode())} bytes, more than {VALUE_MAX_BYTES}")
    return problems
