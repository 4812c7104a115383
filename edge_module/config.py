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
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from edge_module.camera_credentials import redact
from edge_module.hours import ALWAYS_OPEN, StoreClock, WeeklyHours, parse_timezone
from functions.contracts import ID_PATTERN, CameraRole

CONFIG_FILE_ENV = "FOOTFALL_CONFIG_FILE"
DEVICE_ID_ENV = "IOTEDGE_DEVICEID"
"""Set by the IoT Edge runtime in every module: the device's id, which is the store's id."""
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
        default=640, ge=64, le=2048, description="centernet: frames are resized to this width (a multiple of 32)",
    )
    centernet_min_score: float = Field(
        default=0.3, ge=0.0, le=1.0, description="centernet: keep heatmap peaks scoring at least this",
    )
    detect_width: int = Field(
        default=640, ge=0, le=4096,
        description="frames are resized to this width before detection (0 = as is); at most 4096, so a twin cannot "
        "ask for a frame blown up to gigabytes",
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
        default=320, ge=0, le=4096,
        description="hog+face: the face pass runs on frames resized to this width (0 = as is; at most 4096)",
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
    """What is photographed: one visit crop per visitor (the default), and optionally whole frames."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visit_crops: bool = Field(
        default=True, description="one head-and-shoulders crop per visit (entrance cameras, tracks that came in)",
    )
    visit_crop_after_s: float = Field(
        default=8.0, gt=0, description="upload a visit's crop this long after the person came in, or when they leave",
    )
    whole_frames: bool = Field(
        default=False, description="also upload whole frames while someone is in view (rate-limited; off by default)",
    )
    min_interval_s: float = Field(default=10.0, ge=0.0, description="whole frames: at most one per this many seconds")
    jpeg_quality: int = Field(default=88, ge=30, le=100)


Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]
"""A point in normalised image coordinates: (x, y), 0..1 from the top left corner."""


class LineConfig(BaseModel):
    """A counting line from ``p1`` to ``p2``.

    Direction (the issue's rule, also :class:`functions.contracts.LineCount`): with
    ``cross(a, b) = a.x*b.y - a.y*b.x`` in pixel coordinates (y down), a person's foot point
    crossing from the side where ``cross(p2 - p1, p - p1) < 0`` to the side where it is ``> 0``
    is an entry (``in``), the other way an exit (``out``). A horizontal line drawn left to right
    counts ``in`` when people move down the image.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=ID_PATTERN, description="the line's name in CountEvents")
    p1: Point
    p2: Point

    @model_validator(mode="after")
    def _not_a_point(self) -> LineConfig:
        if self.p1 == self.p2:
            raise ValueError(f"line {self.name}: p1 and p2 are the same point")
        return self


class ZoneConfig(BaseModel):
    """A zone of the view: a polygon in normalised coordinates; its name must be unique in the store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=ID_PATTERN)
    polygon: list[Point] = Field(min_length=3)


class CameraConfig(BaseModel):
    """One camera of the store: where its frames come from, its role, and its lines and zones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN, description="camera id, unique in the store (cameras.csv)")
    source: str = Field(
        default="0", description="rtsp://, http(s):// stream, a video file, a folder of frames, or a device index",
    )
    role: CameraRole = Field(
        default="entrance", description="entrance: its lines count visitors; zone: visits, occupancy, dwell per zone",
    )
    lines: list[LineConfig] = Field(default_factory=list)
    zones: list[ZoneConfig] = Field(default_factory=list)
    exclusion_zones: list[list[Point]] = Field(
        default_factory=list,
        description="polygons where nobody is detected, counted or photographed (behind the tills, say): "
        "applied to the detections before tracking, and painted out of every image before it is encoded",
    )
    max_fps: float = Field(
        default=10.0, gt=0,
        description="analyse at most this many frames per second (also the tracker's step: set it to the rate "
        "the camera really gets, e.g. a video's frame rate)",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> CameraConfig:
        for kind, names in (("line", [x.name for x in self.lines]), ("zone", [z.name for z in self.zones])):
            if len(set(names)) != len(names):
                raise ValueError(f"camera {self.id}: a {kind} name is used twice")
        if any(len(p) < 3 for p in self.exclusion_zones):
            raise ValueError(f"camera {self.id}: an exclusion zone needs at least 3 points")
        return self


class TrackerConfig(BaseModel):
    """ByteTrack (roboflow ``trackers``) settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lost_track_s: float = Field(default=1.5, gt=0, description="keep a lost track this long for it to be found again")
    activation_score: float = Field(default=0.3, ge=0, le=1, description="a new track needs a detection this sure")
    high_score: float = Field(default=0.35, ge=0, le=1, description="ByteTrack's first-stage detection score")
    min_frames: int = Field(default=2, ge=1, description="frames in a row before a track counts")
    min_iou: float = Field(default=0.1, ge=0, le=1, description="least overlap to continue a track")


class CountingConfig(BaseModel):
    """How lines and zones count tracks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_band: float = Field(
        default=0.015, ge=0, le=0.2,
        description="hysteresis: a foot point within this distance of a line (fraction of the frame diagonal) "
        "is on neither side, so jitter on the line never counts",
    )
    zone_exit_s: float = Field(default=2.0, ge=0, description="a zone visit ends after this long outside the zone")
    min_zone_dwell_s: float = Field(default=1.0, ge=0, description="shorter stays in a zone are not visits")


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
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    counting: CountingConfig = Field(default_factory=CountingConfig)
    cameras: list[CameraConfig] = Field(
        default_factory=list,
        description="the store's cameras; empty: one camera, camera_id reading source, no lines or zones",
    )
    buffer: BufferLimits = Field(default_factory=BufferLimits)
    telemetry_interval_s: float = Field(default=60.0, gt=0)
    storage_sas_token: SecretStr | None = Field(
        default=None,
        description="the SAS for storage_account_url: under IoT Edge the store's own, written to its module twin "
        "by the deploy workflow (create and write under uploads/<store_id>/ only, renewed twice a week), applied live",
    )

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, v: list[CameraConfig]) -> list[CameraConfig]:
        ids = [c.id for c in v]
        if len(set(ids)) != len(ids):
            raise ValueError("a camera id is listed twice")
        zones = [z.name for c in v for z in c.zones]
        if len(set(zones)) != len(zones):
            raise ValueError("a zone name is used by two cameras: zone names are unique in the store")
        return v

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

    def reported(self) -> dict[str, Any]:
        """The config as the module reports it to its twin: camera URLs without their passwords."""
        data = self.model_dump(mode="json")
        for camera in data["cameras"]:
            camera["source"] = redact(camera["source"])
        return data

    def patched(self, patch: Mapping[str, Any]) -> LiveConfig:
        """A new config with a (nested) patch merged in; validation errors raise ``ValueError``."""
        current = {**self.model_dump(mode="json"), "storage_sas_token": self.storage_sas_token}  # JSON masks it
        merged = deep_merge(current, patch, atomic=ATOMIC_KEYS)
        return LiveConfig.model_validate(merged)


