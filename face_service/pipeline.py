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
from face_service.quality import gate_reason, measure, quality_for_recognition
from face_service.schemas import (
    MAX_FACES,
    BlurProperties,
    DetectedFace,
    DetectOptions,
    Emotion,
    ExposureProperties,
    FaceAttributes,
    FaceLandmarks,
    FaceRectangle,
    HeadPose,
    ModelInfo,
    NoiseProperties,
    Point,
    analyzer_id,
)

SECOND_LOOK_CONTEXT = 3.0
"""A second look covers a square this many times the candidate's size around it."""
SECOND_LOOK_FACE_PX = 64.0
"""...zoomed so the candidate face is about this many pixels across,"""
SECOND_LOOK_MAX_ZOOM = 4.0
"""...but never more than this."""


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

    def _detect_scaled(self, image: np.ndarray, max_side: int, min_confidence: float) -> list[Detection]:
        """Detections in ``image`` found on a copy whose longer side is at most ``max_side``."""
        height, width = image.shape[:2]
        scale = min(1.0, max_side / max(height, width))
        if scale >= 1.0:
            return self.detector.detect(image, min_confidence)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return [d.scaled(1.0 / scale) for d in self.detector.detect(small, min_confidence)]

    def _second_look(self, image: np.ndarray, candidate: Detection) -> Detection | None:
        """The candidate confirmed at full resolution (zoomed so the face is ~64 px), or ``None``."""
        x, y, w, h = candidate.box
        side = SECOND_LOOK_CONTEXT * max(w, h)
        cx, cy = x + w / 2, y + h / 2
        height, width = image.shape[:2]
        x0, y0 = max(int(cx - side / 2), 0), max(int(cy - side / 2), 0)
        x1, y1 = min(int(cx + side / 2), width), min(int(cy + side / 2), height)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        zoom = min(SECOND_LOOK_FACE_PX / max(w, h), SECOND_LOOK_MAX_ZOOM)
        region = image[y0:y1, x0:x1]
        if zoom > 1.0:
            region = cv2.resize(region, (round((x1 - x0) * zoom), round((y1 - y0) * zoom)),
                                interpolation=cv2.INTER_LINEAR)
        else:
            zoom = 1.0
        for det in self.detector.detect(np.ascontiguousarray(region), self.settings.min_confidence):
            found = det.scaled(1.0 / zoom)
            fx, fy, fw, fh = found.box
            if abs(fx + x0 + fw / 2 - cx) < w / 2 and abs(fy + y0 + fh / 2 - cy) < h / 2:
                offset = np.array([x0, y0], dtype=np.float32)
                return Detection((fx + x0, fy + y0, fw, fh), found.landmarks + offset, found.score)
        return None

    def find_faces(self, image: np.ndarray) -> list[Detection]:
        """Faces in ``image``, largest first, at most 100, boxes clipped to the image.

        Detection runs on a copy whose longer side is at most ``detect_max_side`` pixels: the
        detector's cost grows with the pixel count. Small faces score low there, so a small face
        scoring from ``small_face_confidence`` up to ``min_confidence`` gets a second look: the
        detector runs again on a full-resolution region around it, zoomed so the face is ~64 px, and
        the face counts only if that look scores ``min_confidence`` (at most ``small_face_checks``
        looks per photo, best candidates first).
        """
        settings = self.settings
        first = self._detect_scaled(image, settings.detect_max_side,
                                    min(settings.small_face_confidence, settings.min_confidence))
        found = [d for d in first if d.score >= settings.min_confidence]
        small = [d for d in first
                 if d.score < settings.min_confidence and max(d.box[2], d.box[3]) < settings.small_face_px]
        candidates = sorted(small, key=lambda d: d.score, reverse=True)
        for candidate in candidates[:settings.small_face_checks]:
            confirmed = self._second_look(image, candidate)
            if confirmed is not None and all(_iou(confirmed.box, f.box) < 0.3 for f in found):
                found.append(confirmed)
        height, width = image.shape[:2]
        faces = []
        for det in found:
            x, y, w, h = det.box
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(width), x + w), min(float(height), y + h)
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            faces.append(Detection((x0, y0, x1 - x0, y1 - y0), det.landmarks, det.score))
        faces.sort(key=lambda d: d.box[2] * d.box[3], reverse=True)
        return faces[:MAX_FACES]

    def analyze(self, image: np.ndarray, options: DetectOptions) -> list[DetectedFace]:
        """The detect response for a decoded RGB image.

        Only what was asked for is computed: without ``emotion`` the emotion model never runs. When any
        attribute is asked for, each face's quality and head pose are measured too, and a face that
        fails the quality gate gets ``null`` for the estimates it asked for (age, gender, emotion).
        """
        faces = self.find_faces(image)
        wanted = set(options.attributes)
        results = []
        if not wanted:
            for face in faces:
                results.append(self._face(face, options, None))
            return results
        qualities = [measure(image, f) for f in faces]
        poses = self.head_pose.estimate(image, faces)
        gated = [gate_reason(q, p, self.settings) is not None for q, p in zip(qualities, poses, strict=True)]
        open_faces = [f for f, g in zip(faces, gated, strict=True) if not g]
        ages = iter(self.age_gender.estimate(image, open_faces) if wanted & {"age", "gender"} else [])
        emotions = iter(self.emotion.classify(image, open_faces) if "emotion" in wanted else [])
        for face, quality, pose, is_gated in zip(faces, qualities, poses, gated, strict=True):
            fields: dict[str, object] = {}
            if wanted & {"age", "gender"}:
                estimate = None if is_gated else next(ages)
                if "age" in wanted:
                    fields["age"] = None if estimate is None else estimate.age
                if "gender" in wanted:
                    sure = estimate is not None and (estimate.gender_score is None
                                                     or estimate.gender_score >= self.settings.min_gender_score)
                    fields["gender"] = estimate.gender if sure and estimate is not None else None
            if "emotion" in wanted:
                scores = None if is_gated else next(emotions)
                fields["emotion"] = None if scores is None else Emotion(**{k: round(v, 4) for k, v in scores.items()})
            if "headPose" in wanted:
                fields["headPose"] = HeadPose(pitch=pose[0], roll=pose[1], yaw=pose[2])
            if "blur" in wanted:
                fields["blur"] = BlurProperties(blur_level=quality.blur_level, value=quality.blur)
            if "exposure" in wanted:
                fields["exposure"] = ExposureProperties(exposure_level=quality.exposure_level, value=quality.exposure)
            if "noise" in wanted:
                fields["noise"] = NoiseProperties(noise_level=quality.noise_level, value=quality.noise)
            if "qualityForRecognition" in wanted:
                fields["qualityForRecognition"] = quality_for_recognition(quality, pose, self.settings)
            results.append(self._face(face, options, FaceAttributes(**fields)))
        return results

    @staticmethod
    def _face(face: Detection, options: DetectOptions, attributes: FaceAttributes | None) -> DetectedFace:
        x, y, w, h = face.box
        fields: dict[str, object] = {
            "faceRectangle": FaceRectangle(top=round(y), left=round(x), width=round(w), height=round(h)),
        }
        if options.landmarks:
            pts = [Point(x=round(float(px), 1), y=round(float(py), 1)) for px, py in face.landmarks]
            fields["faceLandmarks"] = FaceLandmarks(
                pupil_left=pts[0], pupil_right=pts[1], nose_tip=pts[2], mouth_left=pts[3], mouth_right=pts[4],
            )
        if attributes is not None:
            fields["faceAttributes"] = attributes
        return DetectedFace(**fields)

    def detect(self, data: bytes, options: DetectOptions) -> list[DetectedFace]:
        """Decode ``data`` (raising the Face API's image errors) and analyse it."""
        image = decode_image(data, min_side=self.settings.min_side, max_side=self.settings.max_side,
                             max_jpeg_scans=self.settings.max_jpeg_scans)
        return self.analyze(image, options)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter > 0 else 0.0


def render(faces: list[DetectedFace]) -> bytes:
    """The response body: a JSON array in the Face API's field names. Fields not asked for are left
    out; estimates asked for but withheld by the quality gate are ``null``."""
    return b"[" + b",".join(f.model_dump_json(by_alias=True, exclude_unset=True).encode() for f in faces) + b"]"
