"""Helpers for the face service tests: known face boxes, IoU, encoding, SDK calls, extra services."""

from __future__ import annotations

import io
import subprocess

import numpy as np
from azure.ai.vision.face import FaceClient
from PIL import Image

from footfall.face_process import FaceServiceProcess, terminate_process

ALL_ATTRIBUTES = ["age", "gender", "emotion", "headPose"]
ASTRONAUT_FACE = (178, 63, 89, 112)  # left, top, width, height of Eileen Collins' face in skimage's astronaut
GRACE_HOPPER_FACE = (182, 121, 171, 211)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (left, top, width, height) boxes."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def encode(array: np.ndarray, fmt: str = "JPEG") -> bytes:
    """An image array as JPEG/PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def detect(client: FaceClient, data: bytes, **kwargs: object) -> list:
    """``client.detect`` with the arguments the ingest function uses, overridable."""
    args: dict[str, object] = dict(
        detection_model="detection_03", recognition_model="recognition_04", return_face_id=False,
        return_face_attributes=ALL_ATTRIBUTES,
    )
    args.update(kwargs)
    return client.detect(data, **args)


def start_service(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start another real face service with extra environment; wait until /status is 200."""
    service = FaceServiceProcess(env=env).start(timeout_s=120)
    return service.proc, service.url


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    """Stop a service started by :func:`start_service`."""
    terminate_process(proc)
