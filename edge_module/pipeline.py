"""One camera's analysis: detect, drop exclusion zones, track, count, keep visit crops.

:meth:`CameraPipeline.process` takes a frame and returns what it produced: the CountEvents of the
minutes it closed, the visit crops now due, and the frame with its exclusion zones painted out
(the only image anything may encode). The pipeline is built for a frame size; a camera whose
frame size changes gets a new pipeline (its tracks and minute are closed first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from edge_module.config import CameraConfig, CountingConfig, TrackerConfig
from edge_module.counting import CameraCounter, outside_exclusions, paint_out, to_pixels
from edge_module.detection import PersonDetector
from edge_module.tracking import PersonTracker, TrackedPerson
from edge_module.visits import VisitCrop, VisitCropper
from functions.contracts import CountEvent


@dataclass
class FrameResult:
    """What one frame produced."""

    people: list[TrackedPerson]
    image: np.ndarray
    """The frame with the exclusion zones painted out."""
    events: list[CountEvent] = field(default_factory=list)
    visits: list[VisitCrop] = field(default_factory=list)
    detect_seconds: float = 0.0
    detected: int = 0
    """People detected outside the exclusion zones (tracked or not yet)."""


class CameraPipeline:
    """Detector, tracker, lines and zones, and visit crops of one camera."""

    def __init__(self, store_id: str, camera: CameraConfig, detector: PersonDetector, tracker: TrackerConfig,
                 counting: CountingConfig, width: int, height: int, visit_crops: bool = True,
                 visit_crop_after_s: float = 8.0) -> None:
        self.camera = camera
        self.size = (width, height)
        self.detector = detector
        self.tracker = PersonTracker(tracker, fps=camera.max_fps)
        self.counter = CameraCounter(store_id, camera, counting, width, height)
        self.exclusions = [to_pixels(p, width, height) for p in camera.exclusion_zones]
        wants_crops = visit_crops and camera.role == "entrance" and bool(camera.lines)
        self.cropper = VisitCropper(camera.id, visit_crop_after_s) if wants_crops else None
        self.track_ids: set[int] = set()

    def process(self, image: np.ndarray, captured_at: datetime, crops_allowed: bool = True) -> FrameResult:
        """Analyse one frame; ``crops_allowed`` is false outside opening hours (no crop is kept or due)."""
        t0 = time.perf_counter()
        found = self.detector.detect(image)
        detections = outside_exclusions(found, self.exclusions)
        seconds = time.perf_counter() - t0
        people = self.tracker.update(detections, captured_at.timestamp())
        self.track_ids.update(p.track_id for p in people)
        before = dict(self.counter.totals_in)
        events = self.counter.update(people, captured_at)
        excluded = [d for d in found if d not in detections]
        painted = paint_out(image, self.exclusions, excluded)
        visits: list[VisitCrop] = []
        if self.cropper is not None and crops_allowed:
            came_in = self._came_in(people, before)
            visits = self.cropper.update(painted, people, came_in, captured_at)
        return FrameResult(people=people, image=painted, events=events, visits=visits, detect_seconds=seconds,
                           detected=len(detections))

    def _came_in(self, people: list[TrackedPerson], before: dict[str, int]) -> set[int]:
        """Tracks that crossed a line ``in`` in this frame."""
        if self.counter.totals_in == before:
            return set()
        return {p.track_id for p in people if any(line.entered(p.track_id) for line in self.counter.lines)}

    def close(self, now: datetime | None = None, crops_allowed: bool = True) -> FrameResult:
        """The camera stops (or changes size): the open minute's CountEvent and the crops still due."""
        events = self.counter.close(now)
        visits = self.cropper.close() if self.cropper is not None and crops_allowed else []
        return FrameResult(people=[], image=np.zeros((0, 0, 3), np.uint8), events=events, visits=visits)

    @property
    def tracks_seen(self) -> int:
        """How many distinct tracks this pipeline has followed."""
        return len(self.track_ids)
