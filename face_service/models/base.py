"""The interfaces every model adapter implements, and the values they pass around.

Images are ``uint8`` arrays ``[H, W, 3]`` in RGB order. Boxes and landmarks are in pixels of the
image given to the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from face_service.schemas import ModelInfo

EMOTION_NAMES: tuple[str, ...] = (
    "anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise",
)
"""The Face API's eight emotions, in its (alphabetical) order."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected face.

    ``box`` is ``(left, top, width, height)``; ``landmarks`` is ``[5, 2]`` float ``(x, y)``: the
    eye on the image's left, the eye on the image's right, nose tip, mouth corner on the image's
    left, mouth corner on the image's right.
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float

    def scaled(self, factor: float) -> Detection:
        """The same detection in an image ``factor`` times larger."""
        x, y, w, h = self.box
        return Detection((x * factor, y * factor, w * factor, h * factor), self.landmarks * factor, self.score)


@dataclass(frozen=True, slots=True)
class AgeGender:
    """Age in years and gender of one face, with the model's probability for that gender if it has one."""

    age: float
    gender: str
    gender_score: float | None = None


class FaceDetector(Protocol):
    """Finds faces and five landmarks each."""

    info: ModelInfo

    min_confidence: float

    def detect(self, image: np.ndarray, min_confidence: float | None = None) -> list[Detection]:
        """All faces in ``image`` (RGB) scoring at least ``min_confidence`` (default: the detector's own
        threshold), in no particular order."""
        ...


class AgeGenderEstimator(Protocol):
    """Estimates age and gender of faces the detector found."""

    info: ModelInfo

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[AgeGender]:
        """One :class:`AgeGender` per face, in the order given (batched where the model allows)."""
        ...


class EmotionClassifier(Protocol):
    """Scores facial expressions as the Face API's eight emotions."""

    info: ModelInfo

    def classify(self, image: np.ndarray, faces: Sequence[Detection]) -> list[dict[str, float]]:
        """One ``{emotion name: score}`` per face with all of :data:`EMOTION_NAMES`, summing to 1."""
        ...


class HeadPoseEstimator(Protocol):
    """Estimates head angles in degrees."""

    info: ModelInfo

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[tuple[float, float, float]]:
        """``(pitch, roll, yaw)`` per face, in the order given."""
        ...
