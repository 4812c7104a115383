"""Head pose (pitch, roll, yaw in degrees) from five facial landmarks.

The detector's own landmarks are biased towards an upright face (a face tilted by 25 degrees gets
eye points tilted by ~4), so the pose uses dlib's five-point shape predictor instead, run in the
detector's box: the outer and inner corner of each eye and the base of the nose. A generic 3-D
layout of those points (an average adult, in mm) is fitted to them with ``cv2.solvePnP``,
starting from a frontal pose, under a pinhole camera whose focal length is the image's longer
side. The rotation is decomposed into angles about the camera axes, image y pointing down:

* ``roll``: rotation in the image plane; positive when the face is turned clockwise on screen.
* ``yaw``: turning left/right; positive when the nose points towards the image's right side.
* ``pitch``: nodding; positive when the face tilts upwards.

Roll is well determined by five points; yaw and pitch are approximate (within ~10 degrees on
near-frontal faces, less reliable past ~45 degrees): good enough for "was this person facing the
camera", not for gaze tracking.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import cv2
import numpy as np

from face_service.models.base import Detection
from face_service.schemas import ModelInfo

# dlib's five points, in its order, in the camera frame (x right, y down, z away from the camera)
# of a face looking at the camera: the image-right eye (outer, inner corner), the image-left eye
# (outer, inner corner), the base of the nose.
MODEL_POINTS = np.array(
    [
        [45.0, 0.0, 15.0],
        [20.0, 0.0, 5.0],
        [-45.0, 0.0, 15.0],
        [-20.0, 0.0, 5.0],
        [0.0, 48.0, -15.0],
    ],
    dtype=np.float64,
)
_EYE_SPAN = MODEL_POINTS[0, 0] - MODEL_POINTS[2, 0]


def pose_from_landmarks(points: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """``(pitch, roll, yaw)`` in degrees for dlib's five points ``[5, 2]`` in an image ``(width, height)``."""
    points = np.asarray(points, dtype=np.float64).reshape(5, 2)
    width, height = image_size
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    eye_px = float(np.hypot(*(points[0] - points[2])))
    if eye_px < 2.0:
        return 0.0, 0.0, 0.0
    depth = focal * _EYE_SPAN / eye_px
    centre = (points[0] + points[2]) / 2
    rvec = np.zeros((3, 1), dtype=np.float64)
    tvec = np.array([[(centre[0] - width / 2) * depth / focal], [(centre[1] - height / 2) * depth / focal], [depth]])
    ok, rvec_fit, _ = cv2.solvePnP(
        MODEL_POINTS, points, camera, None, rvec, tvec, useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return 0.0, 0.0, 0.0
    rotation, _ = cv2.Rodrigues(rvec_fit)
    rx, ry, rz = cv2.RQDecomp3x3(rotation)[0]
    pitch = float(np.clip(-rx, -90.0, 90.0))
    yaw = float(np.clip(-ry, -90.0, 90.0))
    roll = float((rz + 180.0) % 360.0 - 180.0)
    return round(pitch, 1), round(roll, 1), round(yaw, 1)


class DlibHeadPose:
    """Head pose from dlib's five-point landmarks (shared with age/gender alignment)."""

    def __init__(self) -> None:
        from face_service.models.dlib_landmarks import shared_landmarks

        self._landmarks = shared_landmarks()
        self.info = ModelInfo(role="head_pose", name="dlib5-pnp", package="dlib-bin", version=version("dlib-bin"))

    def estimate(self, image: np.ndarray, faces: Sequence[Detection]) -> list[tuple[float, float, float]]:
        """``(pitch, roll, yaw)`` per face."""
        size = (image.shape[1], image.shape[0])
        return [pose_from_landmarks(points, size) for points in self._landmarks.points(image, faces)]
