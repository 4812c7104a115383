"""Tracking people from frame to frame with ByteTrack (roboflow ``trackers``, Apache-2.0).

Track ids exist only in this process's memory: they are never written, logged, sent or put in a
file name, and a new :class:`PersonTracker` (a restart, a new camera) starts from nothing.
Detections go in as ``supervision`` detections (MIT) with their scores, so ByteTrack's second,
low-score association stage keeps a person through a frame where the detector was unsure.
Frame times are given to the tracker, so a camera analysed at a few frames per second keeps its
tracks for ``lost_track_s`` seconds whatever its rate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from edge_module.config import TrackerConfig
from edge_module.detection.base import Detection

NOMINAL_FPS = 30.0
"""ByteTrack counts its lost-track buffer in 30 fps frames (scaled by its frame rate)."""


@dataclass(frozen=True)
class TrackedPerson:
    """A person in the current frame with the id of their track (in memory only)."""

    track_id: int
    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def foot(self) -> tuple[float, float]:
        """The bottom centre of the box: where the person stands."""
        return ((self.x1 + self.x2) / 2, self.y2)

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return self.y2 - self.y1


class PersonTracker:
    """ByteTrack over one camera's detections."""

    def __init__(self, config: TrackerConfig, fps: float = 10.0) -> None:
        from trackers import ByteTrackTracker

        self.config = config
        self._tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(config.lost_track_s * NOMINAL_FPS)), frame_rate=fps,
            track_activation_threshold=config.activation_score, minimum_consecutive_frames=config.min_frames,
            minimum_iou_threshold=config.min_iou, high_conf_det_threshold=config.high_score,
        )

    def update(self, detections: list[Detection], timestamp: float) -> list[TrackedPerson]:
        """The confirmed tracks among ``detections`` of the frame taken at ``timestamp`` (seconds)."""
        import supervision as sv

        if detections:
            xyxy = np.array([[d.x, d.y, d.x + d.width, d.y + d.height] for d in detections], dtype=np.float32)
            scores = np.array([d.score for d in detections], dtype=np.float32)
            found = sv.Detections(xyxy=xyxy, confidence=scores, class_id=np.zeros(len(detections), dtype=int))
        else:
            found = sv.Detections.empty()
            found.confidence = np.zeros(0, dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tracked = self._tracker.update(found, timestamp=timestamp)
        people = []
        ids = tracked.tracker_id if tracked.tracker_id is not None else np.full(len(tracked), -1)
        confidence = tracked.confidence if tracked.confidence is not None else np.ones(len(tracked))
        for box, track_id, score in zip(tracked.xyxy, ids, confidence, strict=True):
            if int(track_id) < 0:
                continue
            x1, y1, x2, y2 = (float(v) for v in box)
            people.append(TrackedPerson(int(track_id), x1, y1, x2, y2, float(score)))
        return people
