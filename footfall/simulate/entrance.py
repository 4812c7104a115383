"""The entrance camera of each simulated store, filmed and counted by the real edge code.

Every planned visitor (:func:`footfall.simulate.counts.plan_visits`) walks through the door of
their store twice: in (from the back of the entrance towards the camera, facing it) when they
enter, and out (away from the camera) when they leave. A member of staff paces behind the till all
day, back and forth across the line, inside the camera's exclusion zone. The entrance is filmed at
:data:`FPS` frames per second while anyone walks through it (plus one empty frame at opening);
the frames go through the edge module's :class:`~edge_module.pipeline.CameraPipeline`: the person
detector, ByteTrack, the exclusion zone and the door line. Its CountEvents are what the demo
reports: visitors are **measured** by the edge code, and the plan is the ground truth they are
compared against.

The camera's configuration (:data:`ENTRANCE_CAMERA_CONFIG`) is an ordinary edge camera: a
horizontal line ``door`` across the entrance drawn left to right, so walking down the image (into
the store) is ``in``, and the till as an exclusion zone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np
from PIL import Image

from edge_module.config import CameraConfig, CountingConfig, DetectorConfig, LineConfig, TrackerConfig
from footfall.simulate.counts import ENTRANCE_LINE, Visit
from footfall.simulate.figures import Appearance, draw_person
from footfall.simulate.plan import ENTRANCE_CAMERA, Manifest
from footfall.simulate.scene import HEIGHT, WIDTH, background
from footfall.simulate.schedule import CLOSE_HOUR, OPEN_HOUR
from footfall.simulate.stores import Store
from functions.contracts import CountEvent

FPS = 4.0
"""Frames per second the simulated entrance camera is analysed at."""
WALK_S = 2.5
"""How long a walk through the entrance takes, from the back of the view to the front."""
TILL = [(0.0, 0.3), (0.24, 0.3), (0.24, 1.0), (0.0, 1.0)]
ENTRANCE_CAMERA_CONFIG = CameraConfig(
    id=ENTRANCE_CAMERA, source="simulated", role="entrance",
    lines=[LineConfig(name=ENTRANCE_LINE, p1=(0.1, 0.62), p2=(0.95, 0.62))], exclusion_zones=[TILL], max_fps=FPS,
)
DETECTOR = DetectorConfig(centernet_input_width=320)
"""People are 160-320 px tall in these 640x480 frames: 320 px wide input is plenty and 2.5 times as fast."""
BACK_Y, FRONT_Y = 0.36, 0.99


@dataclass(frozen=True)
class Walker:
    """One person's straight walk through the view (normalised coordinates)."""

    start: float
    """Seconds since the store's opening."""
    duration: float
    src: tuple[float, float]
    dst: tuple[float, float]
    look: Appearance
    facing: bool

    def foot(self, t: float) -> tuple[float, float] | None:
        """Where the walker stands at ``t`` (normalised), or ``None`` out of view."""
        if not self.start <= t <= self.start + self.duration:
            return None
        k = (t - self.start) / self.duration
        return (self.src[0] + (self.dst[0] - self.src[0]) * k, self.src[1] + (self.dst[1] - self.src[1]) * k)


def height_at(y: float) -> float:
    """A person's height in pixels with their feet at normalised ``y`` (nearer is bigger)."""
    return HEIGHT * (0.34 + 0.32 * (y - BACK_Y) / (FRONT_Y - BACK_Y))


def staff_foot(t: float) -> tuple[float, float]:
    """The member of staff behind the till: pacing across the door line, inside the exclusion zone."""
    return (0.12 + 0.05 * math.sin(t / 9.0), 0.62 + 0.16 * math.sin(t / 4.0))


