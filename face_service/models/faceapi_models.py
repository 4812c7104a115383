"""Age, gender and expression with face-api's networks (MIT), converted to ONNX at install time.

``make setup`` installs ``@vladmandic/face-api`` from npm into ``.cache/face-models`` and converts
its age/gender and expression networks with :mod:`face_service.models.faceapi_convert`; this module
only runs the converted files (``ServiceSettings.model_dir``), on onnxruntime, one thread.

Both networks see the same 112 x 112 crop of each face, made the way face-api makes it: a square
around the face (face-api uses the box of its 68 landmarks grown by 20%), not rotated, the part
outside the image black. Measured against face-api's own pipeline on the faces in its demo photos,
that square is 0.91 times the longer side of our detector's box, centred 0.10 box heights lower
(:data:`CROP_SCALE`, :data:`CROP_SHIFT`). Each photo's crops are made once for both networks.

**Mirror averaging**: a face and its mirror image are the same person with the same expression, yet
the networks answer them differently: on the 29 faces of our labelled photos, a different top
expression for 9 of them, ages 3.0 years apart on average (up to 15; ``benchmarks/bench_face_accuracy.py``
prints these figures). With ``ServiceSettings.mirror_average_emotion`` (on by default) or
``mirror_average_age_gender`` (off: it would cost a third of the service's throughput together with the
other), each crop runs together with its mirror in the same batch and the two outputs are averaged
(expression probabilities; ages and gender probabilities): the answer no longer depends on which way
the face happens to be seen. For age, the averaged error is never larger than the mean of the two
single answers' errors (the triangle inequality); it costs twice that network's work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from face_service.models.base import EMOTION_NAMES, AgeGender, Detection
from face_service.models.faceapi_convert import (
    AGE_GENDER_FILE,
    EXPRESSION_FILE,
    EXPRESSIONS,
    GENDERS,
    INFO_FILE,
    INPUT_SIDE,
)
from face_service.schemas import ModelInfo

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

CROP_SCALE = 0.91
"""Side of the square crop over the longer side of the detector's box."""
CROP_SHIFT = 0.10
"""Downward shift of the crop's centre from the box's centre, in box heights."""
TO_FACE_API: dict[str, str] = {
    "neutral": "neutral", "happy": "happiness", "sad": "sadness", "angry": "anger",
    "fearful": "fear", "disgusted": "disgust", "surprised": "surprise",
}
"""face-api's expression names to the Face API's emotion names (it has no ``contempt``)."""


def face_chip(image: np.ndarray, face: Detection, side: int = INPUT_SIDE) -> np.ndarray:
    """The ``side`` x ``side`` RGB crop face-api's networks expect, as float32 0..255."""
    x, y, w, h = face.box
    size = max(CROP_SCALE * max(w, h), 2.0)
    cx, cy = x + w / 2, y + h / 2 + CROP_SHIFT * h
    x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
    n = int(round(size))
    height, width = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + n, width), min(y0 + n, height)
    crop = np.zeros((n, n, 3), dtype=np.uint8)
    if cx1 > cx0 and cy1 > cy0:
        crop[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] = image[cy0:cy1, cx0:cx1]
    interpolation = cv2.INTER_AREA if n > side else cv2.INTER_LINEAR
    return cv2.resize(crop, (side, side), interpolation=interpolation).astype(np.float32)


def with_mirrors(chips: np.ndarray) -> np.ndarray:
    """``[2N, ...]``: the crops followed by their left-right mirror images."""
    return np.concatenate([chips, chips[:, :, ::-1]])


def mirror_mean(outputs: np.ndarray) -> np.ndarray:
    """The mean of each crop's output and its mirror's, from a batch made by :func:`with_mirrors`."""
    half = len(outputs) // 2
    return np.asarray((outputs[:half] + outputs[half:]) / 2, dtype=outputs.dtype)


