"""``footfall edge-store``: onboard a store, or change its cameras, in IoT Hub.

Reads the store's camera file (edge_module/examples/S0001.cameras.json shows one), checks it
against ``stores.csv`` and ``cameras.csv`` and IoT Hub's twin limits, writes the device twin tags
and the module twin desired properties as JSON, and prints the ``az`` commands that apply them
(signed in with Entra ID: the hub has no shared access keys). Nothing here reaches the network.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from pydantic import ValidationError

from edge_module.deployment import MODULE_NAME
from edge_module.store_twin import PROPERTIES_MAX_BYTES, TAGS_MAX_BYTES, StoreCameras, store_twin, twin_size
from edge_module.validation_errors import without_input
from footfall.powerbi.project import DEFAULT_CAMERAS_CSV, load_cameras
from footfall.simulate.stores import DEFAULT_STORES_CSV, load_stores


def main(argv: list[str]) -> int:
    """Write ``<store>.tags.json`` and ``<store>.desired.json``; 2 when the store does not check out."""
    parser = argparse.ArgumentParser(
        prog="footfall edge-store",
        description="A store's IoT Hub values: device twin tags and footfall-edge's desired properties (cameras, "
        "time zone, opening hours), from its camera file and the reference data.",
    )
    parser.add_argument("cameras", type=Path, help="the store's camera file (JSON, see edge_module/examples)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the two JSON files (default: here)")
    parser.add_argument("--hub", default="$HUB", help="IoT Hub name for the printed az commands")
    parser.add_argument("--stores-csv", type=Path, default=DEFAULT_STORES_CSV)
    parser.add_argument("--cameras-csv", type=Path, default=DEFAULT_CAMERAS_CSV)
    args = parser.parse_args(argv)
    try:
        cameras = StoreCameras.model_validate_json(args.cameras.read_text(encoding="utf-8"))
        twin = store_twin(cameras, load_stores(args.stores_csv), load_cameras(args.cameras_csv))
    except ValidationError as exc:  # without the input: it could hold a camera's password
        print(f"footfall edge-store: {without_input(exc)}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"footfall edge-store: {exc}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    tags_file = args.out / f"{twin.device_id}.tags.json"
    desired_file = args.out / f"{twin.device_id}.desired.json"
    tags_file.write_text(json.dumps(twin.tags, indent=2) + "\n", encoding="utf-8")
    desired_file.write_text(json.dumps(twin.desired, indent=2) + "\n", encoding="utf-8")
    hub, device = shlex.quote(args.hub) if args.hub != "$HUB" else '"$HUB"', shlex.quote(twin.device_id)
    common = f"--hub-name {hub} --device-id {device} --auth-type login"
    print(f"store {twin.device_id}: {len(cameras.cameras)} cameras; tags {twin_size(twin.tags)} of {TAGS_MAX_BYTES} "
          f"bytes, desired properties {twin_size(twin.desired)} of {PROPERTIES_MAX_BYTES} (IoT Hub's count)")
    print("# once, when the store is onboarded (the device then gets the fleet's deployment):")
    print(f"az iot hub device-identity create {common} --edge-enabled")
    print(f"az iot hub module-identity create {common} --module-id {MODULE_NAME}")
    print("# at onboarding and whenever the store's cameras or hours change:")
    print(f"az iot hub device-twin update {common} --tags @{shlex.quote(str(tags_file))}")
    print(f"az iot hub module-twin update {common} --module-id {MODULE_NAME} "
          f"--desired @{shlex.quote(str(desired_file))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
