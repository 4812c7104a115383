"""Module configuration: pydantic models, layered defaults < local JSON file < env < module twin.

Two kinds of settings:

* :class:`LiveConfig` - what the module twin's desired properties may change while the module
  runs (opening hours, time zone, rate limit, detector tuning, buffer caps, telemetry period).
* :class:`ModuleSettings` - everything, including what is fixed for the life of the container
  (store and camera ids, video source, buffer folder, storage credentials). Read from the
  environment (prefix ``FOOTFALL_``, nested with ``__``) over an optional JSON file.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from edge_module.hours import ALWAYS_OPEN, StoreClock, WeeklyHours, parse_timezone
from functions.contracts import ID_PATTERN

CONFIG_FILE_ENV = "FOOTFALL_CONFIG_FILE"
DEFAULT_PERSON_MODEL = Path(__file__).resolve().parents[1] / ".cache" / "edge-models" / "person_centernet.onnx"
"""Where ``make setup-models`` writes the converted person model (the repository's git-ignored .cache)."""
DEFAULT_CONFIG_FILE = Path("/app/config/edge.json")


class RegionOfInterest(BaseModel):
    """A rectangle of the frame, in fractions of its width and height (0..1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: float = Field(default=0.0, ge=0.0, lt=1.0)
    y: float = Field(default=0.0, ge=0.0, lt=1.0)
    width: float = Field(default=1.0, gt=0.0, le=1.0)
    height: float = Field(default=1.0, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _inside(self) -> RegionOfInterest:
        if self.x + self.width > 1.0 + 1e-9 or self.y + self.height > 1.0 + 1e-9:
            raise ValueError("region of interest must lie inside the frame (x+width <= 1, y+height <= 1)")
        return self

    def pixels(self, frame_width: int, frame_height: int) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` in pixels of a frame of this size."""
        x0, y0 = int(round(self.x * frame_width)), int(round(self.y * frame_height))
        x1 = min(frame_width, int(round((self.x + self.width) * frame_width)))
        y1 = min(frame_height, int(round((self.y + self.height) * frame_height)))
        return x0, y0, x1, y1


class DetectorConfig(BaseModel):
    """Person detector choice and tuning (all live-patchable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["centernet", "hog", "hog+face", "onnx"] = Field(
        default="centernet",
        description="centernet: the CenterNet person model installed by `make setup-models` (the default); "
        "hog: OpenCV's HOG people detector (no model file: the fallback); hog+face: HOG or a frontal face "
        "(Haar cascade) for close-up entrance cameras; onnx: a model file of your own, see onnx_model.",
    )
    centernet_model: Path = Field(
        default=DEFAULT_PERSON_MODEL, description="the converted CenterNet ONNX file (kind=centernet)",
    )
    centernet_input_width: int = Field(
        default=512, ge=64, le=2048, description="centernet: frames are resized to this width (a multiple of 32)",
    )
    centernet_min_score: float = Field(
        default=0.3, ge=0.0, le=1.0, description="centernet: keep heatmap peaks scoring at least this",
    )
    detect_width: int = Field(
        default=640, ge=0, description="frames are resized to this width before detection (0 = as is)",
    )
    grayscale: bool = Field(
        default=True, description="HOG on one grey channel: no slower than colour and as good on real footage",
    )
    win_stride: int = Field(default=8, ge=1, le=32, description="HOG window stride in pixels")
    padding: int = Field(default=8, ge=0, le=64, description="HOG padding in pixels")
    scale: float = Field(default=1.1, gt=1.0, le=2.0, description="HOG pyramid scale step")
    hit_threshold: float = Field(default=0.0, description="HOG SVM distance threshold inside detectMultiScale")
    min_score: float = Field(default=0.5, description="keep detections scoring at least this")
    min_person_height: float = Field(
        default=0.0, ge=0.0, le=1.0, description="ignore people shorter than this fraction of the frame height",
    )
    roi: RegionOfInterest = Field(default_factory=RegionOfInterest, description="where people count")
    face_min_neighbors: int = Field(default=5, ge=1, description="Haar cascade minNeighbors (hog+face)")
    face_detect_width: int = Field(
        default=320, ge=0, description="hog+face: the face pass runs on frames resized to this width (0 = as is)",
    )
    onnx_model: Path | None = Field(default=None, description="path of the ONNX model file (kind=onnx)")
    onnx_layout: Literal["xyxy_score_class", "yolov8"] = "xyxy_score_class"
    onnx_person_class: int = Field(default=0, ge=0)
    onnx_input_size: tuple[int, int] | None = Field(
        default=None, description="(width, height) when the model's input size is dynamic",
    )

    @model_validator(mode="after")
    def _onnx_needs_model(self) -> DetectorConfig:
        if self.kind == "onnx" and self.onnx_model is None:
            raise ValueError("detector kind 'onnx' needs onnx_model (a path to the .onnx file)")
        return self


class CaptureConfig(BaseModel):
    """When a photo is taken."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_interval_s: float = Field(default=10.0, ge=0.0, description="at most one photo per this many seconds")
    jpeg_quality: int = Field(default=88, ge=30, le=100)


class BufferLimits(BaseModel):
    """Caps on the store-and-forward buffer; the oldest photos are dropped first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_bytes: int = Field(default=1024**3, gt=0)
    max_age_s: float = Field(default=7 * 24 * 3600, gt=0)


class _LiveFields(BaseModel):
    """The twin-patchable fields, declared once for :class:`LiveConfig` and :class:`ModuleSettings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    # NoDecode: the environment source hands FOOTFALL_OPENING_HOURS over as text
    # (ModuleSettings._hours_from_env); it means nothing to a plain model such as LiveConfig.
    opening_hours: Annotated[WeeklyHours, NoDecode] = Field(
        default_factory=lambda: WeeklyHours.model_validate(ALWAYS_OPEN),
    )
    capture: CaptureConfig = Field(default_factory=CaptureConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    buffer: BufferLimits = Field(default_factory=BufferLimits)
    telemetry_interval_s: float = Field(default=60.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        parse_timezone(v)
        return v


class LiveConfig(_LiveFields):
    """The settings a module twin desired-properties patch may change while running."""

    @property
    def store_clock(self) -> StoreClock:
        """The opening hours bound to the time zone."""
        return StoreClock(timezone=self.timezone, hours=self.opening_hours)

    def patched(self, patch: Mapping[str, Any]) -> LiveConfig:
        """A new config with a (nested) patch merged in; validation errors raise ``ValueError``."""
        merged = deep_merge(self.model_dump(mode="json"), patch, atomic=ATOMIC_KEYS)
        return LiveConfig.model_validate(merged)


LIVE_KEYS: frozenset[str] = frozenset(LiveConfig.model_fields)
ATOMIC_KEYS: frozenset[str] = frozenset({"opening_hours"})
"""Replaced as a whole by a patch, never merged: a new week of hours replaces the old week."""


class ModuleSettings(BaseSettings, _LiveFields):
    """All settings of the module. Environment (``FOOTFALL_*``) wins over the JSON file."""

    model_config = SettingsConfigDict(
        env_prefix="FOOTFALL_", env_nested_delimiter="__", case_sensitive=False, extra="ignore", frozen=True,
    )

    store_id: str = Field(default="S0001", pattern=ID_PATTERN)
    camera_id: str = Field(default="C01", pattern=ID_PATTERN)
    source: str = Field(
        default="0", description="rtsp://, http(s):// stream, a video file, a folder of frames, or a device index",
    )
    buffer_dir: Path = Path("/data/buffer")
    storage_connection_string: SecretStr | None = None
    storage_account_url: str | None = Field(default=None, description="with a SAS token in storage_sas_token")
    storage_sas_token: SecretStr | None = None
    container: str = "uploads"
    upload_timeout_s: float = Field(default=10.0, gt=0)
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    telemetry_output: str = "telemetry"
    use_hub: Literal["auto", "yes", "no"] = Field(
        default="auto", description="auto: connect when the IoT Edge environment or a connection string is present",
    )

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _hours_from_env(cls, v: Any) -> Any:
        # FOOTFALL_OPENING_HOURS may be a plain "09:00-21:00" or JSON.
        if isinstance(v, str) and v.strip().startswith("{"):
            return json.loads(v)
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Init arguments carry the JSON file's content: the environment wins over them.
        return env_settings, init_settings

    def live(self) -> LiveConfig:
        """The live (twin-patchable) part of these settings."""
        return LiveConfig.model_validate({k: getattr(self, k) for k in LIVE_KEYS})


def deep_merge(
    base: Mapping[str, Any], patch: Mapping[str, Any], atomic: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base``; nested mappings merge, a ``None`` value removes the key.

    Top-level keys in ``atomic`` are replaced rather than merged. Keys starting with ``$`` (twin
    metadata such as ``$version``) are ignored.
    """
    out: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and key not in atomic:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_settings(config_file: Path | None = None) -> ModuleSettings:
    """Read the JSON file (``config_file``, else ``$FOOTFALL_CONFIG_FILE``, else ``/app/config/edge.json``
    when present) and the environment on top of it."""
    path = config_file or (Path(os.environ[CONFIG_FILE_ENV]) if os.environ.get(CONFIG_FILE_ENV) else None)
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    data: dict[str, Any] = {}
    if path is not None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the config file must hold a JSON object")
    return ModuleSettings(**data)
