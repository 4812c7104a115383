"""Image quality of a face, in the Face API's terms, and the gate that keeps bad faces unguessed.

Measured on the face's own pixels (the inner part of the detector's box, in grey), offline and
without a model; each value is 0..1 and its level uses the Face API's documented bands:

* ``blur``: the blur effect of Crete-Roffet et al. (2007): how much of the face's edge contrast
  survives blurring it again with a 9-pixel box (a sharp face loses much, a blurred one little),
  the worse of rows and columns, measured at no more than 112 px across (the face-api networks'
  input size; smaller faces as they are). That effect is 0.53 on sharp faces (median of the
  faces in our labelled photos; 0.34-0.63) and rises to 0.69, 0.80 and 0.85 under Gaussian blurs
  of sigma 1, 2 and 3 px at 112 px; the value maps 0.60..0.88 onto 0..1. Levels: low < 0.25 <=
  medium < 0.75 <= high, so "high" starts near sigma 2.5 px at 112 px.
* ``exposure``: mean brightness of the face, 0..1. under < 0.25 <= good < 0.75 <= over.
* ``noise``: Immerkaer's estimate of the standard deviation of Gaussian noise (grey levels), over
  25. low < 0.3 <= medium < 0.7 <= high (sigma 7.5 and 17.5 grey levels).
* ``qualityForRecognition``: ``high`` for a face at least 100 px across, sharp (low blur), well
  exposed, low noise and within 20 degrees of frontal; ``low`` if any gate below fails or the face
  is under 40 px; otherwise ``medium``.

:func:`gate_reason` says why a face's age, gender and emotion must not be guessed (too small,
too blurred, turned too far away, too dark or too bright): the thresholds are settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from face_service.config import ServiceSettings
from face_service.models.base import Detection

MEASURE_SIDE = 112
SHARP, BLURRED = 0.60, 0.88
"""Blur effects mapped to blur values 0 and 1."""
REBLUR_PX = 9
NOISE_FULL_SCALE = 25.0
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class FaceQuality:
    """What :func:`measure` finds: values 0..1 and the face's size in pixels."""

    blur: float
    exposure: float
    noise: float
    size_px: float

    @property
    def blur_level(self) -> Literal["low", "medium", "high"]:
        return "low" if self.blur < 0.25 else "medium" if self.blur < 0.75 else "high"

    @property
    def exposure_level(self) -> Literal["underExposure", "goodExposure", "overExposure"]:
        return "underExposure" if self.exposure < 0.25 else "goodExposure" if self.exposure < 0.75 else "overExposure"

    @property
    def noise_level(self) -> Literal["low", "medium", "high"]:
        return "low" if self.noise < 0.3 else "medium" if self.noise < 0.7 else "high"


def _face_grey(image: np.ndarray, face: Detection) -> np.ndarray:
    """The inner face (forehead to mouth, cheek to cheek) in grey float32, at most 112 px across."""
    x, y, w, h = face.box
    height, width = image.shape[:2]
    x0, y0 = max(int(x + 0.15 * w), 0), max(int(y + 0.15 * h), 0)
    x1, y1 = min(int(math.ceil(x + 0.85 * w)), width), min(int(math.ceil(y + 0.9 * h)), height)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return np.zeros((3, 3), dtype=np.float32)
    grey: np.ndarray = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    scale = MEASURE_SIDE / max(grey.shape)
    if scale < 1.0:
        size = (max(3, round(grey.shape[1] * scale)), max(3, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey


def blur_effect(grey: np.ndarray) -> float:
    """Crete-Roffet's blur effect of a grey image, 0 (sharp) to 1: the share of its neighbour-to-neighbour
    contrast that a 9-pixel box blur does not remove, the larger of rows and columns."""
    effects = []
    for axis in (0, 1):
        kernel = np.full((REBLUR_PX, 1) if axis == 0 else (1, REBLUR_PX), 1.0 / REBLUR_PX, dtype=np.float32)
        reblurred = cv2.filter2D(grey, -1, kernel, borderType=cv2.BORDER_REFLECT)
        contrast = np.abs(np.diff(grey, axis=axis))
        kept = np.abs(np.diff(reblurred, axis=axis))
        total = float(contrast.sum())
        lost = float(np.maximum(contrast - kept, 0.0).sum())
        effects.append((total - lost) / total if total > 0 else 1.0)
    return max(effects)


def measure(image: np.ndarray, face: Detection) -> FaceQuality:
    """Blur, exposure and noise of one face (RGB ``uint8`` image)."""
    grey = _face_grey(image, face)
    blur = (blur_effect(grey) - SHARP) / (BLURRED - SHARP)
    residual = cv2.filter2D(grey, -1, _IMMERKAER)[1:-1, 1:-1]
    sigma = math.sqrt(math.pi / 2) * float(np.abs(residual).mean()) / 6.0 if residual.size else 0.0
    return FaceQuality(
        blur=round(min(max(blur, 0.0), 1.0), 2),
        exposure=round(float(grey.mean()) / 255.0, 2),
        noise=round(min(sigma / NOISE_FULL_SCALE, 1.0), 2),
        size_px=float(max(face.box[2], face.box[3])),
    )


def gate_reason(quality: FaceQuality, pose: tuple[float, float, float] | None,
                settings: ServiceSettings) -> str | None:
    """Why this face's age, gender and emotion must stay unknown, or ``None`` when they may be estimated.

    ``pose`` is ``(pitch, roll, yaw)`` in degrees (``None``: not estimated, not gated on).
    """
    if quality.size_px < settings.quality_min_face_px:
        return "small"
    if quality.blur >= settings.quality_max_blur:
        return "blurred"
    if not settings.quality_min_exposure <= quality.exposure <= settings.quality_max_exposure:
        return "exposure"
    if pose is not None:
        pitch, _, yaw = pose
        if abs(yaw) > settings.quality_max_yaw or abs(pitch) > settings.quality_max_pitch:
            return "turned"
    return None


def quality_for_recognition(quality: FaceQuality, pose: tuple[float, float, float] | None,
                            settings: ServiceSettings) -> Literal["low", "medium", "high"]:
    """The Face API's ``qualityForRecognition`` (``low``, ``medium``, ``high``); see the module doc."""
    if gate_reason(quality, pose, settings) is not None or quality.size_px < 40:
        return "low"
    frontal = pose is not None and abs(pose[0]) <= 20 and abs(pose[2]) <= 20
    if (quality.size_px >= 100 and quality.blur_level == "low" and quality.exposure_level == "goodExposure"
            and quality.noise_level == "low" and frontal):
        return "high"
    return "medium"
