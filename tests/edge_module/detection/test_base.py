"""What every detector shares: here, the ONNX session each detector runs its model in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from edge_module.detection.base import onnx_session


def test_a_detector_s_onnx_session_runs_on_the_cpu_on_one_thread(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    path = tmp_path / "identity.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what this onnxruntime reads (the onnx package writes a newer one)
    onnx.save(model, str(path))

    session = onnx_session(path)

    options = session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert session.get_providers() == ["CPUExecutionProvider"]
    x = np.arange(3, dtype=np.float32).reshape(1, 3)
    assert np.array_equal(session.run(None, {"x": x})[0], x)
