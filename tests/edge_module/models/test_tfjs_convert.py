"""The TensorFlow.js-to-ONNX converter against the same graph computed by hand in NumPy (NHWC).

A small graph model is written the way the TensorFlow.js converter writes one (``model.json``
with the graph and a weights manifest, a ``.bin`` of float16 weights): a fused 3x3 convolution
with stride 2, SAME padding, bias and ReLU6; a depthwise 3x3 convolution; squeeze-and-excite
(global mean, 1x1 convolution, sigmoid, multiply); a bilinear 2x upsampling; a concatenation on
channels; an element-wise add of a per-channel constant. The converted ONNX model must give the
same numbers in NCHW, for an input of the design size and of another size.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from edge_module.models.tfjs_convert import UnsupportedOp, convert_graph_model

RNG = np.random.default_rng(3)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _conv_attrs(stride: int = 1, fused: list[str] | None = None) -> dict:
    attrs = {"strides": {"list": {"i": ["1", str(stride), str(stride), "1"]}}, "padding": {"s": _b64("SAME")},
             "data_format": {"s": _b64("NHWC")}, "dilations": {"list": {"i": ["1", "1", "1", "1"]}}}
    if fused:
        attrs["fused_ops"] = {"list": {"s": [_b64(f) for f in fused]}}
    return attrs


def write_model(folder: Path, weights: dict[str, np.ndarray], extra_nodes: list[dict] | None = None) -> Path:
    nodes = [{"name": "image", "op": "Placeholder",
              "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "16"}, {"size": "16"}, {"size": "3"}]}}}}]
    nodes += [{"name": name, "op": "Const"} for name in weights]
    nodes += [
        {"name": "c1", "op": "_FusedConv2D", "input": ["image", "c1/w", "c1/b"],
         "attr": _conv_attrs(2, ["BiasAdd", "Relu6"])},
        {"name": "dw", "op": "DepthwiseConv2dNative", "input": ["c1", "dw/w"], "attr": _conv_attrs()},
        {"name": "se/mean", "op": "Mean", "input": ["dw", "se/axes"], "attr": {"keep_dims": {"b": True}}},
        {"name": "se/conv", "op": "Conv2D", "input": ["se/mean", "se/w"], "attr": _conv_attrs()},
        {"name": "se/sigmoid", "op": "Sigmoid", "input": ["se/conv"]},
        {"name": "se/mul", "op": "Mul", "input": ["dw", "se/sigmoid"]},
        {"name": "up", "op": "ResizeBilinear", "input": ["se/mul", "up/size"],
         "attr": {"align_corners": {"b": False}, "half_pixel_centers": {"b": False}}},
        {"name": "cat", "op": "ConcatV2", "input": ["up", "image", "cat/axis"]},
        {"name": "out", "op": "AddV2", "input": ["cat", "out/c"]},
    ] + (extra_nodes or [])
    specs, blobs = [], []
    for name, value in weights.items():
        if value.dtype == np.float32:
            specs.append({"name": name, "shape": list(value.shape), "dtype": "float32",
                          "quantization": {"dtype": "float16", "original_dtype": "float32"}})
            blobs.append(value.astype(np.float16).tobytes())
        else:
            specs.append({"name": name, "shape": list(value.shape), "dtype": "int32"})
            blobs.append(value.astype(np.int32).tobytes())
    (folder / "m.bin").write_bytes(b"".join(blobs))
    model = {"format": "graph-model", "modelTopology": {"node": nodes},
             "weightsManifest": [{"paths": ["m.bin"], "weights": specs}]}
    path = folder / "model.json"
    path.write_text(json.dumps(model))
    return path


def conv_nhwc(x: np.ndarray, w: np.ndarray, stride: int = 1, depthwise: bool = False) -> np.ndarray:
    """TensorFlow's SAME convolution, by hand: x [1,H,W,C], w [kh,kw,C,O] (or [kh,kw,C,1] depthwise)."""
    _, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    oh, ow = -(-h // stride), -(-wd // stride)
    pad_h, pad_w = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - wd, 0)
    xp = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((1, oh, ow, c if depthwise else w.shape[3]), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + oh * stride:stride, j:j + ow * stride:stride, :]
            out += patch * w[i, j, :, 0] if depthwise else patch @ w[i, j]
    return out


def resize2x_asymmetric(x: np.ndarray) -> np.ndarray:
    """TensorFlow's ResizeBilinear to twice the size, without align_corners or half-pixel centres."""
    _, h, w, _ = x.shape
    ys, xs = np.arange(2 * h) / 2, np.arange(2 * w) / 2
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[None, :, None, None], (xs - x0)[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
    bottom = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy


def reference(x: np.ndarray, wt: dict[str, np.ndarray]) -> np.ndarray:
    f = {k: v.astype(np.float16).astype(np.float64) if v.dtype == np.float32 else v for k, v in wt.items()}
    c1 = np.clip(conv_nhwc(x, f["c1/w"], 2) + f["c1/b"], 0, 6)
    dw = conv_nhwc(c1, f["dw/w"], depthwise=True)
    se = 1 / (1 + np.exp(-conv_nhwc(dw.mean(axis=(1, 2), keepdims=True), f["se/w"])))
    up = resize2x_asymmetric(dw * se)
    return np.concatenate([up, x], axis=3) + f["out/c"]


@pytest.fixture
def weights() -> dict[str, np.ndarray]:
    return {
        "c1/w": RNG.normal(0, 0.5, (3, 3, 3, 4)).astype(np.float32),
        "c1/b": RNG.normal(0, 0.5, (4,)).astype(np.float32),
        "dw/w": RNG.normal(0, 0.5, (3, 3, 4, 1)).astype(np.float32),
        "se/axes": np.array([1, 2], dtype=np.int32),
        "se/w": RNG.normal(0, 0.5, (1, 1, 4, 4)).astype(np.float32),
        "up/size": np.array([16, 16], dtype=np.int32),
        "cat/axis": np.array(3, dtype=np.int32),
        "out/c": RNG.normal(0, 0.5, (7,)).astype(np.float32),
    }


@pytest.mark.parametrize("size", [(16, 16), (32, 24)])
def test_the_onnx_graph_computes_what_the_tensorflow_graph_does(
    tmp_path: Path, weights: dict[str, np.ndarray], size: tuple[int, int],
) -> None:
    model = convert_graph_model(write_model(tmp_path, weights), {"out": "result"})
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = RNG.uniform(0, 1, (1, *size, 3))
    (got,) = session.run(None, {"image": x.transpose(0, 3, 1, 2).astype(np.float32)})
    want = reference(x, weights).transpose(0, 3, 1, 2)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=2e-3)


def test_an_output_can_keep_a_slice_of_its_channels(tmp_path: Path, weights: dict[str, np.ndarray]) -> None:
    model = convert_graph_model(write_model(tmp_path, weights), {"out": "first"}, slices={"first": (0, 1)})
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = RNG.uniform(0, 1, (1, 16, 16, 3))
    (got,) = session.run(None, {"image": x.transpose(0, 3, 1, 2).astype(np.float32)})
    np.testing.assert_allclose(got[0, 0], reference(x, weights)[0, :, :, 0], atol=2e-3)


def test_an_op_it_cannot_write_is_named(tmp_path: Path, weights: dict[str, np.ndarray]) -> None:
    extra = [{"name": "top", "op": "TopKV2", "input": ["out", "se/axes"]}]
    with pytest.raises(UnsupportedOp, match="TopKV2"):
        convert_graph_model(write_model(tmp_path, weights, extra), {"top": "top"})
