"""Face detection with ``yuface`` (libfacedetection's YuNet CNN, BSD-3): boxes plus five landmarks."""

from __future__ import annotations

import warnings
from importlib.metadata import version

import numpy as np

from face_service.models.base import Detection
from face_service.schemas import ModelInfo


class YuFaceDetector:
    """libfacedetection through the ``yuface`` wheel. Runs best on images of at most ~640 px a side."""

    def __init__(self, min_confidence: float = 0.6) -> None:
        import yuface  # imported here so only model workers load it

        if not 0.0 < min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in (0, 1], got {min_confidence}")
        self._yuface = yuface
        self.min_confidence = min_confidence
        self.info = ModelInfo(role="detector", name="yuface", package="yuface", version=version("yuface"))

    def detect(self, image: np.ndarray, min_confidence: float | None = None) -> list[Detection]:
        """All faces in an RGB ``uint8`` image scoring at least ``min_confidence`` (default: the instance's)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image [H, W, 3], got {image.dtype} {image.shape}")
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its "image too large" hint; callers downscale
            conf = self.min_confidence if min_confidence is None else min_confidence
            scores, boxes, landmarks = self._yuface.detect(bgr, conf=conf)
        return [
            Detection(
                box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                landmarks=np.asarray(points, dtype=np.float32).reshape(5, 2),
                score=float(score) / 100.0,
            )
            for score, box, points in zip(scores, boxes, landmarks, strict=True)
            if box[2] > 0 and box[3] > 0
        ]
