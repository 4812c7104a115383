"""Head pose (pitch, roll, yaw in degrees) from the detector's five landmarks.

A generic 3-D face (eye centres, nose tip and mouth corners of an average adult, placed where
yuface puts those landmarks; arbitrary units) is
fitted to the five 2-D landmarks with ``cv2.solvePnP``, starting from a frontal pose, under a
pinhole camera whose focal length is the image width. The rotation is decomposed into angles
about the camera axes, with the image's y axis pointing down:

* ``roll``: rotation in the image plane; positive when the face is turned clockwise on screen.
* ``yaw``: turning left/right; positive when the nose points towards the image's right side.
* ``pitch``: nodding; positive when the face tilts upwards.

Five points give an approximate pose (a few degrees on frontal faces, worse beyond ~45 degrees):
good enough for "is this person looking at the shelf", not for gaze tracking.
"""

from __future__ import annotations

import cv2
import numpy as np

# Camera frame: x right, y down, z away from the camera; the face looks at the camera.
MODEL_POINTS = np.array(
    [
        [-165.0, -170.0, 135.0],  # eye on the image's left
        [165.0, -170.0, 135.0],  # eye on the image's right
        [0.0, 0.0, 0.0],  # nose tip
        [-150.0, 120.0, 125.0],  # mouth corner on the image's left
        [150.0, 120.0, 125.0],  # mouth corner on the image's right
    ],
    dtype=np.float64,
)
_EYE_SPAN = MODEL_POINTS[1, 0] - MODEL_POINTS[0, 0]


def head_pose(landmarks: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """``(pitch, roll, yaw)`` in degrees for five landmarks ``[5, 2]`` in an image ``(width, height)``."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    width, height = image_size
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    eye_px = float(np.hypot(*(points[1] - points[0])))
    if eye_px < 1.0:
        return 0.0, 0.0, 0.0
    depth = focal * _EYE_SPAN / eye_px
    nose = points[2]
    rvec = np.zeros((3, 1), dtype=np.float64)
    tvec = np.array([[(nose[0] - width / 2) * depth / focal], [(nose[1] - height / 2) * depth / focal], [depth]])
    ok, rvec, tvec = cv2.solvePnP(
        MODEL_POINTS, points, camera, None, rvec, tvec, useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return 0.0, 0.0, 0.0
    rotation, _ = cv2.Rodrigues(rvec)
    angles = cv2.RQDecomp3x3(rotation)[0]
    pitch, yaw, roll = (float(a) for a in angles)
    # The Face API's ranges: pitch and yaw within +-90, roll within +-180.
    pitch = float(np.clip(-pitch, -90.0, 90.0))
    yaw = float(np.clip(-yaw, -90.0, 90.0))
    roll = float(np.clip(roll, -180.0, 180.0))
    return round(pitch, 1), round(roll, 1), round(yaw, 1)
