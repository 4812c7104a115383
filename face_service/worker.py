"""Code that runs inside a model worker process (one :class:`Analyzer` per process).

Each worker is single-threaded on purpose: the native libraries (OpenMP in yuface, onnxruntime,
LiteRT, OpenCV) would otherwise each start a thread per core and fight over the same cores that
the other workers use.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

from face_service.schemas import ModelInfo

THREAD_ENV = {
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE", "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
}
_analyzer = None  # the process's Analyzer, set by init_worker
_init_error: str | None = None  # why init_worker failed, reported by describe()


@dataclass(frozen=True, slots=True)
class WorkResult:
    """What a worker sends back: a rendered JSON body, or a Face API error (the server renders its body)."""

    status: int
    body: bytes
    error_code: str | None = None
    error_message: str | None = None
    error_headers: tuple[tuple[str, str], ...] = ()


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker when the server process dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(0)


def init_worker(settings_json: str) -> None:
    """Process initializer: pin native thread pools to one thread, load the models, warm them up.

    A failure is kept and reported by :func:`describe` (an initializer that raises would only
    leave an anonymous ``BrokenProcessPool`` behind).
    """
    global _init_error
    _die_with_parent()
    os.environ.update(THREAD_ENV)
    try:
        _load(settings_json)
    except Exception as exc:  # reported to the server through describe()
        _init_error = f"{type(exc).__name__}: {exc}"


def _load(settings_json: str) -> None:
    """Build the process's Analyzer from the settings and run every model once."""
    import cv2
    import numpy as np

    from face_service.config import ServiceSettings
    from face_service.models.base import Detection
    from face_service.pipeline import Analyzer

    cv2.setNumThreads(1)
    global _analyzer
    _analyzer = Analyzer(ServiceSettings.model_validate_json(settings_json))
    # First calls allocate arenas and load lazily-read weights; pay for that before serving. The
    # blank image has no face, so the per-face models get a made-up one.
    warm = np.full((240, 320, 3), 127, dtype=np.uint8)
    _analyzer.find_faces(warm)
    marks = np.array([[120, 95], [160, 95], [140, 115], [125, 135], [155, 135]], np.float32)
    fake = [Detection((100.0, 60.0, 80.0, 100.0), marks, 1.0)]
    _analyzer.age_gender.estimate(warm, fake)
    _analyzer.emotion.classify(warm, fake)
    _analyzer.head_pose.estimate(warm, fake)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What :func:`describe` reports: the worker's pid and its models."""

    pid: int
    models: list[ModelInfo]


def describe() -> WorkerInfo:
    """The worker's pid and models (also proves the initializer finished)."""
    if _init_error is not None:
        raise RuntimeError(f"model worker failed to load: {_init_error}")
    assert _analyzer is not None, "init_worker has not run"
    time.sleep(0.05)  # lets concurrently submitted describe() calls land on different workers
    return WorkerInfo(pid=os.getpid(), models=list(_analyzer.models))


def detect(data: bytes, attributes: tuple[str, ...], landmarks: bool) -> WorkResult:
    """Analyse one photo; image errors come back as a :class:`WorkResult`, never as an exception."""
    from face_service.errors import FaceApiError
    from face_service.pipeline import render
    from face_service.schemas import DetectOptions

    if _analyzer is None:
        return WorkResult(status=503, body=b"", error_code="ServiceUnavailable",
                          error_message=f"The models failed to load: {_init_error}")
    try:
        faces = _analyzer.detect(data, DetectOptions(attributes=attributes, landmarks=landmarks))
    except FaceApiError as exc:
        return WorkResult(
            status=exc.status, body=b"", error_code=exc.code, error_message=exc.message,
            error_headers=tuple(exc.headers.items()),
        )
    return WorkResult(status=200, body=render(faces))
