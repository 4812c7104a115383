"""Blur, exposure, noise and qualityForRecognition of real faces, and the gate that leaves bad faces unguessed."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from face_helpers import ASTRONAUT_FACE, GRACE_HOPPER_FACE
from skimage import data

from face_service.config import ServiceSettings
from face_service.models.base import Detection
from face_service.pipeline import Analyzer, render
from face_service.quality import FaceQuality, gate_reason, measure, quality_for_recognition
from face_service.schemas import DetectOptions

ASTRONAUT = Detection(ASTRONAUT_FACE, np.zeros((5, 2), np.float32), 1.0)
GRACE = Detection(GRACE_HOPPER_FACE, np.zeros((5, 2), np.float32), 1.0)
FRONTAL = (0.0, 0.0, 0.0)


@pytest.fixture(scope="module")
def grace() -> np.ndarray:
    import matplotlib.cbook
    from PIL import Image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.asarray(Image.open(f).convert("RGB"))


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ServiceSettings(workers=1))


def test_a_sharp_well_lit_portrait_is_low_blur_good_exposure_low_noise() -> None:
    quality = measure(data.astronaut(), ASTRONAUT)

    assert (quality.blur_level, quality.exposure_level, quality.noise_level) == ("low", "goodExposure", "low")
    assert quality_for_recognition(quality, FRONTAL, ServiceSettings()) == "high"  # 89 x 112 px, frontal


@pytest.mark.parametrize(("sigma", "level"), [(1.0, "low"), (4.0, "medium"), (8.0, "high")])
def test_blur_rises_with_a_gaussian_blur(grace: np.ndarray, sigma: float, level: str) -> None:
    quality = measure(cv2.GaussianBlur(grace, (0, 0), sigma), GRACE)  # her face is 171 px: measured at 112

    assert quality.blur_level == level
    assert measure(grace, GRACE).blur == 0.0


def test_darkness_and_brightness_are_under_and_over_exposure() -> None:
    image = data.astronaut().astype(np.float32)

    dark = measure((image * 0.2).astype(np.uint8), ASTRONAUT)
    bright = measure(np.clip(image * 1.8 + 60, 0, 255).astype(np.uint8), ASTRONAUT)

    assert dark.exposure_level == "underExposure" and bright.exposure_level == "overExposure"


@pytest.mark.parametrize(("sigma", "level"), [(12.0, "medium"), (25.0, "high")])
def test_added_gaussian_noise_is_measured_in_grey_levels(sigma: float, level: str) -> None:
    rng = np.random.default_rng(1)
    grain = rng.normal(0, sigma, (*data.astronaut().shape[:2], 1))  # the same on R, G and B: grey-level noise
    noisy = np.clip(data.astronaut() + grain, 0, 255).astype(np.uint8)

    quality = measure(noisy, ASTRONAUT)

    assert quality.noise_level == level
    assert quality.noise * 25 == pytest.approx(sigma, rel=0.35)


@pytest.mark.parametrize(("quality", "pose", "reason"), [
    (FaceQuality(blur=0.1, exposure=0.5, noise=0.1, size_px=120), FRONTAL, None),
    (FaceQuality(blur=0.1, exposure=0.5, noise=0.1, size_px=30), FRONTAL, "small"),
    (FaceQuality(blur=0.8, exposure=0.5, noise=0.1, size_px=120), FRONTAL, "blurred"),
    (FaceQuality(blur=0.1, exposure=0.03, noise=0.1, size_px=120), FRONTAL, "exposure"),
    (FaceQuality(blur=0.1, exposure=0.5, noise=0.1, size_px=120), (0.0, 0.0, 60.0), "turned"),
    (FaceQuality(blur=0.1, exposure=0.5, noise=0.1, size_px=120), (-70.0, 0.0, 0.0), "turned"),
])
def test_the_gate_names_its_reason(quality: FaceQuality, pose: tuple, reason: str | None) -> None:
    assert gate_reason(quality, pose, ServiceSettings()) == reason
    if reason is not None:
        assert quality_for_recognition(quality, pose, ServiceSettings()) == "low"


def test_quality_for_recognition_is_high_for_a_big_sharp_frontal_face() -> None:
    quality = FaceQuality(blur=0.1, exposure=0.5, noise=0.1, size_px=150)

    assert quality_for_recognition(quality, (5.0, 0.0, -10.0), ServiceSettings()) == "high"
    assert quality_for_recognition(quality, (5.0, 0.0, -30.0), ServiceSettings()) == "medium"


def test_a_gated_face_has_null_estimates_but_its_quality_is_reported(analyzer: Analyzer, grace: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(grace, (0, 0), 8)
    wanted = ("age", "gender", "emotion", "headPose", "blur", "exposure", "noise", "qualityForRecognition")

    (face,) = json.loads(render(analyzer.analyze(blurred, DetectOptions(attributes=wanted))))

    attrs = face["faceAttributes"]
    assert attrs["age"] is None and attrs["gender"] is None and attrs["emotion"] is None
    assert attrs["blur"]["blurLevel"] == "high" and attrs["qualityForRecognition"] == "low"
    assert attrs["exposure"]["exposureLevel"] == "goodExposure" and "noiseLevel" in attrs["noise"]
    assert set(attrs["headPose"]) == {"pitch", "roll", "yaw"}


def test_a_sharp_face_keeps_its_estimates(analyzer: Analyzer) -> None:
    (face,) = json.loads(render(analyzer.analyze(data.astronaut(), DetectOptions(attributes=("age", "gender")))))

    assert face["faceAttributes"]["gender"] == "female" and 15 < face["faceAttributes"]["age"] < 70
    assert set(face["faceAttributes"]) == {"age", "gender"}  # nothing that was not asked for


def test_the_gate_thresholds_are_settings(grace: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(grace, (0, 0), 8)
    lenient = Analyzer(ServiceSettings(workers=1, quality_max_blur=1.01))

    (face,) = json.loads(render(lenient.analyze(blurred, DetectOptions(attributes=("gender",)))))

    assert face["faceAttributes"]["gender"] in {"female", "male"}
    assert json.loads(render(Analyzer(ServiceSettings(workers=1)).analyze(
        blurred, DetectOptions(attributes=("gender",)))))[0]["faceAttributes"]["gender"] is None
