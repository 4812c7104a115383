"""Convert face-api's age/gender and expression networks (TensorFlow.js weights) to ONNX.

``@vladmandic/face-api`` (MIT) ships its networks as TensorFlow.js weight files: a manifest of
named, uint8-quantized tensors plus a binary, with the layer graph in the library's own code.
This module reads the manifest and the binary, dequantizes the weights, and writes the same
layer graphs with the ``onnx`` helper API:

* ``faceapi_age_gender.onnx``: TinyXception (entry flow, two main blocks, exit flow), a 7x7
  average pool, then two fully connected heads: ``age`` (years) and ``gender`` (softmax over
  ``male``, ``female``);
* ``faceapi_expression.onnx``: four dense blocks, a 7x7 average pool, a fully connected layer and
  a softmax over ``neutral, happy, sad, angry, fearful, disgusted, surprised``.

Both take ``image``: float32 ``[N, 112, 112, 3]`` RGB in 0..255, and normalise it inside the
graph as face-api does (subtract its mean RGB, divide by 255). Convolutions use TensorFlow's
``same`` padding (the extra row and column at the end). Run at install time (``make setup``):

    python -m face_service.models.faceapi_convert PACKAGE_DIR OUT_DIR

``tests/face_service/models/test_faceapi_convert.py`` checks the graphs against the original
running on TensorFlow.js in Node.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from onnx import ModelProto  # installed where the models are converted (make setup-models)

INPUT_SIDE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
EXPRESSIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
GENDERS: tuple[str, ...] = ("male", "female")
AGE_GENDER_FILE = "faceapi_age_gender.onnx"
EXPRESSION_FILE = "faceapi_expression.onnx"
INFO_FILE = "faceapi.json"
SOURCES = {"age_gender": "age_gender_model", "expression": "face_expression_model"}
_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "uint16": np.uint16}


def read_weights(model_dir: Path, name: str) -> dict[str, np.ndarray]:
    """The named float32 tensors of ``{name}-weights_manifest.json`` and its binary files."""
    manifest = json.loads((model_dir / f"{name}-weights_manifest.json").read_text(encoding="utf-8"))
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            stored = np.dtype(_DTYPES[quant["dtype"] if quant else spec["dtype"]])
            raw = np.frombuffer(blob, dtype=stored, count=count, offset=offset)
            offset += count * stored.itemsize
            if quant is None:
                values = raw.astype(np.float32)
            elif "min" in quant:
                values = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            else:  # affine quantization with a zero point
                values = (raw.astype(np.float32) - np.float32(quant.get("zeroPoint", 0))) * np.float32(quant["scale"])
            weights[spec["name"]] = values.reshape(shape)
        if offset != len(blob):
            raise ValueError(f"{name}: the manifest accounts for {offset} bytes of {len(blob)}")
    return weights


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow's ``same`` padding: (before, after, output size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class _Graph:
    """A small builder for NCHW convolutional graphs with TensorFlow's padding rules."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.used: set[str] = set()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._n = 0

    def _name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, stem: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self._name(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def w(self, key: str) -> np.ndarray:
        self.used.add(key)
        return self.weights[key]

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        from onnx import helper

        out = self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x: str, size: int, filters: np.ndarray, bias: np.ndarray | None, stride: int,
             group: int = 1) -> tuple[str, int]:
        """``filters`` in ONNX layout ``[out, in/group, k, k]``."""
        k = filters.shape[2]
        before, after, out = _same_pads(size, k, stride)
        inputs = [x, self.const("W", filters.astype(np.float32))]
        if bias is not None:
            inputs.append(self.const("B", bias.astype(np.float32)))
        y = self.op("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride], group=group,
                    pads=[before, before, after, after])
        return y, out

    def conv_tf(self, x: str, size: int, prefix: str, stride: int) -> tuple[str, int]:
        """``tf.conv2d(x, filters, stride, 'same') + bias`` (filters ``[k, k, in, out]``)."""
        filters = self.w(f"{prefix}/filters").transpose(3, 2, 0, 1)
        return self.conv(x, size, filters, self.w(f"{prefix}/bias"), stride)

    def separable(self, x: str, size: int, prefix: str, stride: int) -> tuple[str, int]:
        """``tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias``."""
        depthwise = self.w(f"{prefix}/depthwise_filter")  # [k, k, in, 1]
        pointwise = self.w(f"{prefix}/pointwise_filter")  # [1, 1, in, out]
        channels = depthwise.shape[2]
        y, size = self.conv(x, size, depthwise.transpose(2, 3, 0, 1), None, stride, group=channels)
        y, size = self.conv(y, size, pointwise.transpose(3, 2, 0, 1), self.w(f"{prefix}/bias"), 1)
        return y, size

    def relu(self, x: str) -> str:
        return self.op("Relu", [x])

    def add(self, *xs: str) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = self.op("Add", [out, x])
        return out

    def max_pool_same(self, x: str, size: int, k: int, stride: int) -> tuple[str, int]:
        before, after, out = _same_pads(size, k, stride)
        return self.op("MaxPool", [x], kernel_shape=[k, k], strides=[stride, stride],
                       pads=[before, before, after, after]), out

    def avg_pool_flat(self, x: str, size: int) -> str:
        """``tf.avgPool(x, [7, 7], [2, 2], 'valid')`` on a 7x7 map, flattened to ``[N, C]``."""
        if size != 7:
            raise ValueError(f"expected a 7x7 feature map, got {size}x{size}")
        pooled = self.op("AveragePool", [x], kernel_shape=[7, 7], strides=[2, 2])
        return self.op("Flatten", [pooled], axis=1)

    def dense(self, x: str, prefix: str) -> str:
        """``x @ weights + bias`` (weights ``[in, out]``)."""
        return self.op("Gemm", [x, self.const("W", self.w(f"{prefix}/weights")),
                                self.const("B", self.w(f"{prefix}/bias"))])

    def normalized_input(self) -> tuple[str, int]:
        """The ``image`` input, minus face-api's mean RGB, over 255, as NCHW."""
        mean = np.asarray(MEAN_RGB, dtype=np.float32).reshape(1, 1, 1, 3)
        x = self.op("Sub", ["image", self.const("mean", mean)])
        x = self.op("Div", [x, self.const("scale", np.asarray(255.0, dtype=np.float32))])
        return self.op("Transpose", [x], perm=[0, 3, 1, 2]), INPUT_SIDE

    def model(self, outputs: list[tuple[str, str, list[str | int]]], doc: str) -> ModelProto:
        import onnx
        from onnx import TensorProto, helper

        unused = set(self.weights) - self.used
        if unused:
            raise ValueError(f"weights not used by the graph: {sorted(unused)}")
        renamed = []
        for node_output, name, shape in outputs:
            self.nodes.append(helper.make_node("Identity", [node_output], [name]))
            renamed.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", INPUT_SIDE, INPUT_SIDE, 3])
        graph = helper.make_graph(self.nodes, "faceapi", [image], renamed, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], doc_string=doc,
                                  producer_name="footfall face_service.models.faceapi_convert")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def build_age_gender(weights: dict[str, np.ndarray]) -> ModelProto:
    """face-api's ``AgeGenderNet`` (TinyXception with two main blocks) as ONNX."""
    g = _Graph(weights)

    def reduction(x: str, size: int, prefix: str, activate: bool = True) -> tuple[str, int]:
        out = g.relu(x) if activate else x
        out, s = g.separable(out, size, f"{prefix}/separable_conv0", 1)
        out, s = g.separable(g.relu(out), s, f"{prefix}/separable_conv1", 1)
        out, s = g.max_pool_same(out, s, 3, 2)
        expanded, _ = g.conv_tf(x, size, f"{prefix}/expansion_conv", 2)
        return g.add(out, expanded), s

    def main_block(x: str, size: int, prefix: str) -> str:
        out, _ = g.separable(g.relu(x), size, f"{prefix}/separable_conv0", 1)
        out, _ = g.separable(g.relu(out), size, f"{prefix}/separable_conv1", 1)
        out, _ = g.separable(g.relu(out), size, f"{prefix}/separable_conv2", 1)
        return g.add(out, x)

    x, size = g.normalized_input()
    x, size = g.conv_tf(x, size, "entry_flow/conv_in", 2)
    x = g.relu(x)
    x, size = reduction(x, size, "entry_flow/reduction_block_0", activate=False)
    x, size = reduction(x, size, "entry_flow/reduction_block_1")
    for i in range(2):
        x = main_block(x, size, f"middle_flow/main_block_{i}")
    x, size = reduction(x, size, "exit_flow/reduction_block")
    x, size = g.separable(x, size, "exit_flow/separable_conv", 1)
    pooled = g.avg_pool_flat(g.relu(x), size)
    age = g.op("Squeeze", [g.dense(pooled, "fc/age"), g.const("axes", np.asarray([1], dtype=np.int64))])
    gender = g.op("Softmax", [g.dense(pooled, "fc/gender")], axis=1)
    return g.model([(age, "age", ["N"]), (gender, "gender", ["N", len(GENDERS)])],
                   "face-api AgeGenderNet: image [N,112,112,3] RGB 0..255 -> age [N] years, "
                   "gender [N,2] (male, female)")


