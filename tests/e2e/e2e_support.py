"""Helpers shared by the end-to-end tests (a module with a unique name, unlike ``conftest``)."""

from __future__ import annotations

import json
from pathlib import Path

from footfall.paths import REPO_ROOT
from footfall.simulate import Manifest
from functions.contracts import FrameEvent, utc_iso_seconds
from functions.sinks.local_log import LogRecord

STORES_CSV = REPO_ROOT / "stream_analytics" / "stores.csv"


def read_event_lines(events_dir: Path) -> list[FrameEvent]:
    """Every line of the local event log, duplicates included."""
    return [LogRecord.from_line(line).event for path in sorted(events_dir.glob("frames-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def photo_key(store_id: str, camera_id: str, captured_at: object) -> tuple[str, str, str]:
    """What ties an event back to the photo it came from (the event has no blob name)."""
    return store_id, camera_id, utc_iso_seconds(captured_at)


def expected_faces(manifest: Manifest) -> dict[tuple[str, str, str], int]:
    """Faces facing the camera in each valid photo of the plan."""
    return {photo_key(u.store_id, u.camera_id, u.captured_at): u.faces_visible for u in manifest.photos}


def dump(path: Path, data: object) -> None:
    """Keep something for people to look at."""
    path.write_text(json.dumps(data, indent=1, default=str))
