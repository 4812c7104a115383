"""OpenCV's HOG + linear SVM people detector (Dalal-Triggs, built into OpenCV: no weights to fetch).

Speed comes from four knobs in :class:`~edge_module.config.DetectorConfig`: ``detect_width``
(detect on a resized frame), ``win_stride`` (8 px is ~4x faster than 4 px) and ``scale`` (the
pyramid step; 1.1 instead of 1.05 halves the levels) and ``grayscale`` (one gradient
channel instead of the strongest of three; on vtest.avi it found people in slightly more frames).
The detector's 64x128 window means a person must be at least ~100 px tall at ``detect_width`` to
be found.
"""

from __future__ import annotations

import cv2
import numpy as np
from cv2.data import haarcascades

from edge_module.config import DetectorConfig
from edge_module.detection.base import Detection, crop_to_roi, keep, resize_for_detection


class HogPersonDetector:
    """People with OpenCV's default HOG people detector."""

    name = "hog"

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))

    def raw(self, frame: np.ndarray) -> list[Detection]:
        """Every HOG hit inside the ROI, in frame pixels, before the score and size filters."""
        cfg = self.config
        region, ox, oy = crop_to_roi(frame, cfg)
        small, factor = resize_for_detection(region, cfg.detect_width)
        if small.shape[0] < 128 or small.shape[1] < 64:
            return []
        if cfg.grayscale and small.ndim == 3:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        rects, weights = self._hog.detectMultiScale(
            small, hitThreshold=cfg.hit_threshold, winStride=(cfg.win_stride, cfg.win_stride),
            padding=(cfg.padding, cfg.padding), scale=cfg.scale,
        )
        out = []
        for (x, y, w, h), score in zip(np.asarray(rects).reshape(-1, 4), np.asarray(weights).ravel(), strict=True):
            out.append(Detection(
                x=int(x / factor) + ox, y=int(y / factor) + oy, width=int(w / factor), height=int(h / factor),
                score=float(score), source="hog",
            ))
        return out

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in the frame that pass the thresholds."""
        return keep(self.raw(frame), frame.shape[0], self.config)


class HogOrFaceDetector:
    """HOG people, or else frontal faces (OpenCV's Haar cascade, shipped with opencv-python).

    For close-up entrance cameras where a person's body does not fit in the frame, or a pose
    (bending, reaching) that the pedestrian-trained HOG model misses. A face box counts as a
    person; its score is the number of merged neighbour hits, thresholded by ``face_min_neighbors``
    (HOG's ``min_score`` is on another scale and does not apply to faces).
    The face pass runs only when HOG found nobody, so the common case costs nothing extra.
    """

    name = "hog+face"

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self._hog = HogPersonDetector(config)
        path = haarcascades + "haarcascade_frontalface_alt2.xml"
        self._faces = cv2.CascadeClassifier(path)
        if self._faces.empty():
            raise RuntimeError(f"cannot load the face cascade {path}")

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """HOG people if any, else faces, that pass the thresholds."""
        people = self._hog.detect(frame)
        if people:
            return people
        cfg = self.config
        region, ox, oy = crop_to_roi(frame, cfg)
        small, factor = resize_for_detection(region, cfg.face_detect_width)
        gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        min_side = 20  # the cascade's own 20x20 window: close-up faces only, at face_detect_width
        rects, neighbours = self._faces.detectMultiScale2(
            gray, scaleFactor=1.1, minNeighbors=cfg.face_min_neighbors, minSize=(min_side, min_side),
        )
        faces = [
            Detection(
                x=int(x / factor) + ox, y=int(y / factor) + oy, width=int(w / factor), height=int(h / factor),
                score=float(s), source="face",
            )
            for (x, y, w, h), s in zip(np.asarray(rects).reshape(-1, 4), np.asarray(neighbours).ravel(), strict=True)
        ]
        # A face is about 1/7 of a standing person's height: the size filter applies to the implied body.
        min_h = cfg.min_person_height * frame.shape[0] / 7
        return [f for f in faces if f.height >= min_h]
