"""The analysis of one photo: decode, detect on a downscaled copy, then the per-face models.

An :class:`Analyzer` owns one instance of each model and is used by one thread at a time (each
worker process holds its own).
"""

from __future__ import annotations

import cv2
import numpy as np

from face_service.config import ServiceSettings
from face_service.imaging import decode_image
from face_service.models.base import Detection
from face_service.models.registry import build_age_gender, build_detector, build_emotion, build_head_pose
from face_service.schemas import (
    MAX_FACES,
    DetectedFace,
    DetectOptions,
    Emotion,
    FaceAttributes,
    FaceLandmarks,
    FaceRectangle,
    HeadPose,
    ModelInfo,
    Point,
    analyzer_id,
)


class Analyzer:
    """Detects faces and estimates the requested attributes, returning Face API JSON."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.detector = build_detector(settings)
        self.age_gender = build_age_gender(settings)
        self.emotion = build_emotion(settings)
        self.head_pose = build_head_pose(settings)
        self.models: list[ModelInfo] = [
            self.detector.info, self.age_gender.info, self.emotion.info, self.head_pose.info,
        ]

    @property
    def analyzer(self) -> str:
        """See :func:`analyzer_id`."""
        return analyzer_id(self.models)

    def find_faces(self, image: np.ndarray) -> list[Detection]:
        """Faces in ``image``, largest first, at most 100, boxes clipped to the image.

        Detection runs on a copy whose longer side is at most ``detect_max_side`` pixels: the
        detector's cost grows faster than the pixel count. At the default 320 px, faces of 36 px
        and more in a 640x480 photo (the Face API's own documented minimum) are all found.
        """
        height, width = image.shape[:2]
        scale = min(1.0, self.settings.detect_max_side / max(height, width))
        small = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        found = self.detector.detect(small)
        faces = []
        for det in found:
            if scale < 1.0:
                det = det.scaled(1.0 / scale)
            x, y, w, h = det.box
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(width), x + w), min(float(height), y + h)
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            faces.append(Detection((x0, y0, x1 - x0, y1 - y0), det.landmarks, det.score))
        faces.sort(key=lambda d: d.box[2] * d.box[3], reverse=True)
        return faces[:MAX_FACES]

    def analyze(self, image: np.ndarray, options: DetectOptions) -> list[DetectedFace]:
        """The detect response for a decoded RGB image."""
        faces = self.find_faces(image)
        wanted = set(options.attributes)
        ages = self.age_gender.estimate(image, faces) if wanted & {"age", "gender"} else None
        emotions = self.emotion.classify(image, faces) if "emotion" in wanted else None
        poses = self.head_pose.estimate(image, faces) if "headPose" in wanted else None
        results = []
        for i, face in enumerate(faces):
            x, y, w, h = face.box
            rect = FaceRectangle(top=int(round(y)), left=int(round(x)), width=int(round(w)), height=int(round(h)))
            attributes = None
            if wanted:
                pose = None
                if poses is not None:
                    pitch, roll, yaw = poses[i]
                    pose = HeadPose(pitch=pitch, roll=roll, yaw=yaw)
                attributes = FaceAttributes(
                    age=ages[i].age if ages is not None and "age" in wanted else None,
                    gender=ages[i].gender if ages is not None and "gender" in wanted else None,  # type: ignore[arg-type]
                    emotion=Emotion(**{k: round(v, 4) for k, v in emotions[i].items()}) if emotions else None,
                    head_pose=pose,
                )
            landmarks = None
            if options.landmarks:
                pts = [Point(x=round(float(px), 1), y=round(float(py), 1)) for px, py in face.landmarks]
                landmarks = FaceLandmarks(
                    pupil_left=pts[0], pupil_right=pts[1], nose_tip=pts[2], mouth_left=pts[3], mouth_right=pts[4],
                )
            results.append(DetectedFace(face_rectangle=rect, face_landmarks=landmarks, face_attributes=attributes))
        return results

    def detect(self, data: bytes, options: DetectOptions) -> list[DetectedFace]:
        """Decode ``data`` (raising the Face API's image errors) and analyse it."""
        image = decode_image(data, min_side=self.settings.min_side, max_side=self.settings.max_side)
        return self.analyze(image, options)


def render(faces: list[DetectedFace]) -> bytes:
    """The response body: a JSON array in the Face API's field names, unset fields left out."""
    return b"[" + b",".join(f.model_dump_json(by_alias=True, exclude_none=True).encode() for f in faces) + b"]"
