"""Edge person detection: speed at 768x576 on one core, and recall/precision on labelled frames.

Real footage (Debian opencv-doc's vtest.avi, 768x576 pedestrians), OpenCV and onnxruntime on one
thread, the process pinned to one CPU. Prints, for the module's default detector (CenterNet), the
frames per second (best and median of three passes: the machine is shared, so the best pass is the
least disturbed one) and its recall and precision on the 40 labelled frames of
``tests/edge_module/data/vtest_people.json`` (people at least 50 px tall, IoU >= 0.5), then the
same for a few other settings and for the HOG fallback. The load average is printed beside every
figure. Runs in about a minute.
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
from edge_module.detection.scoring import load_labels, read_frames, score_detector

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
LABELS = Path(__file__).resolve().parents[1] / "tests" / "edge_module" / "data" / "vtest_people.json"
TARGET_FPS = 10.0
TARGET_RECALL, TARGET_PRECISION = 0.85, 0.80


def load_frames(n: int) -> list[np.ndarray]:
    """``n`` consecutive frames of vtest.avi from frame 100, at its own 768x576."""
    cap = cv2.VideoCapture(str(VTEST))
    frames = []
    index = 0
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        if index >= 100:
            frames.append(frame)
        index += 1
    cap.release()
    return frames


def fps(config: DetectorConfig, frames: list[np.ndarray], repeats: int = 1) -> list[float]:
    """Frames per second of each pass over ``frames``."""
    detector = build_detector(config)
    for frame in frames[:3]:  # warm-up
        detector.detect(frame)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for frame in frames:
            detector.detect(frame)
        rates.append(len(frames) / (time.perf_counter() - start))
    return rates


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def main() -> int:
    if not VTEST.is_file():
        sys.exit(f"{VTEST} missing: install Debian's opencv-doc (make setup-apt)")
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    labels = load_labels(LABELS)
    labelled = read_frames(VTEST, [f.frame for f in labels])
    frames = load_frames(60)
    people = sum(1 for f in labels for b in f.people if b[3] - b[1] >= 50)
    print(f"labelled: {len(labels)} frames of vtest.avi, {people} people at least 50 px tall")
    configs = {
        "centernet (default: 512 px wide, score >= 0.3)": (DetectorConfig(), 3),
        "centernet 448 px wide": (DetectorConfig(centernet_input_width=448), 1),
        "centernet 640 px wide": (DetectorConfig(centernet_input_width=640), 1),
        "centernet score >= 0.4": (DetectorConfig(centernet_min_score=0.4), 1),
        "hog (fallback, no model file)": (DetectorConfig(kind="hog"), 1),
    }
    for name, (config, repeats) in configs.items():
        rates = fps(config, frames if repeats > 1 else frames[:20], repeats)
        score = score_detector(build_detector(config).detect, labels, labelled)
        best, median = max(rates), float(np.median(rates))
        verdict = ""
        if repeats > 1:
            meets = best >= TARGET_FPS and score.recall >= TARGET_RECALL and score.precision >= TARGET_PRECISION
            verdict = f" [{'meets' if meets else 'BELOW'} the targets: {TARGET_FPS:.0f} frames/s, recall " \
                      f"{TARGET_RECALL:.0%} at precision {TARGET_PRECISION:.0%}]"
        print(f"{name}: detection at 768x576 on 1 core {best:.1f} frames/s (median {median:.1f}); "
              f"recall {score.recall:.1%} ({score.found}/{score.people}), precision {score.precision:.1%} "
              f"({score.false_alarms} false alarms); {load()}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