def build_expression(weights: dict[str, np.ndarray]) -> ModelProto:
    """face-api's ``FaceExpressionNet`` (four dense blocks) as ONNX."""
    g = _Graph(weights)

    def dense_block(x: str, size: int, prefix: str, first: bool = False) -> tuple[str, int]:
        if first:
            out1, s = g.conv_tf(x, size, f"{prefix}/conv0", 2)
        else:
            out1, s = g.separable(x, size, f"{prefix}/conv0", 2)
        out1 = g.relu(out1)
        out2, _ = g.separable(out1, s, f"{prefix}/conv1", 1)
        out3, _ = g.separable(g.relu(g.add(out1, out2)), s, f"{prefix}/conv2", 1)
        out4, _ = g.separable(g.relu(g.add(out1, out2, out3)), s, f"{prefix}/conv3", 1)
        return g.relu(g.add(out1, out2, out3, out4)), s

    x, size = g.normalized_input()
    x, size = dense_block(x, size, "dense0", first=True)
    for i in (1, 2, 3):
        x, size = dense_block(x, size, f"dense{i}")
    probs = g.op("Softmax", [g.dense(g.avg_pool_flat(x, size), "fc")], axis=1)
    return g.model([(probs, "expression", ["N", len(EXPRESSIONS)])],
                   "face-api FaceExpressionNet: image [N,112,112,3] RGB 0..255 -> expression [N,7] "
                   + ", ".join(EXPRESSIONS))


