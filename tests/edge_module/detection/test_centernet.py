"""The default person detector, CenterNet converted from its npm package, on labelled real footage.

``data/vtest_people.json`` holds 40 frames of vtest.avi with every person's box (how they were
labelled is written in the file). The issue's target: at least 85% of the people at least 50 px
tall found, at a precision of at least 80%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_module.config import DetectorConfig, RegionOfInterest
from edge_module.detection import build_detector
from edge_module.detection.centernet import CenterNetPersonDetector, input_size
from edge_module.detection.hog import HogPersonDetector
from edge_module.detection.scoring import LabelledFrame, load_labels, read_frames, score_detector, score_frame

LABELS = Path(__file__).resolve().parents[1] / "data" / "vtest_people.json"


@pytest.fixture(scope="module")
def labels() -> list[LabelledFrame]:
    return load_labels(LABELS)


@pytest.fixture(scope="module")
def labelled_frames(labels: list[LabelledFrame], vtest_path: Path) -> dict[int, np.ndarray]:
    return read_frames(vtest_path, [f.frame for f in labels])


@pytest.fixture(scope="module")
def detector() -> CenterNetPersonDetector:
    detector = build_detector(DetectorConfig())
    assert isinstance(detector, CenterNetPersonDetector)
    return detector


def test_the_labels_cover_forty_frames_of_people_at_store_camera_sizes(labels: list[LabelledFrame]) -> None:
    assert len(labels) >= 40
    heights = [b[3] - b[1] for f in labels for b in f.people]
    assert sum(h >= 50 for h in heights) >= 200
    assert 50 <= float(np.median(heights)) <= 120


def test_people_of_fifty_pixels_and_more_are_found_at_the_target_recall_and_precision(
    detector: CenterNetPersonDetector, labels: list[LabelledFrame], labelled_frames: dict[int, np.ndarray],
) -> None:
    score = score_detector(detector.detect, labels, labelled_frames)
    assert score.recall >= 0.85, score
    assert score.precision >= 0.80, score


def test_hog_stays_available_as_the_fallback_but_misses_most_of_these_people(
    labels: list[LabelledFrame], labelled_frames: dict[int, np.ndarray],
) -> None:
    hog = build_detector(DetectorConfig(kind="hog"))
    assert isinstance(hog, HogPersonDetector)
    score = score_detector(hog.detect, labels[::4], labelled_frames)
    assert score.recall < 0.5, "the reason the default changed: HOG's 64x128 window misses people this size"


def test_boxes_are_in_frame_pixels_and_fit_the_people(
    detector: CenterNetPersonDetector, labels: list[LabelledFrame], labelled_frames: dict[int, np.ndarray],
) -> None:
    frame = labelled_frames[labels[0].frame]
    people = detector.detect(frame)
    assert people
    for p in people:
        assert 0 <= p.x and p.x + p.width <= frame.shape[1]
        assert 0 <= p.y and p.y + p.height <= frame.shape[0]
        assert p.height < 50 or p.height / p.width >= 1.5, "people stand: taller than wide"
        assert 0.3 <= p.score <= 1
    assert score_frame(people, labels[0].people).recall == 1.0


def test_nobody_in_the_empty_car_park(detector: CenterNetPersonDetector, empty_scene: np.ndarray) -> None:
    assert [p for p in detector.detect(empty_scene) if p.height >= 50] == []


def test_the_region_of_interest_limits_where_people_are_found(
    labels: list[LabelledFrame], labelled_frames: dict[int, np.ndarray],
) -> None:
    frame = labelled_frames[labels[0].frame]
    right = build_detector(DetectorConfig(roi=RegionOfInterest(x=0.5, width=0.5)))
    people = right.detect(frame)
    assert people and all(p.x >= frame.shape[1] * 0.5 - 1 for p in people)


def test_the_input_is_a_multiple_of_the_network_stride_keeping_the_aspect_ratio() -> None:
    assert input_size(768, 576, 512) == (512, 384)
    assert input_size(640, 480, 500) == (512, 384)
    assert input_size(1920, 1080, 512) == (512, 288)


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make setup-models"):
        build_detector(DetectorConfig(centernet_model=tmp_path / "missing.onnx"))
