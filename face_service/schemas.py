"""Request options and response bodies of ``POST /face/{version}/detect`` and ``GET /status``.

Field names follow the Face API wire format (camelCase). ``gender`` and ``emotion`` are fields
Azure Face has retired; ``azure-ai-vision-face`` keeps them as plain dict items of
``faceAttributes``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from face_service import __version__

SERVICE_NAME = "face-service"
# Every attribute name the Face API has ever accepted in returnFaceAttributes (v1.0 to v1.2).
KNOWN_ATTRIBUTES: dict[str, str] = {
    name.lower(): name
    for name in (
        "age", "gender", "headPose", "smile", "facialHair", "glasses", "emotion", "hair", "makeup",
        "occlusion", "accessories", "blur", "exposure", "noise", "mask", "qualityForRecognition",
    )
}
SUPPORTED_ATTRIBUTES: tuple[str, ...] = (
    "age", "gender", "emotion", "headPose", "blur", "exposure", "noise", "qualityForRecognition",
)
GATED_ATTRIBUTES: tuple[str, ...] = ("age", "gender", "emotion")
"""Estimates a face of too poor quality gets as ``null`` (see :mod:`face_service.quality`)."""
DETECTION_MODELS: tuple[str, ...] = ("detection_01", "detection_02", "detection_03")
RECOGNITION_MODELS: tuple[str, ...] = ("recognition_01", "recognition_02", "recognition_03", "recognition_04")
API_VERSIONS: tuple[str, ...] = ("v1.0", "v1.1-preview.1", "v1.2", "v1.2-preview.1")
MAX_FACES = 100
"""The Face API returns at most 100 faces, largest first."""


class DetectOptions(BaseModel):
    """What a detect call asked for, parsed from its query string (see :mod:`face_service.query`)."""

    model_config = ConfigDict(frozen=True)

    attributes: tuple[str, ...] = ()
    landmarks: bool = False
    detection_model: str = "detection_01"
    recognition_model: str = "recognition_01"


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class FaceRectangle(_Wire):
    """The face's box in pixels of the submitted image."""

    top: int = Field(ge=0)
    left: int = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)


class Point(_Wire):
    """A landmark in pixels of the submitted image."""

    x: float
    y: float


class FaceLandmarks(_Wire):
    """The five landmarks the detector finds. The Face API's other 22 points are not estimated."""

    pupil_left: Point = Field(alias="pupilLeft")
    pupil_right: Point = Field(alias="pupilRight")
    nose_tip: Point = Field(alias="noseTip")
    mouth_left: Point = Field(alias="mouthLeft")
    mouth_right: Point = Field(alias="mouthRight")


class HeadPose(_Wire):
    """Head angles in degrees, estimated from the five landmarks (see README)."""

    pitch: float = Field(ge=-90, le=90)
    roll: float = Field(ge=-180, le=180)
    yaw: float = Field(ge=-90, le=90)


class Emotion(_Wire):
    """Scores of the Face API's eight emotions; they sum to 1. ``contempt`` is not modelled (0)."""

    anger: float = Field(ge=0, le=1)
    contempt: float = Field(ge=0, le=1)
    disgust: float = Field(ge=0, le=1)
    fear: float = Field(ge=0, le=1)
    happiness: float = Field(ge=0, le=1)
    neutral: float = Field(ge=0, le=1)
    sadness: float = Field(ge=0, le=1)
    surprise: float = Field(ge=0, le=1)


class BlurProperties(_Wire):
    """How blurred the face is: ``value`` 0 (sharp) to 1; low < 0.25 <= medium < 0.75 <= high."""

    blur_level: Literal["low", "medium", "high"] = Field(alias="blurLevel")
    value: float = Field(ge=0, le=1)


class ExposureProperties(_Wire):
    """How bright the face is: ``value`` 0 to 1; under < 0.25 <= good < 0.75 <= over."""

    exposure_level: Literal["underExposure", "goodExposure", "overExposure"] = Field(alias="exposureLevel")
    value: float = Field(ge=0, le=1)


class NoiseProperties(_Wire):
    """How noisy the face's pixels are: ``value`` 0 to 1; low < 0.3 <= medium < 0.7 <= high."""

    noise_level: Literal["low", "medium", "high"] = Field(alias="noiseLevel")
    value: float = Field(ge=0, le=1)


class FaceAttributes(_Wire):
    """The requested attributes of one face. Attributes not requested are left out; ``age``, ``gender``
    and ``emotion`` are ``null`` when the face's quality is too poor to estimate them (or the model is unsure)."""

    age: float | None = Field(default=None, ge=0, le=120)
    gender: Literal["female", "male"] | None = None
    emotion: Emotion | None = None
    head_pose: HeadPose | None = Field(default=None, alias="headPose")
    blur: BlurProperties | None = None
    exposure: ExposureProperties | None = None
    noise: NoiseProperties | None = None
    quality_for_recognition: Literal["low", "medium", "high"] | None = Field(
        default=None, alias="qualityForRecognition",
    )


class DetectedFace(_Wire):
    """One element of the detect response."""

    face_rectangle: FaceRectangle = Field(alias="faceRectangle")
    face_landmarks: FaceLandmarks | None = Field(default=None, alias="faceLandmarks")
    face_attributes: FaceAttributes | None = Field(default=None, alias="faceAttributes")


class ModelInfo(_Wire):
    """One model behind the service: adapter name, the package it comes from, and its version."""

    role: Literal["detector", "age_gender", "emotion", "head_pose"]
    name: str
    package: str
    version: str


class QueueStatus(_Wire):
    """The work queue: how many requests are admitted now, and how many can be."""

    in_flight: int
    capacity: int
    workers: int
    rejected_total: int


class StatusResponse(_Wire):
    """``GET /status``."""

    status: Literal["ready", "loading", "failed"]
    service: str
    version: str
    analyzer: str = Field(description="Short identifier of service and models, for FrameEvent.analyzer.")
    models: list[ModelInfo] = []
    queue: QueueStatus | None = None
    error: str | None = None


def analyzer_id(models: list[ModelInfo]) -> str:
    """``face-service/1.0.0 yuface/2023.5.1 ...``: what produced a result, for ``FrameEvent.analyzer``."""
    parts = [f"{SERVICE_NAME}/{__version__}"]
    parts += [f"{m.name}/{m.version}" for m in models if m.role != "head_pose"]
    return " ".join(parts)[:128]
