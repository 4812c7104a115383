"""One analysis per visit: the best head-and-shoulders crop of each person who came in.

For every track of an entrance camera the module keeps the best view it has had of the person's
head and shoulders, scored by size (box height), sharpness (variance of the Laplacian) and
whether a frontal face is seen in it (OpenCV's Haar cascade): a crop of a larger, sharper,
frontal view replaces the kept one. Once the track has crossed a line ``in`` (it is a visitor),
the kept crop is handed over once, ``visit_crop_after_s`` after the crossing or when the track
ends, whichever comes first; a track that only walks out, or never crosses, is never
photographed. The crop comes from the frame with the exclusion zones already painted out, and
the heads of other people inside it are painted out too, so a crop shows one person. Crops live
in memory until handed over and are dropped with their track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
from cv2.data import haarcascades

from edge_module.tracking import TrackedPerson

HEAD_SHARE = 0.42
"""Head and shoulders: the top 42% of a standing person's box."""
MIN_SIDE = 112
"""Crops smaller than this are enlarged to it (the face service's input is 112 px)."""
SHARP_VARIANCE = 150.0
GONE_AFTER_S = 2.0
"""A visitor's track unseen this long has left: its crop is handed over."""
FORGET_AFTER_S = 60.0


@dataclass
class VisitCrop:
    """A visitor's crop to upload (BGR) and when its frame was captured."""

    image: np.ndarray
    captured_at: datetime
    camera_id: str


@dataclass
class _Best:
    quality: float
    image: np.ndarray
    captured_at: datetime
    last_seen: float
    crossed_in_at: float | None = None
    handed_over: bool = False


def head_box(person: TrackedPerson, width: int, height: int) -> tuple[int, int, int, int]:
    """The head-and-shoulders square of a person: ``(x1, y1, x2, y2)`` clipped to the frame."""
    h = person.y2 - person.y1
    side = max(person.x2 - person.x1, HEAD_SHARE * h)
    cx = (person.x1 + person.x2) / 2
    top = person.y1 - 0.04 * h
    x1, y1 = int(max(0, cx - side / 2)), int(max(0, top))
    x2, y2 = int(min(width, cx + side / 2)), int(min(height, top + side))
    return x1, y1, x2, y2


class VisitCropper:
    """Keeps each track's best crop and hands over one per visitor."""

    def __init__(self, camera_id: str, after_s: float) -> None:
        self.camera_id = camera_id
        self.after_s = after_s
        self._best: dict[int, _Best] = {}
        self._faces = cv2.CascadeClassifier(haarcascades + "haarcascade_frontalface_default.xml")

    def crop(self, image: np.ndarray, person: TrackedPerson, others: Sequence[TrackedPerson]) -> np.ndarray:
        """The head-and-shoulders crop of ``person`` with the heads of ``others`` painted out."""
        height, width = image.shape[:2]
        x1, y1, x2, y2 = head_box(person, width, height)
        crop = image[y1:y2, x1:x2].copy()
        own = head_box(person, width, height)
        for other in others:
            if other.track_id == person.track_id:
                continue
            ox1, oy1, ox2, oy2 = head_box(other, width, height)
            # Paint out the other head, except where it overlaps this person's own head square.
            ix1, iy1, ix2, iy2 = max(ox1, x1), max(oy1, y1), min(ox2, x2), min(oy2, y2)
            if ix1 >= ix2 or iy1 >= iy2:
                continue
            mask = np.zeros(crop.shape[:2], dtype=bool)
            mask[iy1 - y1:iy2 - y1, ix1 - x1:ix2 - x1] = True
            keep_x1, keep_y1 = max(own[0], int(person.x1)), own[1]
            keep_x2, keep_y2 = min(own[2], int(person.x2)), own[3]
            mask[max(0, keep_y1 - y1):max(0, keep_y2 - y1), max(0, keep_x1 - x1):max(0, keep_x2 - x1)] = False
            crop[mask] = 128
        if crop.size and min(crop.shape[:2]) < MIN_SIDE:
            factor = MIN_SIDE / min(crop.shape[:2])
            crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        return crop

    def quality(self, crop: np.ndarray, person: TrackedPerson) -> float:
        """Size x sharpness x (1.5 when a frontal face is seen)."""
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        sharpness = min(1.0, float(cv2.Laplacian(grey, cv2.CV_64F).var()) / SHARP_VARIANCE)
        faces = self._faces.detectMultiScale(grey, scaleFactor=1.15, minNeighbors=4, minSize=(24, 24))
        return person.height * (0.25 + 0.75 * sharpness) * (1.5 if len(faces) else 1.0)

    def update(self, image: np.ndarray, people: Sequence[TrackedPerson], crossed_in: set[int],
               captured_at: datetime) -> list[VisitCrop]:
        """Look at one (painted-out) frame; returns the crops due now."""
        t = captured_at.timestamp()
        for person in people:
            best = self._best.get(person.track_id)
            if best is not None:
                best.last_seen = t
                if person.track_id in crossed_in and best.crossed_in_at is None:
                    best.crossed_in_at = t
                if best.handed_over or person.height * 1.5 <= best.quality:
                    continue  # this view cannot beat the kept one
            crop = self.crop(image, person, people)
            if crop.size == 0:
                continue
            quality = self.quality(crop, person)
            if best is None:
                self._best[person.track_id] = _Best(quality, crop, captured_at, t,
                                                    t if person.track_id in crossed_in else None)
            elif quality > best.quality:
                best.quality, best.image, best.captured_at = quality, crop, captured_at
        return self._due(t)

    def close(self) -> list[VisitCrop]:
        """The camera stops: hand over every visitor's crop not yet handed over, forget every track."""
        due = [VisitCrop(b.image, b.captured_at, self.camera_id) for b in self._best.values()
               if b.crossed_in_at is not None and not b.handed_over]
        self._best.clear()
        return due

    def _due(self, t: float) -> list[VisitCrop]:
        due = []
        for track_id, best in list(self._best.items()):
            gone = t - best.last_seen > GONE_AFTER_S
            ready = best.crossed_in_at is not None and (gone or t - best.crossed_in_at >= self.after_s)
            if ready and not best.handed_over:
                due.append(VisitCrop(best.image, best.captured_at, self.camera_id))
                best.handed_over = True
                best.image = best.image[:0, :0]  # keep nothing of the person once handed over
            if gone and t - best.last_seen > FORGET_AFTER_S:
                del self._best[track_id]
        return due
