"""Edge person detection speed: frames per second at 640x480 on one core.

Real footage (Debian opencv-doc's vtest.avi, pedestrians) resized to 640x480, OpenCV limited to
one thread and the process pinned to one CPU. Prints the module's default HOG tuning against the
target of 15 frames/s (best and median of three passes: the machine is shared, so the best pass
is the least disturbed one), then one pass of a few other tunings for comparison ("person found"
= share of frames with at least one detection). Runs in well under a minute.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from edge_module.config import DetectorConfig
from edge_module.detection import build_detector

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
TARGET_FPS = 15.0
FRAMES = 90


def load_frames(n: int) -> list[np.ndarray]:
    """``n`` frames spread over vtest.avi, at 640x480."""
    if not VTEST.is_file():
        sys.exit(f"{VTEST} missing: install Debian's opencv-doc (make setup-apt)")
    cap = cv2.VideoCapture(str(VTEST))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    step = max(1, total // n)
    frames, index = [], 0
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            frames.append(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
        index += 1
    cap.release()
    return frames


def measure(config: DetectorConfig, frames: list[np.ndarray], repeats: int = 1) -> tuple[list[float], float]:
    """(frames per second of each pass, share of frames with a person found)."""
    detector = build_detector(config)
    for frame in frames[:5]:  # warm-up
        detector.detect(frame)
    rates, found = [], 0
    for _ in range(repeats):
        found = 0
        start = time.perf_counter()
        for frame in frames:
            found += bool(detector.detect(frame))
        rates.append(len(frames) / (time.perf_counter() - start))
    return rates, found / len(frames)


def main() -> int:
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    frames = load_frames(FRAMES)
    rates, recall = measure(DetectorConfig(), frames, repeats=3)
    best, median = max(rates), float(np.median(rates))
    verdict = "meets" if best >= TARGET_FPS else "BELOW"
    print(f"edge detector (hog, default tuning) at 640x480, 1 core: best of 3 passes {best:.1f} frames/s, "
          f"median {median:.1f} ({verdict} the {TARGET_FPS:.0f} frames/s target); "
          f"person found in {recall:.0%} of {len(frames)} vtest.avi frames; load average {os.getloadavg()[0]:.1f}")
    others = {
        "hog stride 4, scale 1.05 (slow, thorough)": DetectorConfig(win_stride=4, scale=1.05),
        "hog scale 1.2 (faster, misses more)": DetectorConfig(scale=1.2),
        "hog on 480 px wide (people < ~170 px missed)": DetectorConfig(detect_width=480),
        "hog on colour (3 gradient channels)": DetectorConfig(grayscale=False),
        "hog+face (face pass only when HOG finds nobody)": DetectorConfig(kind="hog+face"),
    }
    for name, config in others.items():
        rates_o, recall_o = measure(config, frames[::6])
        print(f"  {name}: {rates_o[0]:.1f} frames/s, person found in {recall_o:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
