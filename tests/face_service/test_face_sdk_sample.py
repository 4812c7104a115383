"""The detect calls of Microsoft's Python SDK sample (``sample_face_detection.py`` in azure-ai-vision-face),
against the running service, with the two changes this service asks for: ``return_face_id=False`` (no
face ids, by design) and the image's bytes instead of a URL (no fetching by URL, by design).

``mask``, ``glasses``, ``accessories`` and ``occlusion`` need a model we do not have under a licence a
retailer can use, so asking for them is a clear ``BadArgument`` that names them; the rest of each call
is answered in the Face API's shapes.
"""

from __future__ import annotations

import pytest
from azure.ai.vision.face import FaceClient
from azure.ai.vision.face.models import (
    FaceAttributeTypeDetection01,
    FaceAttributeTypeDetection03,
    FaceAttributeTypeRecognition04,
    FaceDetectionModel,
    FaceRecognitionModel,
)
from azure.core.exceptions import HttpResponseError

SAMPLE_03 = [FaceAttributeTypeDetection03.BLUR, FaceAttributeTypeDetection03.HEAD_POSE,
             FaceAttributeTypeDetection03.MASK, FaceAttributeTypeRecognition04.QUALITY_FOR_RECOGNITION]
SAMPLE_01 = [FaceAttributeTypeDetection01.ACCESSORIES, FaceAttributeTypeDetection01.EXPOSURE,
             FaceAttributeTypeDetection01.GLASSES, FaceAttributeTypeDetection01.NOISE]
UNSUPPORTED = {"mask", "glasses", "accessories", "occlusion"}


def _detect_03(client: FaceClient, image: bytes, attributes: list) -> list:
    return client.detect(
        image, detection_model=FaceDetectionModel.DETECTION03, recognition_model=FaceRecognitionModel.RECOGNITION04,
        return_face_id=False, return_face_attributes=attributes, return_face_landmarks=True,
        return_recognition_model=True, face_id_time_to_live=120,
    )


def _detect_01(client: FaceClient, image: bytes, attributes: list) -> list:
    return client.detect(
        image, detection_model=FaceDetectionModel.DETECTION01, recognition_model=FaceRecognitionModel.RECOGNITION04,
        return_face_id=False, return_face_attributes=attributes,
    )


@pytest.mark.parametrize(("call", "attributes"), [(_detect_03, SAMPLE_03), (_detect_01, SAMPLE_01)],
                         ids=["detection_03", "detection_01"])
def test_the_samples_calls_as_written_name_what_is_not_supported(
    face_client: FaceClient, astronaut_jpeg: bytes, call, attributes: list,
) -> None:
    with pytest.raises(HttpResponseError) as info:
        call(face_client, astronaut_jpeg, attributes)

    assert (info.value.status_code, info.value.error.code) == (400, "BadArgument")
    refused = {str(a.value) for a in attributes} & UNSUPPORTED
    assert any(f"'{name}'" in info.value.error.message for name in refused)
    assert "blur, exposure, noise, qualityForRecognition" in info.value.error.message


def test_the_detection_03_call_without_mask(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    (face,) = _detect_03(face_client, astronaut_jpeg, [a for a in SAMPLE_03 if a.value != "mask"])

    attrs = face.face_attributes
    assert attrs.blur.blur_level == "low" and 0.0 <= attrs.blur.value < 0.25
    assert -30 < attrs.head_pose.yaw < 30 and -30 < attrs.head_pose.roll < 30
    assert attrs.quality_for_recognition == "high"  # a sharp, well-lit, frontal face 112 px tall
    assert face.face_landmarks.pupil_left.x < face.face_landmarks.pupil_right.x
    assert face.face_id is None and attrs.mask is None


def test_the_detection_01_call_without_accessories_and_glasses(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    (face,) = _detect_01(face_client, astronaut_jpeg, [a for a in SAMPLE_01 if a.value not in UNSUPPORTED])

    attrs = face.face_attributes
    assert attrs.exposure.exposure_level == "goodExposure" and 0.25 <= attrs.exposure.value < 0.75
    assert attrs.noise.noise_level == "low" and 0.0 <= attrs.noise.value < 0.3
    assert attrs.glasses is None and attrs.accessories is None and attrs.blur is None
