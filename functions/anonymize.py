"""Turn face detections into an anonymized :class:`~functions.contracts.FrameEvent`.

Only four things survive per face: the age band (the exact age only when the setting
``FOOTFALL_EXACT_AGE`` asks for it), gender (``female``/``male``), and the strongest of the Face
API's eight emotions with its score. Everything else the service returns (rectangle, landmarks,
face id, head pose, ...) is dropped here and never reaches an event. A missing or unrecognised
value becomes ``None``: against Azure AI Face, which no longer returns gender or emotion, those
fields are null.

A visit crop describes one visitor: only its main face (the largest) is kept, so the demographics
of visits count each visit once, whoever else was caught at the edge of the crop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from functions.contracts import EMOTIONS, GENDERS, FaceRecord, FrameEvent, UploadPath, age_band


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _attributes(detection: Mapping[str, Any]) -> Mapping[str, Any]:
    attrs = detection.get("faceAttributes")
    return attrs if isinstance(attrs, Mapping) else {}


def anonymize_face(detection: Mapping[str, Any], exact_age: bool = False, emotion: bool = True) -> FaceRecord:
    """One detection (a ``FaceDetectionResult`` or its JSON dict) to a :class:`FaceRecord`.

    With ``emotion`` false (emotion recognition off for the store) no emotion survives, whatever came back.
    """
    attrs = _attributes(detection)

    age_raw = _number(attrs.get("age"))
    age = None if age_raw is None or age_raw < 0 else min(int(round(age_raw)), 120)

    gender_raw = attrs.get("gender")
    gender = gender_raw.lower() if isinstance(gender_raw, str) and gender_raw.lower() in GENDERS else None

    dominant, score = _strongest_emotion(attrs.get("emotion")) if emotion else (None, None)
    return FaceRecord(
        age=age if exact_age else None, age_band=age_band(age), gender=gender,
        emotion=dominant, emotion_score=score,
    )


def _area(detection: Mapping[str, Any]) -> float:
    rect = detection.get("faceRectangle")
    if not isinstance(rect, Mapping):
        return 0.0
    width, height = _number(rect.get("width")), _number(rect.get("height"))
    return (width or 0.0) * (height or 0.0)


def main_face(detections: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The largest face of a visit crop (the visitor's), or none."""
    return [max(detections, key=_area)] if detections else []


def _strongest_emotion(scores: Any) -> tuple[str | None, float | None]:
    """The argmax of the eight Face API emotion scores and its score, or ``(None, None)``."""
    if not isinstance(scores, Mapping):
        return None, None
    known = {name: _number(scores.get(name)) for name in EMOTIONS}
    valid = {name: value for name, value in known.items() if value is not None}
    if not valid:
        return None, None
    name = max(valid, key=lambda n: (valid[n], -EMOTIONS.index(n)))  # ties: first in Face API order
    return name, round(min(max(valid[name], 0.0), 1.0), 4)


def build_event(
    upload: UploadPath,
    detections: Sequence[Mapping[str, Any]],
    analyzer: str,
    processed_at: datetime | None = None,
    *,
    exact_age: bool = False,
    emotion: bool = True,
) -> FrameEvent:
    """The FrameEvent for one analysed photo; its id comes from the capture (:meth:`UploadPath.event_id`)."""
    kept = main_face(detections) if upload.kind == "visit" else detections
    faces = [anonymize_face(d, exact_age, emotion) for d in kept]
    return FrameEvent(
        event_id=upload.event_id(),
        captured_at=upload.captured_at,
        store_id=upload.store_id,
        camera_id=upload.camera_id,
        kind=upload.kind,
        face_count=len(faces),
        faces=faces,
        analyzer=analyzer,
        processed_at=processed_at or datetime.now(UTC),
    )
