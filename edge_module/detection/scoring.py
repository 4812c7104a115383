"""How well a detector finds people: boxes matched to labelled boxes by IoU, recall and precision.

The labelled frames live in ``tests/edge_module/data/vtest_people.json`` (40 frames of vtest.avi,
every person's box; how they were labelled is written in the file). The same scoring serves the
tests and ``benchmarks/bench_edge.py``.

A detection matches the unmatched labelled box it overlaps most, if their IoU is at least 0.5
(greedy, best score first). Recall counts labelled people at least ``min_height`` px tall; a
detection matching a shorter labelled person is neither a hit nor a false alarm, and an unmatched
detection counts as a false alarm only when it is at least ``min_height`` tall too (a 30 px
detection cannot be judged against a scale that starts at 50 px).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, Field

from edge_module.detection.base import Detection

Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 in pixels."""


class LabelledFrame(BaseModel):
    """One labelled frame of a video: its index and every person's box."""

    frame: int = Field(ge=0, description="0-based index in decode order.")
    people: list[tuple[int, int, int, int]] = Field(description="[x1, y1, x2, y2] per person.")


class Score(BaseModel):
    """Matches of detections against labelled people."""

    people: int = Field(default=0, description="Labelled people at least min_height tall.")
    found: int = Field(default=0, description="Of those, matched by a detection.")
    detections: int = Field(default=0, description="Detections that are hits or false alarms.")
    false_alarms: int = 0

    @property
    def recall(self) -> float:
        """Share of labelled people found."""
        return self.found / self.people if self.people else 1.0

    @property
    def precision(self) -> float:
        """Share of judged detections that are people."""
        return (self.detections - self.false_alarms) / self.detections if self.detections else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(people=self.people + other.people, found=self.found + other.found,
                     detections=self.detections + other.detections,
                     false_alarms=self.false_alarms + other.false_alarms)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_of(d: Detection) -> Box:
    """A detection as ``(x1, y1, x2, y2)``."""
    return (d.x, d.y, d.x + d.width, d.y + d.height)


def score_frame(detections: Sequence[Detection], truth: Sequence[Sequence[float]], min_height: float = 50,
                min_iou: float = 0.5) -> Score:
    """Match one frame's detections to its labelled people (see the module docstring)."""
    unmatched = list(range(len(truth)))
    score = Score(people=sum(1 for t in truth if t[3] - t[1] >= min_height))
    for d in sorted(detections, key=lambda d: -d.score):
        box = box_of(d)
        best, best_iou = None, min_iou
        for i in unmatched:
            x1, y1, x2, y2 = truth[i]
            overlap = iou(box, (x1, y1, x2, y2))
            if overlap >= best_iou:
                best, best_iou = i, overlap
        if best is not None:
            unmatched.remove(best)
            if truth[best][3] - truth[best][1] >= min_height:
                score.found += 1
                score.detections += 1
        elif d.height >= min_height:
            score.detections += 1
            score.false_alarms += 1
    return score


def load_labels(path: Path) -> list[LabelledFrame]:
    """The labelled frames of a label file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [LabelledFrame.model_validate(f) for f in data["frames"]]


def read_frames(video: Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """The frames of ``video`` at ``indices`` (decoded in order, as the labels were)."""
    wanted = set(indices)
    cap = cv2.VideoCapture(str(video))
    frames: dict[int, np.ndarray] = {}
    index = 0
    try:
        while len(frames) < len(wanted):
            ok, image = cap.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = image
            index += 1
    finally:
        cap.release()
    return frames


def score_detector(detect: Callable[[np.ndarray], list[Detection]], labels: Sequence[LabelledFrame],
                   frames: dict[int, np.ndarray], min_height: float = 50) -> Score:
    """A detector's score over labelled frames."""
    total = Score()
    for labelled in labels:
        total = total + score_frame(detect(frames[labelled.frame]), labelled.people, min_height)
    return total
