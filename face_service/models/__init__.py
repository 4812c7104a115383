"""Model adapters: one small interface per task, with the open offline models behind them."""

from face_service.models.base import (
    EMOTION_NAMES,
    AgeGender,
    AgeGenderEstimator,
    Detection,
    EmotionClassifier,
    FaceDetector,
    HeadPoseEstimator,
)
from face_service.models.registry import build_age_gender, build_detector, build_emotion, build_head_pose

__all__ = [
    "AgeGender", "AgeGenderEstimator", "Detection", "EmotionClassifier", "FaceDetector", "HeadPoseEstimator",
    "EMOTION_NAMES",
    "build_age_gender", "build_detector", "build_emotion", "build_head_pose",
]
