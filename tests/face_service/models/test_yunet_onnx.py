"""YuNet on onnxruntime (``yunet-onnx``) against libfacedetection's own code in the yuface wheel (``yuface``)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from face_service.imaging import decode_image
from face_service.models.base import Detection
from face_service.models.yuface_detector import YuFaceDetector
from face_service.models.yunet_onnx import YuNetOnnxDetector, library_path, read_layers, suppress

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from bench_face_service import build_photos  # type: ignore[import-not-found]  # a script

LOWEST = 0.2
"""The lowest score the pipeline asks for (small_face_confidence); libfacedetection keeps nothing below it."""


@pytest.fixture(scope="module")
def detectors() -> tuple[YuFaceDetector, YuNetOnnxDetector]:
    return YuFaceDetector(), YuNetOnnxDetector()


def _scenes() -> list[np.ndarray]:
    """The speed benchmark's photos at the detection size, and crops and rescales of them (odd sizes, as the
    second looks make them)."""
    photos = [decode_image(data) for data, _ in build_photos(28, seed=5)]
    rng = np.random.default_rng(3)
    scenes = [cv2.resize(p, (320, 240), interpolation=cv2.INTER_AREA) for p in photos]
    for p in photos:
        y0, x0 = int(rng.integers(0, 200)), int(rng.integers(0, 300))
        h, w = int(rng.integers(60, 280)), int(rng.integers(60, 340))
        scenes.append(np.ascontiguousarray(p[y0:y0 + h, x0:x0 + w]))
        s = float(rng.uniform(0.3, 0.9))
        scenes.append(cv2.resize(p, (round(640 * s), round(480 * s)), interpolation=cv2.INTER_AREA))
    return scenes


def _by_score(found: list[Detection]) -> list[Detection]:
    return sorted(found, key=lambda d: -d.score)


def test_the_layer_table_is_read_whole_from_the_installed_library() -> None:
    layers = read_layers(library_path())

    assert len(layers) == 53
    assert layers[0].weights.shape == (16, 32) and not layers[0].depthwise  # the 3x3x3 patch as 27 of 32 slots
    assert sum(layer.depthwise for layer in layers) == 26
    assert all(np.isfinite(layer.weights).all() and np.isfinite(layer.biases).all() for layer in layers)


def test_it_finds_what_yuface_finds_with_the_same_scores_boxes_and_landmarks(
    detectors: tuple[YuFaceDetector, YuNetOnnxDetector],
) -> None:
    reference, onnx = detectors
    compared = identical = 0
    for scene in _scenes():
        expected = _by_score(reference.detect(scene, LOWEST))
        got = _by_score(onnx.detect(scene, LOWEST))

        assert len(got) == len(expected), scene.shape
        for want, have in zip(expected, got, strict=True):
            # both truncate to whole percent and pixels; float rounding may tip a value across a boundary
            assert abs(have.score - want.score) <= 0.0101
            assert np.allclose(have.box, want.box, atol=1.0) and np.allclose(have.landmarks, want.landmarks, atol=1.0)
            compared += 1
            identical += have.box == want.box and have.score == want.score
    assert compared > 150 and identical >= 0.95 * compared


def test_the_threshold_is_the_instances_unless_the_call_gives_one(
    detectors: tuple[YuFaceDetector, YuNetOnnxDetector],
) -> None:
    _, onnx = detectors
    scenes = _scenes()
    low = [d for scene in scenes for d in onnx.detect(scene, LOWEST)]
    default = [d for scene in scenes for d in onnx.detect(scene)]

    assert min(d.score for d in low) >= LOWEST and min(d.score for d in default) >= onnx.min_confidence == 0.6
    assert len(default) == sum(d.score >= 0.6 for d in low) < len(low)


def test_an_empty_or_grey_image_has_no_face_and_a_wrong_array_is_refused(
    detectors: tuple[YuFaceDetector, YuNetOnnxDetector],
) -> None:
    _, onnx = detectors

    assert onnx.detect(np.full((240, 320, 3), 127, np.uint8), LOWEST) == []
    assert onnx.detect(np.zeros((37, 41, 3), np.uint8), LOWEST) == []
    with pytest.raises(ValueError, match="RGB uint8"):
        onnx.detect(np.zeros((240, 320), np.uint8))
    with pytest.raises(ValueError, match="min_confidence"):
        YuNetOnnxDetector(min_confidence=0.0)


def test_suppression_keeps_the_best_of_overlapping_boxes_and_the_separate_ones() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10], [0, 5, 10, 10]], np.float32)
    scores = np.array([0.5, 0.9, 0.7, 0.6], np.float32)

    # IoU(1, 0) = 81/119 > 0.45: suppressed; IoU(1, 3) = 54/146 < 0.45: kept
    assert suppress(scores, boxes) == [1, 2, 3]