def walkers(visits: Sequence[Visit], opening: datetime, span_s: float, rng: np.random.Generator) -> list[Walker]:
    """Two walks per visit: in when they enter (towards the camera), out when they leave.

    A walk is centred on its crossing time, but kept inside opening hours: the first visitor of
    the day walks in just after opening, the last walks out just before closing (the camera
    only looks while the store is open).
    """
    out = []
    for visit in visits:
        look = Appearance.random(rng)
        x_in, x_out = float(rng.uniform(0.32, 0.88)), float(rng.uniform(0.32, 0.88))
        drift = float(rng.uniform(-0.05, 0.05))
        entered = (visit.entered - opening).total_seconds()
        left = (visit.left - opening).total_seconds()
        # The crossing happens at the visit's time: the walk is centred on the line.
        first, last = 0.5, span_s - WALK_S - 0.5
        start_in = min(max(entered - WALK_S * 0.45, first), last)
        start_out = min(max(left - WALK_S * 0.55, first), last)
        out.append(Walker(start_in, WALK_S, (x_in, BACK_Y), (x_in + drift, FRONT_Y), look, True))
        out.append(Walker(start_out, WALK_S, (x_out + drift, FRONT_Y), (x_out, BACK_Y), look, False))
    return out


def frame_times(walks: Sequence[Walker], span_s: float) -> Iterator[float]:
    """Frame times (seconds since opening): every 1/FPS s while anyone walks, and one at opening."""
    yield 0.0
    windows = sorted((max(0.0, w.start), min(span_s, w.start + w.duration)) for w in walks)
    t = 1.0 / FPS
    for start, end in windows:
        t = max(t, math.ceil(start * FPS) / FPS)
        while t <= end:
            yield t
            t += 1.0 / FPS


def render(scene: Image.Image, walks: Sequence[Walker], staff: Appearance, t: float,
           staff_at: Callable[[float], tuple[float, float]] = staff_foot) -> np.ndarray:
    """The entrance at ``t``: the scene, the staff member, and everyone walking (far ones first), as BGR."""
    image = scene.copy()
    people = [(staff_at(t), staff, True)] + [(f, w.look, w.facing) for w in walks if (f := w.foot(t)) is not None]
    for (x, y), look, facing in sorted(people, key=lambda p: p[0][1]):
        draw_person(image, (x * WIDTH, y * HEIGHT), height_at(y), look, facing, phase=t * 7.0 + look.seed % 7)
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


def measure_store(store: Store, day: datetime, visits: Sequence[Visit], seed: int) -> list[CountEvent]:
    """Film one store's entrance over its day and count it with the edge pipeline: its CountEvents."""
    from edge_module.detection import build_detector
    from edge_module.pipeline import CameraPipeline

    opening = datetime.combine(day.date(), time(OPEN_HOUR), tzinfo=store.tz)
    closing = datetime.combine(day.date(), time(CLOSE_HOUR), tzinfo=store.tz)
    rng = np.random.default_rng(seed)
    span = (closing - opening).total_seconds()
    active = walkers(visits, opening, span, rng)
    staff = Appearance.random(rng)
    scene = background(seed)
    pipeline = CameraPipeline(store.store_id, ENTRANCE_CAMERA_CONFIG, build_detector(DETECTOR), TrackerConfig(),
                              CountingConfig(), WIDTH, HEIGHT, visit_crops=False)
    events: list[CountEvent] = []
    for t in frame_times(active, span):
        captured = (opening + timedelta(seconds=t)).astimezone(UTC)
        events += pipeline.process(render(scene, active, staff, t), captured).events
    events += pipeline.close(closing.astimezone(UTC) - timedelta(seconds=1)).events
    return events


def _measure(args: tuple[Store, datetime, list[Visit], int]) -> list[CountEvent]:
    return measure_store(*args)


def measure_entrances(manifest: Manifest, visits: Sequence[Visit], workers: int = 2) -> list[CountEvent]:
    """The entrance cameras' CountEvents of every store of the day, measured (stores in parallel processes)."""
    day = datetime.combine(manifest.config.day, time(), tzinfo=UTC)
    jobs = [(store, day, [v for v in visits if v.store_id == store.store_id],
             manifest.config.seed * 1000 + i * 10) for i, store in enumerate(manifest.stores)]
    if workers <= 1 or len(jobs) <= 1:
        return [e for job in jobs for e in _measure(job)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [e for events in pool.map(_measure, jobs) for e in events]