LIVE_KEYS: frozenset[str] = frozenset(LiveConfig.model_fields)
CREDENTIAL_KEYS: frozenset[str] = frozenset({"storage_sas_token"})
"""Live keys that are credentials: written to the twin by the deploy workflow, never by onboarding, never reported."""
ATOMIC_KEYS: frozenset[str] = frozenset({"opening_hours", "cameras"})
"""Replaced as a whole by a patch, never merged: a new week of hours replaces the old week, a new
camera list the old list."""


class EdgeRuntime(BaseSettings):
    """What the IoT Edge runtime (or a developer) tells the module through its environment, besides
    :class:`ModuleSettings`: the module's identity and where its configuration file is."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    workload_uri: str | None = Field(default=None, validation_alias="IOTEDGE_WORKLOADURI",
                                     description="the IoT Edge workload API (set by the runtime)")
    device_id: str | None = Field(default=None, validation_alias=DEVICE_ID_ENV,
                                  description="the device's id, which is the store's id (set by the runtime)")
    module_id: str | None = Field(default=None, validation_alias="IOTEDGE_MODULEID",
                                  description="this module's name on the device (set by the runtime)")
    iothub_hostname: str | None = Field(default=None, validation_alias="IOTEDGE_IOTHUBHOSTNAME",
                                        description="the IoT hub the device belongs to (set by the runtime)")
    module_connection_string: SecretStr | None = Field(
        default=None, validation_alias="IOTHUB_MODULE_CONNECTION_STRING",
        description="outside IoT Edge: a module identity's connection string, to reach the hub from a laptop",
    )
    config_file: Path | None = Field(default=None, validation_alias=CONFIG_FILE_ENV,
                                     description="the module's JSON configuration file (default /app/config/edge.json)")

    @property
    def in_edge(self) -> bool:
        """Whether the IoT Edge runtime started this module (it sets all four of its variables)."""
        return all((self.workload_uri, self.device_id, self.module_id, self.iothub_hostname))


class ModuleSettings(BaseSettings, _LiveFields):
    """All settings of the module. Environment (``FOOTFALL_*``) wins over the JSON file."""

    model_config = SettingsConfigDict(
        env_prefix="FOOTFALL_", env_nested_delimiter="__", case_sensitive=False, extra="ignore", frozen=True,
    )

    store_id: str = Field(
        default="S0001", pattern=ID_PATTERN,
        description="the store; under IoT Edge the device id (IOTEDGE_DEVICEID) unless set here",
    )
    camera_id: str = Field(default="C01", pattern=ID_PATTERN)
    source: str = Field(
        default="0", description="rtsp://, http(s):// stream, a video file, a folder of frames, or a device index",
    )
    buffer_dir: Path = Path("/data/buffer")
    storage_connection_string: SecretStr | None = None
    storage_account_url: str | None = Field(default=None, description="with a SAS token in storage_sas_token")
    container: str = "uploads"
    upload_timeout_s: float = Field(default=10.0, gt=0)
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    telemetry_output: str = "telemetry"
    counts_output: str = Field(default="counts", description="edgeHub output of the CountEvents")
    counts_event_log: Path | None = Field(
        default=None,
        description="without a hub: deliver CountEvents to this local event log folder (its counts stream), "
        "as the local stack does; with neither, they stay buffered",
    )
    use_hub: Literal["auto", "yes", "no"] = Field(
        default="auto", description="auto: connect when the IoT Edge environment or a connection string is present",
    )
    camera_credentials_file: Path | None = Field(
        default=None,
        description="the device's JSON file of camera user names and passwords (edge_module/camera_credentials.py): "
        "the module twin holds camera URLs without passwords",
    )

    @model_validator(mode="before")
    @classmethod
    def _store_is_the_device(cls, data: Any) -> Any:
        # Under IoT Edge a store's device id is its store id (IOTEDGE_DEVICEID, set by the runtime and
        # authenticated by IoT Hub), so no twin property can make one store count as another.
        # FOOTFALL_STORE_ID or the config file still win (local runs, tests).
        device = EdgeRuntime().device_id
        if isinstance(data, dict) and not data.get("store_id") and device:
            return {**data, "store_id": device}
        return data

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


def effective_cameras(live: LiveConfig, camera_id: str, source: str) -> list[CameraConfig]:
    """The cameras the module runs: the configured list, or one camera from ``camera_id`` and ``source``."""
    return list(live.cameras) or [CameraConfig(id=camera_id, source=source)]


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
    path = config_file or EdgeRuntime().config_file
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    data: dict[str, Any] = {}
    if path is not None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the config file must hold a JSON object")
    return ModuleSettings(**data)
