"""A person detector on an ONNX model run by onnxruntime (for the dev kit's own model, say).

The model must follow this convention (what most exported detectors already do):

**Input** - the model's first input, ``float32``, ``N x 3 x H x W`` (NCHW), RGB, values in 0..1.
The frame is letterboxed into ``W x H``: resized keeping its aspect ratio and centred on grey
(0.447, i.e. 114/255) padding. ``H`` and ``W`` come from the model; when they are symbolic set
``onnx_input_size: [W, H]``.

**Output** - the model's first output, in one of two layouts (``onnx_layout``):

* ``xyxy_score_class`` - ``[1, N, 6]`` or ``[N, 6]`` rows ``x1, y1, x2, y2, score, class`` in
  input pixels, already filtered by non-maximum suppression (SSD-style and "end-to-end" YOLO
  exports with NMS in the graph).
* ``yolov8`` - ``[1, 4 + C, N]`` raw predictions ``cx, cy, w, h, score_class0 .. score_classC-1``
  in input pixels (the Ultralytics YOLOv8/v11 export); non-maximum suppression is done here.

Only class ``onnx_person_class`` (0 in COCO) counts. ``min_score``, ``min_person_height`` and
the ROI apply as for HOG.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge_module.config import DetectorConfig
from edge_module.detection.base import Detection, crop_to_roi, keep, onnx_session

PAD_VALUE = 114
NMS_IOU = 0.45


class OnnxPersonDetector:
    """People from an ONNX detection model (see the module docstring for the convention)."""

    name = "onnx"

    def __init__(self, config: DetectorConfig) -> None:
        if config.onnx_model is None or not config.onnx_model.is_file():
            raise FileNotFoundError(f"ONNX model not found: {config.onnx_model}")
        self.config = config
        self._session = onnx_session(config.onnx_model)
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        shape = list(inp.shape)
        if len(shape) != 4 or shape[1] not in (3, "3"):
            raise ValueError(f"ONNX input {inp.name} has shape {shape}; expected N x 3 x H x W")
        h, w = shape[2], shape[3]
        if isinstance(h, int) and isinstance(w, int):
            self.input_size = (w, h)
        elif config.onnx_input_size is not None:
            width, height = config.onnx_input_size
            self.input_size = (width, height)
        else:
            raise ValueError(f"ONNX input {inp.name} has a dynamic size {shape}: set onnx_input_size [W, H]")

    def letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, int, int]:
        """The model input tensor for a BGR image, the resize factor and the left/top padding."""
        w_in, h_in = self.input_size
        h, w = image.shape[:2]
        factor = min(w_in / w, h_in / h)
        nw, nh = max(1, round(w * factor)), max(1, round(h * factor))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
        left, top = (w_in - nw) // 2, (h_in - nh) // 2
        canvas = np.full((h_in, w_in, 3), PAD_VALUE, dtype=np.uint8)
        canvas[top:top + nh, left:left + nw] = resized
        tensor = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        return np.ascontiguousarray(tensor), factor, left, top

    def _boxes(self, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(boxes x1y1x2y2, scores)`` of the person class in input pixels."""
        cfg = self.config
        if cfg.onnx_layout == "xyxy_score_class":
            rows = output.reshape(-1, output.shape[-1])
            if rows.shape[1] < 6:
                raise ValueError(f"ONNX output rows have {rows.shape[1]} values; xyxy_score_class needs 6")
            rows = rows[np.round(rows[:, 5]).astype(int) == cfg.onnx_person_class]
            return rows[:, :4], rows[:, 4]
        pred = output[0] if output.ndim == 3 else output
        if pred.shape[0] < 4 + cfg.onnx_person_class + 1:
            raise ValueError(f"ONNX output shape {output.shape} has no class {cfg.onnx_person_class} for yolov8")
        cx, cy, bw, bh = pred[0], pred[1], pred[2], pred[3]
        scores = pred[4 + cfg.onnx_person_class]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        mask = scores >= cfg.min_score
        boxes, scores = boxes[mask], scores[mask]
        if len(boxes) == 0:
            return boxes, scores
        xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        idx = np.asarray(cv2.dnn.NMSBoxes(xywh, scores.astype(float).tolist(), cfg.min_score, NMS_IOU)).ravel()
        return boxes[idx], scores[idx]

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in the frame that pass the thresholds."""
        region, ox, oy = crop_to_roi(frame, self.config)
        tensor, factor, left, top = self.letterbox(region)
        output = np.asarray(self._session.run(None, {self._input_name: tensor})[0], dtype=np.float32)
        boxes, scores = self._boxes(output)
        rh, rw = region.shape[:2]
        found = []
        for (x1, y1, x2, y2), score in zip(boxes, scores, strict=True):
            fx1 = float(np.clip((x1 - left) / factor, 0, rw))
            fy1 = float(np.clip((y1 - top) / factor, 0, rh))
            fx2 = float(np.clip((x2 - left) / factor, 0, rw))
            fy2 = float(np.clip((y2 - top) / factor, 0, rh))
            if fx2 <= fx1 or fy2 <= fy1:
                continue
            found.append(Detection(
                x=int(round(fx1)) + ox, y=int(round(fy1)) + oy, width=int(round(fx2 - fx1)),
                height=int(round(fy2 - fy1)), score=float(score), source="onnx",
            ))
        return keep(found, frame.shape[0], self.config)
