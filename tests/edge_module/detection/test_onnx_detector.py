"""The ONNX detector adapter against its documented convention, on small models built here.

No detection weights are downloaded: each test builds a tiny ONNX graph whose "person score" is
the mean brightness of the input tensor, so a white frame holds a person and a black one does
not. That exercises the whole adapter - letterboxing, NCHW/RGB/0..1 input, both output layouts,
class filtering, non-maximum suppression and mapping boxes back to frame pixels - through real
onnxruntime sessions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_module.config import DetectorConfig, RegionOfInterest
from edge_module.detection import build_detector
from edge_module.detection.onnx_detector import OnnxPersonDetector


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _mean_brightness_nodes(n: int) -> list[onnx.NodeProto]:
    """``score[1, n, 1]``: the mean of the whole input, repeated n times."""
    return [
        helper.make_node("ReduceMean", ["images"], ["mean4"], keepdims=1),
        helper.make_node("Reshape", ["mean4", "shape111"], ["mean"]),
        helper.make_node("Tile", ["mean", "repeats"], ["score"]),
    ]


def xyxy_model(
    path: Path, boxes: list[list[float]], classes: list[int], size: tuple[int, int] | None = (320, 320)
) -> Path:
    """Output ``[1, N, 6]``: the given boxes (input pixels), score = mean brightness, the given classes."""
    n = len(boxes)
    h, w = (size[1], size[0]) if size else ("H", "W")
    inits = [
        numpy_helper.from_array(np.array(boxes, np.float32)[None], "boxes"),
        numpy_helper.from_array(np.array(classes, np.float32).reshape(1, n, 1), "classes"),
        numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape111"),
        numpy_helper.from_array(np.array([1, n, 1], np.int64), "repeats"),
    ]
    nodes = _mean_brightness_nodes(n) + [helper.make_node("Concat", ["boxes", "score", "classes"], ["dets"], axis=2)]
    graph = helper.make_graph(
        nodes, "xyxy", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, h, w])],
        [helper.make_tensor_value_info("dets", TensorProto.FLOAT, [1, n, 6])], inits,
    )
    return _save(graph, path)


def yolov8_model(path: Path, boxes_cxcywh: list[list[float]], n_classes: int = 2) -> Path:
    """Output ``[1, 4 + C, N]``: boxes (cx, cy, w, h), class 0 score = brightness, other classes 0.9."""
    n = len(boxes_cxcywh)
    inits = [
        numpy_helper.from_array(np.array(boxes_cxcywh, np.float32).T[None], "boxes"),  # [1, 4, N]
        numpy_helper.from_array(np.full((1, n_classes - 1, n), 0.9, np.float32), "others"),
        numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape111"),
        numpy_helper.from_array(np.array([1, 1, n], np.int64), "repeats"),
    ]
    nodes = _mean_brightness_nodes(n) + [helper.make_node("Concat", ["boxes", "score", "others"], ["pred"], axis=1)]
    graph = helper.make_graph(
        nodes, "yolov8", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("pred", TensorProto.FLOAT, [1, 4 + n_classes, n])], inits,
    )
    return _save(graph, path)


WHITE = np.full((720, 1280, 3), 255, np.uint8)
BLACK = np.zeros((720, 1280, 3), np.uint8)


def test_xyxy_layout_maps_boxes_back_through_the_letterbox(tmp_path: Path) -> None:
    # 1280x720 into 320x320: factor 0.25, image 320x180 centred, 70 px of padding on top.
    model = xyxy_model(tmp_path / "m.onnx", [[80, 90, 160, 170], [0, 70, 40, 100]], classes=[0, 2])
    detector = build_detector(DetectorConfig(kind="onnx", onnx_model=model))
    assert isinstance(detector, OnnxPersonDetector)
    people = detector.detect(WHITE)
    assert len(people) == 1, "only class 0 (person) counts"
    p = people[0]
    assert (p.x, p.y, p.width, p.height) == (320, 80, 320, 320)
    # The score is the input's mean: 180 white rows and 140 rows of 114/255 grey padding.
    assert p.score == pytest.approx((180 + 140 * 114 / 255) / 320, abs=1e-4) and p.source == "onnx"


def test_dark_frame_scores_below_threshold(tmp_path: Path) -> None:
    model = xyxy_model(tmp_path / "m.onnx", [[80, 90, 160, 170]], classes=[0])
    detector = OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model))
    assert detector.detect(BLACK) == []


def test_input_tensor_is_nchw_rgb_in_unit_range_with_grey_padding(tmp_path: Path) -> None:
    model = xyxy_model(tmp_path / "m.onnx", [[0, 0, 10, 10]], classes=[0])
    detector = OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model))
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[..., 2] = 255  # pure red in BGR
    tensor, factor, left, top = detector.letterbox(frame)
    assert tensor.shape == (1, 3, 320, 320) and tensor.dtype == np.float32
    assert (factor, left, top) == (1.6, 0, 80)
    assert tensor[0, :, 160, 160].tolist() == [1.0, 0.0, 0.0]  # R, G, B
    assert tensor[0, 0, 10, 160] == pytest.approx(114 / 255)  # padding


def test_yolov8_layout_applies_non_maximum_suppression(tmp_path: Path) -> None:
    # Two nearly identical boxes and one apart, all at the same score: NMS keeps two.
    model = yolov8_model(tmp_path / "y.onnx", [[100, 160, 40, 80], [102, 161, 40, 80], [250, 160, 40, 80]])
    detector = OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model, onnx_layout="yolov8"))
    people = detector.detect(WHITE)
    assert len(people) == 2
    xs = sorted(p.center[0] for p in people)
    assert xs[0] == pytest.approx(400, abs=12) and xs[1] == pytest.approx(1000, abs=4)
    assert detector.detect(BLACK) == []  # class 1 scores 0.9 everywhere but is not a person


def test_dynamic_input_size_needs_configuration(tmp_path: Path) -> None:
    model = xyxy_model(tmp_path / "d.onnx", [[10, 10, 100, 200]], classes=[0], size=None)
    with pytest.raises(ValueError, match="onnx_input_size"):
        OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model))
    detector = OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model, onnx_input_size=(256, 256)))
    assert detector.input_size == (256, 256)
    assert len(detector.detect(np.full((256, 256, 3), 200, np.uint8))) == 1


def test_roi_and_size_filters_apply_to_onnx_detections(tmp_path: Path) -> None:
    model = xyxy_model(tmp_path / "m.onnx", [[0, 0, 320, 320]], classes=[0])
    roi = RegionOfInterest(x=0.5, y=0.0, width=0.5, height=1.0)
    people = OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=model, roi=roi)).detect(WHITE)
    assert len(people) == 1 and people[0].x == 640 and people[0].width == 640  # the ROI's full right half
    tall_only = DetectorConfig(kind="onnx", onnx_model=xyxy_model(tmp_path / "s.onnx", [[150, 150, 170, 190]], [0]),
                               min_person_height=0.5)
    assert OnnxPersonDetector(tall_only).detect(WHITE) == []


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ONNX model not found"):
        OnnxPersonDetector(DetectorConfig(kind="onnx", onnx_model=tmp_path / "nope.onnx"))
