"""Person detection on real footage: OpenCV's HOG people detector (the fallback) with its default tuning."""

from __future__ import annotations

import numpy as np
import pytest
from edge_helpers import decode

from edge_module.config import DetectorConfig, RegionOfInterest
from edge_module.detection import PersonDetector, build_detector
from edge_module.detection.centernet import CenterNetPersonDetector
from edge_module.detection.hog import HogOrFaceDetector, HogPersonDetector


@pytest.fixture(scope="module")
def hog() -> HogPersonDetector:
    return HogPersonDetector(DetectorConfig())


def test_detectors_are_chosen_by_configuration() -> None:
    assert isinstance(build_detector(DetectorConfig()), CenterNetPersonDetector)
    assert isinstance(build_detector(DetectorConfig(kind="hog")), HogPersonDetector)
    assert isinstance(build_detector(DetectorConfig(kind="hog+face")), HogOrFaceDetector)
    assert isinstance(build_detector(DetectorConfig()), PersonDetector)


def test_pedestrians_in_vtest_are_found_in_most_frames(hog: HogPersonDetector, vtest_frames: list[np.ndarray]) -> None:
    found = [bool(hog.detect(f)) for f in vtest_frames]
    assert sum(found) >= 0.6 * len(vtest_frames), f"people found in only {sum(found)}/{len(found)} frames"


def test_detections_are_upright_boxes_inside_the_frame(hog: HogPersonDetector, vtest_frames: list[np.ndarray]) -> None:
    frame = vtest_frames[0]
    people = hog.detect(frame)
    assert people
    for p in people:
        assert 0 <= p.x and p.x + p.width <= frame.shape[1] + 16
        assert 0 <= p.y and p.y + p.height <= frame.shape[0] + 16
        assert p.height == pytest.approx(2 * p.width, rel=0.05)  # the 64x128 HOG window, scaled
        assert p.score >= 0.5


def test_the_empty_car_park_has_nobody(hog: HogPersonDetector, empty_scene: np.ndarray) -> None:
    assert hog.detect(empty_scene) == []
    assert hog.raw(empty_scene) == []  # not even a sub-threshold hit


def test_coffee_and_cat_have_nobody(hog: HogPersonDetector, coffee_jpeg: bytes, chelsea_jpeg: bytes) -> None:
    assert hog.detect(decode(coffee_jpeg)) == []
    assert hog.detect(decode(chelsea_jpeg)) == []


def test_basketball_players_are_found(hog: HogPersonDetector, basketball_bgr: np.ndarray) -> None:
    people = hog.detect(basketball_bgr)
    assert people
    tallest = max(people, key=lambda p: p.height)
    assert tallest.height > 0.5 * basketball_bgr.shape[0]  # the player in the foreground


def test_hog_misses_a_crouched_close_up_but_the_face_option_finds_it(
    hog: HogPersonDetector, messi_bgr: np.ndarray,
) -> None:
    # messi5.jpg: a footballer mid-kick filling the frame. HOG is trained on upright pedestrians
    # and finds nobody; ``hog+face`` falls back to a frontal-face cascade and finds his face.
    assert hog.detect(messi_bgr) == []
    faces = HogOrFaceDetector(DetectorConfig(kind="hog+face")).detect(messi_bgr)
    assert faces and all(f.source == "face" for f in faces)
    assert any(200 <= f.center[0] <= 300 and 60 <= f.center[1] <= 150 for f in faces)  # his head


def test_face_option_keeps_negatives_negative(
    coffee_jpeg: bytes, chelsea_jpeg: bytes, empty_scene: np.ndarray,
) -> None:
    detector = HogOrFaceDetector(DetectorConfig(kind="hog+face"))
    for image in (decode(coffee_jpeg), decode(chelsea_jpeg), empty_scene):
        assert detector.detect(image) == []


def test_region_of_interest_limits_where_people_count(basketball_bgr: np.ndarray) -> None:
    everywhere = HogPersonDetector(DetectorConfig()).detect(basketball_bgr)
    assert any(p.center[0] < 200 for p in everywhere)  # the foreground player is on the left
    right_half = HogPersonDetector(DetectorConfig(roi=RegionOfInterest(x=0.5, width=0.5, height=1.0)))
    found = right_half.detect(basketball_bgr)
    assert all(p.x >= 320 for p in found), "boxes are reported in full-frame pixels, inside the ROI"
    assert not any(p.center[0] < 200 for p in found)


def test_minimum_person_height_filters_small_people(vtest_frames: list[np.ndarray]) -> None:
    frame = vtest_frames[0]
    assert HogPersonDetector(DetectorConfig()).detect(frame)
    # vtest's pedestrians are under half the frame tall.
    assert HogPersonDetector(DetectorConfig(min_person_height=0.5)).detect(frame) == []


def test_score_threshold_trades_recall_for_precision(vtest_frames: list[np.ndarray]) -> None:
    loose = HogPersonDetector(DetectorConfig(min_score=0.0))
    strict = HogPersonDetector(DetectorConfig(min_score=1.5))
    n_loose = sum(len(loose.detect(f)) for f in vtest_frames[:10])
    n_strict = sum(len(strict.detect(f)) for f in vtest_frames[:10])
    assert n_loose > n_strict


def test_onnx_kind_needs_a_model_path() -> None:
    with pytest.raises(ValueError, match="onnx_model"):
        DetectorConfig(kind="onnx")
