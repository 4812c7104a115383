"""The person detector interface and what every detector shares (region of interest, size filter, ONNX session)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

from edge_module.config import DetectorConfig

if TYPE_CHECKING:
    import onnxruntime


class Detection(BaseModel):
    """One person found in a frame: a box in the frame's pixels and a detector-specific score."""

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    width: int
    height: int
    score: float
    source: str = "person"

    @property
    def center(self) -> tuple[float, float]:
        """The box centre in pixels."""
        return self.x + self.width / 2, self.y + self.height / 2


@runtime_checkable
class PersonDetector(Protocol):
    """Finds people in a BGR frame (``uint8``, ``H x W x 3``), as OpenCV reads it."""

    name: str

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in ``frame`` that pass the configured thresholds, ROI and size, in frame pixels."""
        ...


def crop_to_roi(frame: np.ndarray, config: DetectorConfig) -> tuple[np.ndarray, int, int]:
    """The part of the frame inside the region of interest, and its offset in the frame."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = config.roi.pixels(w, h)
    if (x0, y0, x1, y1) == (0, 0, w, h):
        return frame, 0, 0
    return frame[y0:y1, x0:x1], x0, y0


def keep(detections: list[Detection], frame_height: int, config: DetectorConfig) -> list[Detection]:
    """Detections that score at least ``min_score`` and are at least ``min_person_height`` tall."""
    min_h = config.min_person_height * frame_height
    return [d for d in detections if d.score >= config.min_score and d.height >= min_h]


def resize_for_detection(image: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """Resize to ``width`` (keeping the aspect ratio); returns the image and the factor applied."""
    import cv2

    if width <= 0 or image.shape[1] == width:
        return image, 1.0
    factor = width / image.shape[1]
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=interp), factor


def onnx_session(model: Path) -> onnxruntime.InferenceSession:
    """An onnxruntime session of ``model`` on the CPU and on one thread: each of the store's cameras already
    runs on a thread of its own."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
