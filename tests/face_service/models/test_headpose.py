"""Head pose recovered from landmarks of a known, synthetic pose."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from face_service.models.headpose import MODEL_POINTS, pose_from_landmarks


def project(pitch: float, roll: float, yaw: float, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """Image points of the generic face turned by the given angles (our sign conventions)."""
    rx, ry, rz = np.radians([-pitch, -yaw, roll])
    mx = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    my = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    mz = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    width, height = size
    focal = max(width, height)
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    rvec, _ = cv2.Rodrigues(mz @ my @ mx)
    points, _ = cv2.projectPoints(MODEL_POINTS, rvec, np.array([0.0, 0.0, 600.0]), camera, None)
    return points.reshape(5, 2)


@pytest.mark.parametrize(
    ("pitch", "roll", "yaw"),
    [(0, 0, 0), (0, 30, 0), (0, -45, 0), (0, 0, 25), (0, 0, -25), (15, 0, 0), (-15, 10, 20)],
)
def test_a_known_pose_is_recovered(pitch: float, roll: float, yaw: float) -> None:
    got = pose_from_landmarks(project(pitch, roll, yaw), (640, 480))
    assert got == pytest.approx((pitch, roll, yaw), abs=2.0)


def test_yaw_is_positive_when_the_nose_points_to_the_image_right() -> None:
    points = project(0, 0, 20)
    nose_x = points[4, 0]
    eyes_mid_x = (points[0, 0] + points[2, 0]) / 2
    assert nose_x > eyes_mid_x
    assert pose_from_landmarks(points, (640, 480))[2] > 10


def test_degenerate_landmarks_give_zeros_not_an_error() -> None:
    assert pose_from_landmarks(np.zeros((5, 2)), (640, 480)) == (0.0, 0.0, 0.0)
