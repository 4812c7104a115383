"""face-api's networks as adapters: mirror averaging makes a face and its mirror image one answer."""

from __future__ import annotations

import matplotlib.cbook
import numpy as np
import pytest
from face_helpers import ASTRONAUT_FACE, GRACE_HOPPER_FACE
from PIL import Image
from skimage import data

from face_service.config import ServiceSettings
from face_service.models import Detection, build_age_gender, build_emotion
from face_service.models.faceapi_models import CROP_SCALE, CROP_SHIFT, face_chip, mirror_mean, with_mirrors

SIDE = 112
CAMERAMAN_FACE = (195, 113, 60, 80)


def _photo(name: str) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    if name == "astronaut":
        return data.astronaut(), ASTRONAUT_FACE
    if name == "cameraman":
        return np.stack([data.camera()] * 3, axis=-1), CAMERAMAN_FACE
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as photo:
        return np.asarray(photo.convert("RGB")), GRACE_HOPPER_FACE


def _face_photo(name: str) -> np.ndarray:
    """A 112 x 112 photo of one real face, framed exactly as the networks' crop (see :func:`_centred_face`)."""
    image, box = _photo(name)
    return face_chip(image, Detection(box, np.zeros((5, 2), np.float32), 1.0)).astype(np.uint8)


def _centred_face() -> list[Detection]:
    """The box whose crop is the whole 112 x 112 photo: mirroring the photo leaves the box where it is, so
    the crop of the mirrored photo is exactly the mirror image of the crop."""
    side = SIDE / CROP_SCALE
    box = (SIDE / 2 - side / 2, SIDE / 2 - side / 2 - CROP_SHIFT * side, side, side)
    return [Detection(box, np.zeros((5, 2), np.float32), 1.0)]


def _answers(settings: ServiceSettings, photo: np.ndarray) -> tuple[float, float, dict[str, float]]:
    (estimate,) = build_age_gender(settings).estimate(photo, _centred_face())
    (emotion,) = build_emotion(settings).classify(photo, _centred_face())
    assert estimate.gender_score is not None
    male = estimate.gender_score if estimate.gender == "male" else 1 - estimate.gender_score
    return estimate.age, male, emotion


def test_the_centred_box_crops_the_whole_photo() -> None:
    photo = _face_photo("astronaut")

    chip = face_chip(photo, _centred_face()[0])

    np.testing.assert_array_equal(chip, photo.astype(np.float32))


def test_with_mirrors_appends_the_mirror_images_and_mirror_mean_averages_each_pair() -> None:
    chips = np.arange(2 * 2 * 3 * 1, dtype=np.float32).reshape(2, 2, 3, 1)

    batch = with_mirrors(chips)

    assert batch.shape == (4, 2, 3, 1)
    np.testing.assert_array_equal(batch[2], chips[0][:, ::-1])
    np.testing.assert_array_equal(mirror_mean(np.array([[1.0], [3.0], [5.0], [9.0]])), [[3.0], [6.0]])


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper", "cameraman"])
def test_with_mirror_averaging_a_face_and_its_mirror_image_get_the_same_age_gender_and_expression(name: str) -> None:
    settings = ServiceSettings(workers=1, mirror_average_age_gender=True, mirror_average_emotion=True)
    photo = _face_photo(name)

    age, male, emotion = _answers(settings, photo)
    mirrored_age, mirrored_male, mirrored_emotion = _answers(settings, np.ascontiguousarray(photo[:, ::-1]))

    assert mirrored_age == age
    assert mirrored_male == pytest.approx(male, abs=1e-6)
    assert mirrored_emotion == pytest.approx(emotion, abs=1e-6)


def test_without_mirror_averaging_the_answer_depends_on_which_way_the_face_is_seen() -> None:
    """Why the averaging is on by default: the cameraman's expression and gender certainty change with a mirror."""
    settings = ServiceSettings(workers=1, mirror_average_age_gender=False, mirror_average_emotion=False)
    photo = _face_photo("cameraman")

    _, male, emotion = _answers(settings, photo)
    _, mirrored_male, mirrored_emotion = _answers(settings, np.ascontiguousarray(photo[:, ::-1]))

    assert max(abs(emotion[k] - mirrored_emotion[k]) for k in emotion) > 0.2
    assert abs(male - mirrored_male) > 0.05


def test_mirror_averaging_is_the_mean_of_the_two_single_answers() -> None:
    photo = _face_photo("grace_hopper")
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    single = ServiceSettings(workers=1, mirror_average_age_gender=False, mirror_average_emotion=False)
    both = ServiceSettings(workers=1, mirror_average_age_gender=True, mirror_average_emotion=True)

    _, male, emotion = _answers(single, photo)
    _, mirrored_male, mirrored_emotion = _answers(single, mirrored)
    _, averaged_male, averaged_emotion = _answers(both, photo)

    assert averaged_male == pytest.approx((male + mirrored_male) / 2, abs=1e-5)
    for name in emotion:
        assert averaged_emotion[name] == pytest.approx((emotion[name] + mirrored_emotion[name]) / 2, abs=1e-5)


def test_by_default_only_the_expression_is_mirror_averaged() -> None:
    """The expression network is the cheaper one and the less steady (see the module doc of faceapi_models)."""
    photo = _face_photo("cameraman")
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    default = ServiceSettings(workers=1)

    age, male, emotion = _answers(default, photo)
    mirrored_age, mirrored_male, mirrored_emotion = _answers(default, mirrored)

    assert mirrored_emotion == pytest.approx(emotion, abs=1e-6)
    assert abs(male - mirrored_male) > 0.05


def test_the_analyzer_id_says_which_networks_are_mirror_averaged() -> None:
    """FrameEvent.analyzer records it: the answers differ with and without the averaging."""
    from face_service.pipeline import Analyzer

    default = Analyzer(ServiceSettings(workers=1)).analyzer
    both = Analyzer(ServiceSettings(workers=1, mirror_average_age_gender=True)).analyzer

    assert "faceapi-age-gender/1.7.15 " in default and "faceapi-expression/1.7.15+mirror" in default
    assert "faceapi-age-gender/1.7.15+mirror " in both


def test_each_face_of_a_photo_is_averaged_with_its_own_mirror() -> None:
    """Two faces side by side: each gets what it gets alone (the batch pairs face i with mirror i, not another's)."""
    settings = ServiceSettings(workers=1, mirror_average_age_gender=True, mirror_average_emotion=True)
    left, right = _face_photo("astronaut"), _face_photo("cameraman")
    both = np.ascontiguousarray(np.concatenate([left, right], axis=1))
    (centred,) = _centred_face()
    x, y, w, h = centred.box
    faces = [centred, Detection((x + SIDE, y, w, h), centred.landmarks, 1.0)]

    estimates = build_age_gender(settings).estimate(both, faces)
    emotions = build_emotion(settings).classify(both, faces)

    for i, alone in enumerate((left, right)):
        age, male, emotion = _answers(settings, alone)
        estimate = estimates[i]
        assert estimate.gender_score is not None
        assert estimate.age == age
        assert (estimate.gender_score if estimate.gender == "male" else 1 - estimate.gender_score) == pytest.approx(
            male, abs=1e-5)
        assert emotions[i] == pytest.approx(emotion, abs=1e-5)
