"""Anonymization: only the age band (the age when asked), gender and the strongest emotion survive;
unknowns are null; a visit crop keeps its main face only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.ai.vision.face.models import FaceDetectionResult
from ingest_helpers import UPLOAD_NAME, face_json

from functions.anonymize import anonymize_face, build_event
from functions.contracts import FaceRecord, UploadPath


def test_a_full_face_api_detection_keeps_only_the_demographics() -> None:
    record = anonymize_face(FaceDetectionResult(face_json(age=31.6, gender="female")))
    assert record == FaceRecord(age=None, age_band="25-34", gender="female", emotion="happiness", emotion_score=0.93)
    assert anonymize_face(FaceDetectionResult(face_json(age=31.6)), exact_age=True).age == 32
    assert set(record.model_dump()) == {"age", "age_band", "gender", "emotion", "emotion_score"}


@pytest.mark.parametrize(("age", "rounded", "band"), [
    (0.2, 0, "0-17"), (17.4, 17, "0-17"), (17.5, 18, "18-24"), (24.49, 24, "18-24"),
    (44.6, 45, "45-54"), (64.9, 65, "65+"), (97.0, 97, "65+"), (130.0, 120, "65+"),
])
def test_age_is_rounded_to_whole_years_and_banded_from_the_rounded_value(age: float, rounded: int, band: str) -> None:
    record = anonymize_face(face_json(age=age), exact_age=True)
    assert (record.age, record.age_band) == (rounded, band)


def test_azure_face_without_gender_and_emotion_gives_nulls_never_guesses() -> None:
    detection = {"faceRectangle": {"top": 1, "left": 2, "width": 50, "height": 50},
                 "faceAttributes": {"headPose": {"pitch": 0.0, "roll": 0.0, "yaw": 0.0}}}
    assert anonymize_face(FaceDetectionResult(detection)) == FaceRecord()


@pytest.mark.parametrize("gender", ["Female", "MALE", "male"])
def test_gender_is_normalised_to_lower_case(gender: str) -> None:
    assert anonymize_face(face_json(gender=gender)).gender == gender.lower()


@pytest.mark.parametrize("gender", ["unknown", "genderless", "", 1])
def test_any_other_gender_value_is_null(gender: object) -> None:
    assert anonymize_face(face_json(gender=gender)).gender is None


def test_emotion_is_the_argmax_of_the_eight_scores_with_its_score() -> None:
    scores = {"anger": 0.1, "contempt": 0.0, "disgust": 0.0, "fear": 0.05,
              "happiness": 0.1, "neutral": 0.2, "sadness": 0.55, "surprise": 0.0}
    record = anonymize_face(face_json(emotion=scores))
    assert (record.emotion, record.emotion_score) == ("sadness", 0.55)


def test_unknown_emotion_names_and_non_numbers_are_ignored() -> None:
    record = anonymize_face(face_json(emotion={"boredom": 0.99, "anger": "high", "surprise": 0.4}))
    assert (record.emotion, record.emotion_score) == ("surprise", 0.4)
    assert anonymize_face(face_json(emotion={"boredom": 0.99})).emotion is None


def test_an_event_counts_faces_and_takes_store_camera_time_and_kind_from_the_upload() -> None:
    upload = UploadPath.parse(UPLOAD_NAME, {"cameraid": "C01"})
    processed = datetime(2026, 11, 23, 8, 0, 1, 250000, tzinfo=UTC)
    event = build_event(upload, [face_json(), face_json(age=70, gender="male")], "face-service/1.0", processed)
    assert (event.store_id, event.camera_id, event.kind, event.face_count) == ("S0001", "C01", "frame", 2)
    assert event.event_id == upload.event_id()
    assert event.captured_at == datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)  # to the second
    assert [f.age_band for f in event.faces] == ["25-34", "65+"]
    assert '"processed_at":"2026-11-23T08:00:01Z"' in event.to_json()


def test_an_event_with_no_faces_is_still_an_event() -> None:
    event = build_event(UploadPath.parse(UPLOAD_NAME), [], "face-service/1.0")
    assert (event.face_count, event.faces) == (0, [])


def test_a_visit_crop_describes_its_largest_face_only() -> None:
    upload = UploadPath.parse(UPLOAD_NAME, {"kind": "visit"})
    edge = face_json(age=70, gender="male", faceRectangle={"top": 0, "left": 0, "width": 30, "height": 36})
    visitor = face_json(age=24, gender="female", faceRectangle={"top": 40, "left": 90, "width": 160, "height": 170})
    event = build_event(upload, [edge, visitor], "face-service/1.0")
    assert event.kind == "visit" and [(f.gender, f.age_band) for f in event.faces] == [("female", "18-24")]
    assert build_event(upload, [], "face-service/1.0").face_count == 0
