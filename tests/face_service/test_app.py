"""The detect contract, exercised through azure-ai-vision-face's FaceClient on real photos."""

from __future__ import annotations

import numpy as np
import pytest
from azure.ai.vision.face import FaceClient
from azure.core.credentials import AzureKeyCredential
from face_helpers import ASTRONAUT_FACE, GRACE_HOPPER_FACE, detect, encode, iou
from PIL import Image
from skimage import data

from face_service.app import ANALYZER_HEADER

EMOTIONS = {"anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"}


def _box(face) -> tuple[int, int, int, int]:
    r = face.face_rectangle
    return (r.left, r.top, r.width, r.height)


def test_astronaut_has_one_female_face_where_it_is(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    faces = detect(face_client, astronaut_jpeg)

    assert len(faces) == 1
    face = faces[0]
    assert iou(_box(face), ASTRONAUT_FACE) > 0.5
    attrs = face.face_attributes
    assert attrs["gender"] == "female"
    assert 20 <= attrs.age <= 60
    assert face.face_id is None


def test_emotion_has_the_eight_face_api_scores(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    emotion = detect(face_client, astronaut_jpeg)[0].face_attributes["emotion"]

    assert set(emotion) == EMOTIONS
    assert all(0.0 <= v <= 1.0 for v in emotion.values())
    assert sum(emotion.values()) == pytest.approx(1.0, abs=1e-3)
    assert emotion["contempt"] == 0.0
    assert max(emotion, key=emotion.get) == "happiness"  # she smiles broadly


def test_head_pose_of_a_frontal_face_is_near_zero(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    pose = detect(face_client, astronaut_jpeg)[0].face_attributes.head_pose

    assert abs(pose.roll) < 15 and abs(pose.yaw) < 20 and abs(pose.pitch) < 25


@pytest.mark.parametrize("degrees_clockwise", [25, -25])
def test_head_pose_roll_follows_a_rotated_photo(face_client: FaceClient, degrees_clockwise: int) -> None:
    image = Image.fromarray(data.astronaut())
    turned = image.rotate(-degrees_clockwise, center=(222, 119), resample=Image.BILINEAR)  # PIL turns anticlockwise

    pose = detect(face_client, encode(np.asarray(turned)))[0].face_attributes.head_pose

    assert pose.roll == pytest.approx(degrees_clockwise, abs=8)


def test_grace_hopper_has_one_face_with_attributes_in_range(face_client: FaceClient, grace_hopper_jpeg: bytes) -> None:
    faces = detect(face_client, grace_hopper_jpeg)

    assert len(faces) == 1
    assert iou(_box(faces[0]), GRACE_HOPPER_FACE) > 0.5
    attrs = faces[0].face_attributes
    assert 0 <= attrs.age <= 120
    assert attrs["gender"] in {"female", "male"}
    assert -90 <= attrs.head_pose.yaw <= 90


@pytest.mark.parametrize("photo", ["coffee_jpeg", "chelsea_jpeg"])
def test_no_face_on_a_coffee_cup_or_a_cat(face_client: FaceClient, photo: str, request: pytest.FixtureRequest) -> None:
    assert detect(face_client, request.getfixturevalue(photo)) == []


def test_attributes_are_left_out_when_not_asked_for(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    only_age = detect(face_client, astronaut_jpeg, return_face_attributes=["age"])[0]
    none = detect(face_client, astronaut_jpeg, return_face_attributes=None)[0]

    assert only_age.face_attributes.age is not None
    assert "gender" not in only_age.face_attributes and "emotion" not in only_age.face_attributes
    assert only_age.face_attributes.head_pose is None
    assert none.face_attributes is None
    assert none.face_landmarks is None


def test_landmarks_lie_inside_the_face(face_client: FaceClient, astronaut_jpeg: bytes) -> None:
    face = detect(face_client, astronaut_jpeg, return_face_landmarks=True)[0]
    left, top, width, height = _box(face)
    marks = face.face_landmarks

    points = [marks.pupil_left, marks.pupil_right, marks.nose_tip, marks.mouth_left, marks.mouth_right]
    assert all(left <= p.x <= left + width and top <= p.y <= top + height for p in points)
    assert marks.pupil_left.x < marks.pupil_right.x
    eyes_y, mouth_y = max(marks.pupil_left.y, marks.pupil_right.y), min(marks.mouth_left.y, marks.mouth_right.y)
    assert eyes_y < marks.nose_tip.y < mouth_y


def test_faces_come_largest_first(face_client: FaceClient) -> None:
    astronaut = Image.fromarray(data.astronaut()).crop((140, 20, 310, 220))  # the head, 170x200
    canvas = Image.new("RGB", (640, 480), (90, 110, 120))
    for height, x in ((110, 20), (230, 200), (160, 460)):
        canvas.paste(astronaut.resize((int(170 * height / 200), height)), (x, 100))

    faces = detect(face_client, encode(np.asarray(canvas)))

    assert len(faces) == 3
    areas = [f.face_rectangle.width * f.face_rectangle.height for f in faces]
    assert areas == sorted(areas, reverse=True)
    assert 200 <= faces[0].face_rectangle.left <= 400  # the biggest one was pasted in the middle


@pytest.mark.parametrize("api_version", ["v1.0", "v1.2", "v1.2-preview.1"])
def test_every_supported_api_version_answers(face_service_url: str, api_version: str, astronaut_jpeg: bytes) -> None:
    with FaceClient(face_service_url, AzureKeyCredential("unused"), api_version=api_version) as client:
        assert len(detect(client, astronaut_jpeg)) == 1


def test_response_names_the_analyzer_and_status_lists_the_models(
    face_client: FaceClient, face_service_url: str, astronaut_jpeg: bytes
) -> None:
    import httpx

    headers: dict[str, str] = {}
    detect(face_client, astronaut_jpeg, raw_response_hook=lambda r: headers.update(r.http_response.headers))
    status = httpx.get(f"{face_service_url}/status").json()

    assert status["status"] == "ready"
    assert headers[ANALYZER_HEADER] == status["analyzer"]
    assert status["analyzer"].startswith("face-service/")
    roles = {m["role"]: m for m in status["models"]}
    assert set(roles) == {"detector", "age_gender", "emotion", "head_pose"}
    assert roles["detector"]["name"] == "yunet-onnx" and roles["detector"]["version"]
    assert f"{roles['age_gender']['name']}/{roles['age_gender']['version']}" in status["analyzer"]
