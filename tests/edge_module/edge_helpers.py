"""Helpers for the edge module tests (a uniquely named module: ``conftest`` is ambiguous across folders)."""

from __future__ import annotations

from datetime import datetime, timedelta

import cv2
import numpy as np


def decode(jpeg: bytes) -> np.ndarray:
    """BGR image from encoded bytes."""
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


class StepClock:
    """A simulated UTC clock that moves ``step`` forward on every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now
