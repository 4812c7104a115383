"""``footfall count``: detection, tracking and counting over a video or a folder of frames, offline.

    footfall count --source VIDEO_OR_FOLDER --line x1,y1,x2,y2 [--line ...] [--zone x1,y1,x2,y2,x3,y3,...]
                   [--exclude x1,y1,...] [--fps N] [--json]

Coordinates are fractions of the frame (0..1; ``0,0.5,1,0.5`` is a horizontal line across the
middle drawn left to right) or, when any value is above 1, pixels. Direction as everywhere in
footfall: ``in`` is a crossing from the side where ``cross(p2 - p1, p - p1) < 0`` to the side
where it is ``> 0`` (y down), so ``in`` is downwards for a line drawn left to right and leftwards
for a line drawn top to bottom. ``--fps N`` analyses N frames per second of video (default: every
frame; for a folder, the frames are taken to be N per second, default 10). The same detector,
tracker, hysteresis and zone rules as the edge module (its configuration file's ``detector``,
``tracker`` and ``counting`` sections via ``--config``).

With ``--json`` it prints one JSON object: ``{"frames": N, "tracks": N, "lines": [{"line":
"x1,y1,x2,y2", "in": N, "out": N}, ...], "zones": [{"zone": "...", "visits": N, "dwell_s": S,
"occupancy_max": N}, ...]}``, lines and zones in the order given. Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_module.camera import IMAGE_SUFFIXES
from edge_module.config import CameraConfig, LineConfig, ZoneConfig, load_settings
from edge_module.detection import build_detector
from edge_module.pipeline import CameraPipeline

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def parse_points(text: str, minimum: int) -> list[tuple[float, float]]:
    """``x1,y1,x2,y2,...`` as points; raises ``ValueError`` naming the problem."""
    values = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    if len(values) % 2 or len(values) < 2 * minimum:
        raise ValueError(f"{text!r}: need at least {minimum} points as x,y pairs")
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def normalise(points: list[tuple[float, float]], width: int, height: int) -> list[tuple[float, float]]:
    """Pixel points to fractions of the frame, unless they already are fractions."""
    if all(0 <= x <= 1 and 0 <= y <= 1 for x, y in points):
        return points
    return [(min(1.0, max(0.0, x / width)), min(1.0, max(0.0, y / height))) for x, y in points]


def source_fps(source: Path, fps: float | None) -> float:
    """The rate frames will be analysed at: ``fps``, else the video's own, else 10 (a folder)."""
    if fps:
        if source.is_dir():
            return fps
        native = cv2.VideoCapture(str(source)).get(cv2.CAP_PROP_FPS) or 25.0
        return native / max(1, round(native / fps))
    if source.is_dir():
        return 10.0
    return cv2.VideoCapture(str(source)).get(cv2.CAP_PROP_FPS) or 25.0


def frames(source: Path, fps: float | None) -> Iterator[tuple[np.ndarray, float]]:
    """``(frame, seconds since start)`` of a video (every frame, or about ``fps`` per second) or a folder."""
    if source.is_dir():
        rate = fps or 10.0
        paths = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for i, path in enumerate(paths):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                yield image, i / rate
        return
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise OSError(f"cannot open video {source}")
    native = cap.get(cv2.CAP_PROP_FPS) or 25.0
    step = max(1, round(native / fps)) if fps else 1
    index = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                return
            if index % step == 0:
                yield image, index / native
            index += 1
    finally:
        cap.release()


def count(source: Path, lines: list[str], zones: list[str], exclusions: list[str], fps: float | None,
          config: Path | None = None) -> dict[str, Any]:
    """Run detection, tracking and counting over ``source``; the JSON-ready result."""
    settings = load_settings(config) if config else None
    live = settings.live() if settings else None
    from edge_module.config import CountingConfig, DetectorConfig, TrackerConfig

    detector = build_detector(live.detector if live else DetectorConfig())
    line_points = [parse_points(text, 2)[:2] for text in lines]
    zone_points = [parse_points(text, 3) for text in zones]
    exclusion_points = [parse_points(text, 3) for text in exclusions]
    pipeline: CameraPipeline | None = None
    analysed = 0
    for image, seconds in frames(source, fps):
        if pipeline is None:
            h, w = image.shape[:2]
            camera = CameraConfig(
                id="offline", source=str(source),
                lines=[LineConfig(name=f"line{i}", p1=p[0], p2=p[1])
                       for i, p in enumerate(normalise(q, w, h) for q in line_points)],
                zones=[ZoneConfig(name=f"zone{i}", polygon=normalise(q, w, h)) for i, q in enumerate(zone_points)],
                exclusion_zones=[normalise(q, w, h) for q in exclusion_points],
                max_fps=source_fps(source, fps),
            )
            pipeline = CameraPipeline(
                "offline", camera, detector, live.tracker if live else TrackerConfig(),
                live.counting if live else CountingConfig(), w, h, visit_crops=False,
            )
        pipeline.process(image, EPOCH + timedelta(seconds=seconds))
        analysed += 1
    if pipeline is None:
        raise OSError(f"no frames in {source}")
    pipeline.close()
    counter = pipeline.counter
    return {
        "frames": analysed,
        "tracks": pipeline.tracks_seen,
        "lines": [{"line": text, "in": counter.totals_in[f"line{i}"], "out": counter.totals_out[f"line{i}"]}
                  for i, text in enumerate(lines)],
        "zones": [{"zone": text, "visits": counter.zone_visits[f"zone{i}"],
                   "dwell_s": round(counter.zone_dwell[f"zone{i}"], 1),
                   "occupancy_max": counter.zone_occupancy_max[f"zone{i}"]}
                  for i, text in enumerate(zones)],
    }


def main(argv: list[str]) -> int:
    """``footfall count``: 0 on success, 2 on bad arguments or an unreadable source."""
    parser = argparse.ArgumentParser(prog="footfall count", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, type=Path, help="a video file or a folder of frames")
    parser.add_argument("--line", action="append", default=[], help="x1,y1,x2,y2 (repeatable)")
    parser.add_argument("--zone", action="append", default=[], help="x1,y1,x2,y2,x3,y3,... (repeatable)")
    parser.add_argument("--exclude", action="append", default=[], help="an exclusion zone polygon (repeatable)")
    parser.add_argument("--fps", type=float, default=None, help="frames per second to analyse")
    parser.add_argument("--config", type=Path, default=None, help="edge module JSON config (detector, tracker)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = count(args.source, args.line, args.zone, args.exclude, args.fps, args.config)
    except (ValueError, OSError) as exc:
        print(f"footfall count: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['frames']} frames, {result['tracks']} tracks")
        for line in result["lines"]:
            print(f"line {line['line']}: in {line['in']}, out {line['out']}")
        for zone in result["zones"]:
            print(f"zone {zone['zone']}: {zone['visits']} visits, {zone['dwell_s']} s, at most {zone['occupancy_max']}")
    return 0
