"""A store's device twin tags and module twin desired properties: from its camera file and the reference data,
checked against both and against IoT Hub's twin limits, and what the module then runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from edge_helpers import REPO

from edge_module.config import LIVE_KEYS, LiveConfig
from edge_module.hours import WeeklyHours
from edge_module.store_twin import (
    PROPERTIES_MAX_BYTES,
    StoreCameras,
    store_twin,
    twin_problems,
    twin_size,
)
from footfall.powerbi.project import load_cameras
from footfall.simulate.stores import load_stores
from functions.contracts import CameraRecord

EXAMPLE = REPO / "edge_module" / "examples" / "S0001.cameras.json"


def example(**changes: Any) -> dict[str, Any]:
    data = json.loads(EXAMPLE.read_text())
    data.update(changes)
    return data


def twin_of(data: dict[str, Any], records: list[CameraRecord] | None = None):
    return store_twin(StoreCameras.model_validate(data), load_stores(), records or load_cameras())


def test_the_example_store_becomes_tags_and_desired_properties_the_module_applies() -> None:
    twin = twin_of(example())
    assert twin.device_id == "S0001"
    assert twin.tags == {"footfall": {"store": "S0001", "region": "US Northeast", "city": "New York", "country": "US"}}
    assert set(twin.desired) == LIVE_KEYS - {"storage_sas_token"}, "every live setting is named, but the SAS"
    assert "storage_sas_token" in LIVE_KEYS, "which the deploy workflow writes, and onboarding must not clear"
    assert {k for k, v in twin.desired.items() if v is not None} == {"timezone", "opening_hours", "cameras"}
    live = LiveConfig().patched(twin.desired)  # what the module does with its twin's desired properties
    assert live.timezone == "America/New_York"  # stores.csv
    assert live.opening_hours == WeeklyHours.model_validate({"daily": "08:00-20:00", "sun": "10:00-18:00"})
    assert [(c.id, c.role, [z.name for z in c.zones]) for c in live.cameras] == [
        ("C01", "entrance", []), ("C02", "zone", ["womenswear", "menswear"]), ("C03", "zone", ["tills"])]


def test_without_a_week_of_its_own_the_store_keeps_stores_csv_hours() -> None:
    data = example()
    del data["opening_hours"]
    hours = WeeklyHours.model_validate(twin_of(data).desired["opening_hours"])
    assert hours == WeeklyHours.model_validate({"daily": "08:00-20:00"})  # stores.csv's S0001


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["cameras"].pop(), r"cameras.csv lists \['C03'\]"),
    (lambda d: d["cameras"].append({**d["cameras"][2], "id": "C09"}), "C09: not in cameras.csv"),
    (lambda d: d["cameras"][0].update(role="zone"), "C01: role zone, cameras.csv says entrance"),
    (lambda d: d["cameras"][1]["zones"].pop(), r"C02: zones \['womenswear'\], cameras.csv says"),
    (lambda d: d["cameras"][0].update(lines=[]), "entrance camera without a line"),
    (lambda d: d.update(store_id="S0999"), "S0999 is not in stores.csv"),
])
def test_the_camera_file_must_agree_with_the_reference_data(change: Any, message: str) -> None:
    data = example()
    change(data)
    with pytest.raises(ValueError, match=message):
        twin_of(data)


def test_a_password_never_reaches_the_twin() -> None:
    data = example()
    data["cameras"][0]["source"] = "rtsp://admin:hunter2@10.20.1.11:554/stream1"
    with pytest.raises(ValueError, match="camera credentials file"):
        StoreCameras.model_validate(data)


def busy_store(cameras: int) -> tuple[dict[str, Any], list[CameraRecord]]:
    """A large store: an entrance with two doors, and zone cameras each watching four 8-point zones."""
    octagon = [[0.1, 0.1], [0.2, 0.05], [0.3, 0.1], [0.35, 0.2], [0.3, 0.3], [0.2, 0.35], [0.1, 0.3], [0.05, 0.2]]
    till = [[0.8, 0.2], [1.0, 0.2], [1.0, 1.0], [0.8, 1.0], [0.8, 0.6], [0.75, 0.4]]
    cams: list[dict[str, Any]] = [{
        "id": "C01", "source": "rtsp://10.20.1.11:554/Streaming/Channels/101", "role": "entrance", "max_fps": 10,
        "lines": [{"name": "door-east", "p1": [0.05, 0.6], "p2": [0.48, 0.6]},
                  {"name": "door-west", "p1": [0.52, 0.6], "p2": [0.95, 0.6]}],
        "exclusion_zones": [till, till]}]
    records = [CameraRecord(store_id="S0001", camera_id="C01", role="entrance")]
    for n in range(2, cameras + 1):
        zones = [{"name": f"department-{n:02d}-{z}", "polygon": octagon} for z in range(4)]
        cams.append({"id": f"C{n:02d}", "source": f"rtsp://10.20.1.{10 + n}:554/Streaming/Channels/101",
                     "role": "zone", "max_fps": 5, "zones": zones, "exclusion_zones": [till]})
        records.append(CameraRecord(store_id="S0001", camera_id=f"C{n:02d}", role="zone",
                                    zones=";".join(z["name"] for z in zones)))
    return {"store_id": "S0001", "cameras": cams}, records


def test_a_store_of_ten_busy_cameras_fits_a_module_twin_several_times_over() -> None:
    data, records = busy_store(10)
    twin = twin_of(data, records)
    size = twin_size(twin.desired)
    print(f"10 busy cameras: desired properties {size} bytes of {PROPERTIES_MAX_BYTES} (IoT Hub's count)")
    assert size < PROPERTIES_MAX_BYTES / 3


def test_a_store_too_large_for_a_twin_is_refused_before_it_reaches_iot_hub() -> None:
    data, records = busy_store(48)
    with pytest.raises(ValueError, match=r"desired is \d+ bytes, more than 32768"):
        twin_of(data, records)


def test_twin_size_counts_as_iot_hub_does() -> None:
    # names and strings by characters, numbers 8 bytes, booleans 4, nested objects and arrays by what they hold
    section = {"a": "xyz", "n": 1, "b": True, "o": {"k": "v"}, "l": [1.5, "ab"]}
    assert twin_size(section) == (1 + 3) + (1 + 8) + (1 + 4) + (1 + 1 + 1) + (1 + 8 + 2)


def test_twin_problems_name_what_iot_hub_and_edge_hub_refuse() -> None:
    deep: dict[str, Any] = {"v": 1}
    for _ in range(11):
        deep = {"x": deep}
    section = {"bad.name": 1, "list": [1, None], "long": "x" * 4097, **deep}
    problems = " | ".join(twin_problems(section, PROPERTIES_MAX_BYTES, "desired"))
    assert "'bad.name' is not allowed" in problems
    assert "desired/list: an array holds null" in problems
    assert "desired/long: a value of 4097 bytes" in problems
    assert "nested deeper than 10" in problems
    assert twin_problems({"x": "y" * 40_000}, PROPERTIES_MAX_BYTES, "desired")[0].startswith("desired is 40001 bytes")