def convert(package_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Write both ONNX files and ``faceapi.json`` (package version, source hashes) to ``out_dir``."""
    model_dir = package_dir / "model"
    package = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    sources: dict[str, str] = {}
    for name in SOURCES.values():
        for path in sorted(model_dir.glob(f"{name}*")):
            sources[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    built = {
        AGE_GENDER_FILE: build_age_gender(read_weights(model_dir, SOURCES["age_gender"])),
        EXPRESSION_FILE: build_expression(read_weights(model_dir, SOURCES["expression"])),
    }
    for filename, model in built.items():
        (out_dir / filename).write_bytes(model.SerializeToString())
    info = {
        "package": package["name"], "version": package["version"], "license": package.get("license"),
        "sources": sources, "files": {f: hashlib.sha256((out_dir / f).read_bytes()).hexdigest() for f in built},
        "expressions": list(EXPRESSIONS), "genders": list(GENDERS), "input_side": INPUT_SIDE,
    }
    (out_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_dir", type=Path, help="the installed @vladmandic/face-api package folder")
    parser.add_argument("out_dir", type=Path, help="where to write the ONNX files")
    args = parser.parse_args(argv)
    info = convert(args.package_dir, args.out_dir)
    print(f"face-api {info['version']} -> {args.out_dir}: {', '.join(info['files'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