class FaceApiNets:
    """The two converted networks and a one-photo memo of the crops they share."""

    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort

        info_path = model_dir / INFO_FILE
        if not info_path.is_file():
            raise FileNotFoundError(
                f"{info_path} is missing: `make setup` converts face-api's networks into {model_dir}"
            )
        self.info = json.loads(info_path.read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.age_gender = ort.InferenceSession(str(model_dir / AGE_GENDER_FILE), options,
                                               providers=["CPUExecutionProvider"])
        self.expression = ort.InferenceSession(str(model_dir / EXPRESSION_FILE), options,
                                               providers=["CPUExecutionProvider"])
        self._memo_image: np.ndarray | None = None
        self._memo_boxes: tuple[tuple[float, ...], ...] = ()
        self._memo_chips: np.ndarray | None = None

    def chips(self, image: np.ndarray, faces: Sequence[Detection]) -> np.ndarray:
        """``[N, 112, 112, 3]`` float32 crops of ``faces``, made once per photo."""
        boxes = tuple(f.box for f in faces)
        if self._memo_image is not image or self._memo_boxes != boxes or self._memo_chips is None:
            self._memo_image, self._memo_boxes = image, boxes
            self._memo_chips = np.stack([face_chip(image, f) for f in faces])
        return self._memo_chips

    def version(self) -> str:
        return str(self.info["version"])

    def run(self, session: InferenceSession, image: np.ndarray, faces: Sequence[Detection],
            mirror: bool) -> list[np.ndarray]:
        """The outputs of ``session`` (:attr:`age_gender` or :attr:`expression`) for each face's crop, one
        batched call; with ``mirror``, each output is the mean of the crop's and its mirror image's."""
        chips = self.chips(image, faces)
        outputs = session.run(None, {"image": with_mirrors(chips) if mirror else chips})
        return [mirror_mean(out) for out in outputs] if mirror else list(outputs)


@lru_cache(maxsize=4)
def shared_nets(model_dir: str) -> FaceApiNets:
    """One instance per model folder and process (each worker process has its own)."""
    return FaceApiNets(Path(model_dir))


class _FaceApiNetwork:
    """One of face-api's networks as an adapter: the shared sessions, whether its answers are mirror
    averaged, and its :class:`ModelInfo` (``+mirror`` in the version when they are)."""

    role = ""
    name = ""

    def __init__(self, model_dir: Path, mirror_average: bool) -> None:
        self._nets = shared_nets(str(model_dir))
        self._mirror = mirror_average
        self.info = ModelInfo(role=self.role, name=self.name, package="@vladmandic/face-api",
                              version=self._nets.version() + ("+mirror" if mirror_average else ""))

    def _run(self, session: InferenceSession, image: np.ndarray, faces: Sequence[Detection]) -> list[np.ndarray]:
        return self._nets.run(session, image, faces, self._mirror)


class FaceApiAgeGender(_FaceApiNetwork):
    """face-api's ``AgeGenderNet``: age in years (regression) and gender with its probability."""

    role = "age_gender"
    name = "faceapi-age-gender"

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[AgeGender]:
        """Age and gender of each face, in order; one batched call per photo."""
        if not faces:
            return []
        ages, genders = self._run(self._nets.age_gender, image, faces)
        out = []
        for age, probs in zip(ages, genders, strict=True):
            g = int(np.argmax(probs))
            out.append(AgeGender(age=float(round(float(np.clip(age, 0.0, 100.0)))), gender=GENDERS[g],
                                 gender_score=float(probs[g])))
        return out


class FaceApiExpression(_FaceApiNetwork):
    """face-api's ``FaceExpressionNet``: seven expressions mapped to the Face API's eight emotions."""

    role = "emotion"
    name = "faceapi-expression"

    def classify(self, image: np.ndarray, faces: Sequence[Detection]) -> list[dict[str, float]]:
        """Eight Face API emotion scores per face (``contempt`` 0), summing to 1."""
        if not faces:
            return []
        (probs,) = self._run(self._nets.expression, image, faces)
        results = []
        for row in probs.astype(np.float64):
            row = np.clip(row, 0.0, None)
            row = row / row.sum() if row.sum() > 0 else np.full(len(EXPRESSIONS), 1.0 / len(EXPRESSIONS))
            scores = dict.fromkeys(EMOTION_NAMES, 0.0)
            scores.update({TO_FACE_API[name]: float(p) for name, p in zip(EXPRESSIONS, row, strict=True)})
            results.append(scores)
        return results
