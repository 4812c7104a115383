"""Query string parsing for detect, as the Face API checks it."""

from __future__ import annotations

import pytest

from face_service.errors import FaceApiError
from face_service.query import parse_detect_query


def test_defaults_ask_for_nothing_but_rectangles() -> None:
    options = parse_detect_query({})
    assert options.attributes == () and options.landmarks is False
    assert options.detection_model == "detection_01" and options.recognition_model == "recognition_01"


def test_names_and_values_are_case_insensitive_and_attributes_deduplicated() -> None:
    options = parse_detect_query({
        "ReturnFaceAttributes": "AGE, gender,headpose,age,Emotion", "returnFaceLandmarks": "TRUE",
        "detectionModel": "Detection_03", "recognitionModel": "recognition_04", "returnFaceId": "false",
    })
    assert options.attributes == ("age", "gender", "headPose", "emotion")
    assert options.landmarks is True
    assert options.detection_model == "detection_03"


@pytest.mark.parametrize(
    ("params", "status", "code", "mentions"),
    [
        ({"returnFaceAttributes": "age,wings"}, 400, "BadArgument", "'wings'"),
        ({"returnFaceAttributes": "glasses"}, 400, "BadArgument", "'glasses' is not supported"),
        ({"returnFaceLandmarks": "yes"}, 400, "BadArgument", "returnfacelandmarks"),
        ({"detectionModel": "detection_04"}, 400, "BadArgument", "'detectionModel' is invalid"),
        ({"recognitionModel": "recognition_05"}, 400, "BadArgument", "'recognitionModel' is invalid"),
        ({"faceIdTimeToLive": "5"}, 400, "BadArgument", "faceIdTimeToLive"),
        ({"returnFaceId": "true"}, 403, "UnsupportedFeature", "returnFaceId=false"),
    ],
)
def test_bad_arguments_are_named(params: dict[str, str], status: int, code: str, mentions: str) -> None:
    with pytest.raises(FaceApiError) as info:
        parse_detect_query(params)
    assert (info.value.status, info.value.code) == (status, code)
    assert mentions in info.value.message
