"""The data contracts every part of footfall agrees on (see ../shared/ARCHITECTURE.md).

Each fact lives here once; the Stream Analytics query, the report tables, the dashboard's labels and
the Power BI model are generated from or validated against these definitions.

* Categories: :data:`AGE_BANDS`, :data:`GENDERS`, :data:`EMOTIONS` and :data:`DEFAULT_K`.
* :class:`UploadPath` - the blob name a camera uploads to (``uploads`` container), and the
  :data:`PhotoKind` its metadata declares (a visit crop or a whole frame).
* :class:`FaceRecord` and :class:`FrameEvent` - one analysed photo, schema ``footfall.frame.v2``.
* :class:`LineCount`, :class:`ZoneCount` and :class:`CountEvent` - one camera's minute of counting,
  schema ``footfall.count.v1``.
* :class:`StoreRecord` and :class:`CameraRecord` - rows of the reference data ``stores.csv`` and
  ``cameras.csv``.

Nothing in an event can identify a person or a photo: no image, face rectangle, landmarks, face or
track id, embedding, position, blob name or URL. The models forbid extra fields so that a careless
caller cannot smuggle one in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

FRAME_SCHEMA: Final = "footfall.frame.v2"
COUNT_SCHEMA: Final = "footfall.count.v1"

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""store_id, camera_id, line and zone names: ASCII letters, digits, ``_`` and ``-``, 1 to 64 characters.

Checked with :func:`is_id`; a pydantic ``pattern`` with it is also ASCII-only (pydantic's Rust regex
engine reads ``A-Za-z0-9`` as ASCII and ``$`` as the end of the text).
"""
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)

DEFAULT_K = 5
"""k-anonymity: a demographic breakdown of fewer than k visit faces is never published. The one
default; the setting ``FOOTFALL_K`` carries it to the job, the reports API, the dashboard and Power BI."""

AgeBand = Literal["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
AGE_BANDS: tuple[AgeBand, ...] = ("0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_BAND_UPPER: tuple[tuple[int, AgeBand], ...] = (
    (18, "0-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"),
)

Gender = Literal["female", "male"]
GENDERS: tuple[Gender, ...] = ("female", "male")

Emotion = Literal["anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
EMOTIONS: tuple[Emotion, ...] = (
    "anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise",
)
"""The Face API's eight emotions, in its order."""

PhotoKind = Literal["visit", "frame"]
"""``visit``: one crop per visit (the edge module's best frame of a new track; only its main face is
analysed, so its demographics describe a visit). ``frame``: a whole frame (cameras that only upload
photos); its faces are sightings, never visitors, and never feed a breakdown."""
PHOTO_KINDS: tuple[PhotoKind, ...] = ("visit", "frame")

CameraRole = Literal["entrance", "zone"]
"""``entrance``: its lines count the store's footfall (``entries`` in = visitors, ``exits`` out).
``zone``: store-layout analytics only (visits, occupancy and dwell per zone)."""
CAMERA_ROLES: tuple[CameraRole, ...] = ("entrance", "zone")

DWELL_BUCKETS_S: tuple[int, ...] = (30, 60, 120, 300, 600, 1200)
"""Upper bounds (seconds, exclusive) of a zone visit's dwell histogram; one more bucket holds the rest."""
DWELL_BUCKET_NAMES: tuple[str, ...] = ("lt_30s", "lt_1m", "lt_2m", "lt_5m", "lt_10m", "lt_20m", "ge_20m")

_BLOB_NAME = re.compile(
    r"(?P<store>[A-Za-z0-9_-]{1,64})/(?P<camera>[A-Za-z0-9_-]{1,64})/"
    r"(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/"
    r"(?P<hh>[0-9]{2})(?P<mi>[0-9]{2})(?P<ss>[0-9]{2})(?P<ms>[0-9]{3})-(?P<seq>[0-9]{1,9})\.(?P<ext>jpe?g|png)",
    re.IGNORECASE | re.ASCII,
)
"""Matched with ``fullmatch`` and ASCII classes: no Arabic-Indic digits, no trailing newline."""


def is_id(value: str) -> bool:
    """Whether ``value`` is a valid id (:data:`ID_PATTERN`), ASCII only and nothing after it."""
    return _ID.fullmatch(value) is not None


def dwell_bucket(seconds: float) -> int:
    """The index of the :data:`DWELL_BUCKETS_S` bucket that holds a dwell of ``seconds``."""
    for index, upper in enumerate(DWELL_BUCKETS_S):
        if seconds < upper:
            return index
    return len(DWELL_BUCKETS_S)


class UploadPathError(ValueError):
    """The blob name or metadata does not follow the upload contract (a permanent error)."""


def age_band(age: float | None) -> AgeBand | None:
    """Map an age in years to its band; ``None`` stays ``None`` (never guessed)."""
    if age is None:
        return None
    for upper, band in _AGE_BAND_UPPER:
        if age < upper:
            return band
    return "65+"


def utc_iso(ts: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2026-11-23T08:00:00.000Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def utc_iso_seconds(ts: datetime) -> str:
    """ISO 8601 in UTC to the second (truncated) with a ``Z``: ``2026-11-23T08:00:00Z``.

    Events carry times at second resolution: milliseconds would make faces nearly unique by store,
    time, age and gender.
    """
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


METADATA_TIME_TOLERANCE = timedelta(seconds=1)
"""How far metadata ``capturedat`` may be from the time in the blob name (the name has milliseconds)."""


def upload_metadata(captured_at: datetime, camera_id: str, kind: PhotoKind = "frame") -> dict[str, str]:
    """Blob metadata by the upload contract: ``capturedat`` (ISO 8601 UTC), ``cameraid`` and ``kind``."""
    return {"capturedat": utc_iso(captured_at), "cameraid": camera_id, "kind": kind}


class UploadPath(BaseModel):
    """A parsed, validated upload: ``{store_id}/{camera_id}/{YYYY}/{MM}/{DD}/{HHMMSSmmm}-{seq}.jpg``.

    The name says who captured the photo and when (UTC). Blob metadata may repeat ``capturedat``
    (ISO 8601, to keep the camera's own offset) and ``cameraid``; both must agree with the name.
    Metadata ``kind`` says whether the photo is a visit crop or a whole frame (default ``frame``).
    """

    model_config = ConfigDict(frozen=True)

    store_id: str = Field(pattern=ID_PATTERN, description="The store (shop) whose camera took the photo.")
    camera_id: str = Field(pattern=ID_PATTERN, description="The camera, unique within its store.")
    captured_at: datetime = Field(description="When the camera captured the photo (UTC).")
    seq: int = Field(ge=0, description="The camera's sequence number, telling apart photos of one millisecond.")
    extension: Literal["jpg", "jpeg", "png"]
    kind: PhotoKind = Field(default="frame", description="A visit crop or a whole frame (metadata ``kind``).")

    @classmethod
    def parse(cls, name: str, metadata: Mapping[str, str] | None = None) -> UploadPath:
        """Parse a blob name (with or without the ``uploads/`` prefix) and its metadata.

        Raises :class:`UploadPathError` with a message naming what is wrong; never anything else.
        """
        name = name.removeprefix("uploads/")
        match = _BLOB_NAME.fullmatch(name)
        if match is None:
            raise UploadPathError(
                f"blob name {name!r} does not match "
                "{store_id}/{camera_id}/{YYYY}/{MM}/{DD}/{HHMMSSmmm}-{seq}.jpg|png"
            )
        meta = {k.lower(): v for k, v in (metadata or {}).items()}
        g = match.groupdict()
        try:
            captured = datetime(
                int(g["y"]), int(g["m"]), int(g["d"]), int(g["hh"]), int(g["mi"]), int(g["ss"]),
                int(g["ms"]) * 1000, tzinfo=UTC,
            )
        except ValueError as exc:
            raise UploadPathError(f"blob name {name!r} holds an impossible date or time: {exc}") from None
        if meta.get("capturedat"):
            try:
                claimed = parse_iso(meta["capturedat"])
                agrees = abs(claimed - captured) <= METADATA_TIME_TOLERANCE
            except (ValueError, OverflowError):
                raise UploadPathError(f"metadata capturedat={meta['capturedat']!r} is not an ISO 8601 time") from None
            if not agrees:
                raise UploadPathError(
                    f"metadata capturedat={meta['capturedat']!r} contradicts the time in the blob name "
                    f"({utc_iso(captured)})"
                )
        camera = meta.get("cameraid")
        if camera is not None and camera != g["camera"]:
            raise UploadPathError(f"metadata cameraid={camera!r} contradicts the camera in the blob name")
        kind = meta.get("kind", "frame").strip().lower()
        if kind not in PHOTO_KINDS:
            raise UploadPathError(f"metadata kind={meta.get('kind')!r} is not one of {', '.join(PHOTO_KINDS)}")
        return cls(
            store_id=g["store"], camera_id=g["camera"], captured_at=captured,
            seq=int(g["seq"]), extension=g["ext"].lower(), kind=kind,
        )

    def metadata(self) -> dict[str, str]:
        """The blob metadata a camera sets with this upload (see :func:`upload_metadata`)."""
        return upload_metadata(self.captured_at, self.camera_id, self.kind)

    def blob_name(self) -> str:
        """The canonical blob name for this upload (what a camera should upload to)."""
        t = self.captured_at.astimezone(UTC)
        return (
            f"{self.store_id}/{self.camera_id}/{t:%Y/%m/%d}/"
            f"{t:%H%M%S}{t.microsecond // 1000:03d}-{self.seq}.{self.extension}"
        )

    def event_id(self) -> str:
        """The event id of this capture (see :func:`capture_event_id`)."""
        return capture_event_id(self.store_id, self.camera_id, self.captured_at, self.seq)


def capture_event_id(store_id: str, camera_id: str, captured_at: datetime, seq: int) -> str:
    """The :class:`FrameEvent` id of one capture: a one-way hash of store, camera, capture time and sequence.

    It depends only on what the camera captured, never on the blob's etag or name spelling, so an
    upload retried after a lost acknowledgement, or a photo uploaded again, is the same event
    everywhere (local log, Event Hubs consumers, the stream job's dedupe).
    """
    digest = hashlib.sha256(f"frame\x00{store_id}\x00{camera_id}\x00{utc_iso(captured_at)}\x00{seq}".encode())
    return digest.hexdigest()[:32]


def count_event_id(store_id: str, camera_id: str, window_start: datetime) -> str:
    """The :class:`CountEvent` id of one camera's minute: resending the minute gives the same id."""
    digest = hashlib.sha256(f"count\x00{store_id}\x00{camera_id}\x00{utc_iso(window_start)}".encode())
    return digest.hexdigest()[:32]


def _aware_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class FaceRecord(BaseModel):
    """One anonymized face: demographics only, nothing that locates or identifies it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: int | None = Field(
        default=None, ge=0, le=120,
        description="Exact age in years; null unless the setting FOOTFALL_EXACT_AGE asks for it (the band is enough).",
    )
    age_band: AgeBand | None = Field(default=None, description="Age band; null when unknown or gated by quality.")
    gender: Gender | None = Field(default=None, description="null when unknown or gated by quality.")
    emotion: Emotion | None = Field(
        default=None, description="Dominant emotion; null when unknown, gated, or emotion is off for the store.",
    )
    emotion_score: float | None = Field(default=None, ge=0.0, le=1.0, description="Score of the dominant emotion.")


class WireEvent(BaseModel):
    """What every event on the wire shares: immutable, no field beyond the contract, compact JSON with the
    wire field names (``schema``, not ``schema_``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> str:
        """The event as compact JSON with the wire field names."""
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Parse and validate an event from JSON."""
        return cls.model_validate_json(data)


class FrameEvent(WireEvent):
    """One analysed photo, schema ``footfall.frame.v2``; sent to Event Hubs as UTF-8 JSON.

    Times are written to the second. A ``visit`` event describes at most one face (the visitor's);
    a ``frame`` event lists every face of a whole frame, as sightings.
    """

    schema_: Literal["footfall.frame.v2"] = Field(default=FRAME_SCHEMA, alias="schema")
    event_id: str = Field(pattern=r"^[0-9a-f]{16,64}$",
                          description="Stable for the same capture (see capture_event_id).")
    captured_at: datetime = Field(description="Capture time, UTC, to the second.")
    store_id: str = Field(pattern=ID_PATTERN)
    camera_id: str = Field(pattern=ID_PATTERN)
    kind: PhotoKind = Field(description="visit: one visitor's crop; frame: a whole frame (sightings).")
    face_count: int = Field(ge=0, description="Faces listed in ``faces``.")
    faces: list[FaceRecord]
    analyzer: str = Field(max_length=128, description="Which face analysis produced the attributes.")
    processed_at: datetime = Field(description="When the function analysed the photo, UTC, to the second.")

    @field_validator("captured_at", "processed_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return _aware_utc(v).replace(microsecond=0)

    @field_serializer("captured_at", "processed_at")
    def _iso(self, v: datetime) -> str:
        return utc_iso_seconds(v)

    @model_validator(mode="after")
    def _count_matches(self) -> FrameEvent:
        if self.face_count != len(self.faces):
            raise ValueError(f"face_count={self.face_count} but {len(self.faces)} faces listed")
        if self.kind == "visit" and self.face_count > 1:
            raise ValueError("a visit event describes at most one face (the visitor's)")
        return self


class LineCount(BaseModel):
    """Crossings of one counting line in one minute.

    With the line drawn from p1 to p2 and ``cross(a, b) = a.x*b.y - a.y*b.x`` in pixel coordinates
    (y down), a crossing is an entry (``in``) when a person's foot point moves from the side where
    ``cross(p2 - p1, p - p1) < 0`` to the side where it is ``> 0``, an exit (``out``) the other way.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: str = Field(pattern=ID_PATTERN, description="The line's name in the camera's configuration.")
    entries: int = Field(ge=0, description="Crossings in the ``in`` direction.")
    exits: int = Field(ge=0, description="Crossings in the ``out`` direction.")


class ZoneCount(BaseModel):
    """One zone of the camera's view in one minute."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str = Field(pattern=ID_PATTERN, description="The zone's name, unique within its store.")
    occupancy_mean: float = Field(ge=0, description="People inside, averaged over the minute's analysed frames.")
    occupancy_max: int = Field(ge=0, description="Most people inside at once during the minute.")
    visits: int = Field(ge=0, description="Visits that ended (the person left the zone or view) in this minute.")
    dwell_s_sum: float = Field(ge=0, description="Total seconds those visits spent in the zone.")
    dwell_histogram: dict[str, int] = Field(
        description=f"Those visits by dwell, keys {', '.join(DWELL_BUCKET_NAMES)} (bounds {DWELL_BUCKETS_S} s).",
    )

    @classmethod
    def from_dwells(cls, zone: str, dwells: Sequence[float], *, occupancy_mean: float,
                    occupancy_max: int) -> ZoneCount:
        """A zone's minute whose ended visits lasted ``dwells`` seconds: their number, their sum (to 0.1 s)
        and their histogram by :func:`dwell_bucket`."""
        histogram = dict.fromkeys(DWELL_BUCKET_NAMES, 0)
        for seconds in dwells:
            histogram[DWELL_BUCKET_NAMES[dwell_bucket(seconds)]] += 1
        return cls(zone=zone, occupancy_mean=occupancy_mean, occupancy_max=occupancy_max, visits=len(dwells),
                   dwell_s_sum=round(sum(dwells), 1), dwell_histogram=histogram)

    @model_validator(mode="after")
    def _histogram_adds_up(self) -> ZoneCount:
        if set(self.dwell_histogram) != set(DWELL_BUCKET_NAMES) or any(n < 0 for n in self.dwell_histogram.values()):
            raise ValueError(f"dwell_histogram needs a non-negative count for each of {', '.join(DWELL_BUCKET_NAMES)}")
        if sum(self.dwell_histogram.values()) != self.visits:
            raise ValueError(f"dwell_histogram holds {sum(self.dwell_histogram.values())} visits, visits={self.visits}")
        if self.occupancy_max < self.occupancy_mean - 1e-9:
            raise ValueError("occupancy_max is below occupancy_mean")
        return self


class CountEvent(WireEvent):
    """One camera's counting over one minute, schema ``footfall.count.v1`` (IoT Hub, edgeHub output ``counts``).

    Counts only: no track id, box, position or image can be expressed here.
    """

    schema_: Literal["footfall.count.v1"] = Field(default=COUNT_SCHEMA, alias="schema")
    event_id: str = Field(pattern=r"^[0-9a-f]{16,64}$", description="Stable for the camera's minute (count_event_id).")
    store_id: str = Field(pattern=ID_PATTERN)
    camera_id: str = Field(pattern=ID_PATTERN)
    window_start: datetime = Field(description="Start of the minute, UTC, on a whole minute.")
    window_end: datetime = Field(description="End of the minute (start + 60 s): the event's time in the stream job.")
    frames: int = Field(ge=0, description="Frames the camera analysed in the minute (0: a camera that saw nothing).")
    lines: list[LineCount] = Field(default_factory=list)
    zones: list[ZoneCount] = Field(default_factory=list)

    @field_validator("window_start", "window_end")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return _aware_utc(v)

    @field_serializer("window_start", "window_end")
    def _iso(self, v: datetime) -> str:
        return utc_iso_seconds(v)

    @model_validator(mode="after")
    def _one_minute(self) -> CountEvent:
        if self.window_start.second or self.window_start.microsecond:
            raise ValueError("window_start must be on a whole minute")
        if self.window_end - self.window_start != timedelta(minutes=1):
            raise ValueError("window_end must be window_start + 60 s")
        for kind, names in (("line", [x.line for x in self.lines]), ("zone", [z.zone for z in self.zones])):
            if len(set(names)) != len(names):
                raise ValueError(f"a {kind} is listed twice")
        return self


class StoreRecord(BaseModel):
    """A row of the reference data ``stores.csv``: where a store is and when it is open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: str = Field(pattern=ID_PATTERN)
    store_name: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    region: str = Field(min_length=1, max_length=200, description="A sales region inside one country.")
    time_zone: str = Field(description="IANA time zone: the store's days and hours are local.")
    opening_hours: str = Field(
        default="08:00-20:00", description="Local opening hours, HH:MM-HH:MM, the same every day.",
    )
    emotion: bool = Field(
        default=True,
        description="Whether visitors' emotions are recognised in this store (yes/no). Where it is on, the "
        "EU AI Act (Art. 50(3)) requires informing the people exposed; set it to no for a store (or every "
        "store of a region) where that is not done. Staff are never analysed (exclusion zones at the edge).",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]", v, re.ASCII):
            raise ValueError(f"opening_hours {v!r} is not HH:MM-HH:MM")
        return v

    @property
    def tz(self) -> ZoneInfo:
        """The store's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def hours(self) -> tuple[time, time]:
        """Opening and closing time, local (``24:00`` closes at midnight: ``time.max``)."""
        opens, closes = (text.split(":") for text in self.opening_hours.split("-"))
        close = time.max if closes == ["24", "00"] else time(int(closes[0]), int(closes[1]))
        return time(int(opens[0]), int(opens[1])), close


class CameraRecord(BaseModel):
    """A row of the reference data ``cameras.csv``: a camera's role and the zones it watches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: str = Field(pattern=ID_PATTERN)
    camera_id: str = Field(pattern=ID_PATTERN)
    role: CameraRole = Field(description="entrance: its lines count visitors; zone: layout analytics only.")
    zones: str = Field(default="", description="Names of the zones it watches, separated by ``;``.")

    @field_validator("zones")
    @classmethod
    def _zone_names(cls, v: str) -> str:
        for name in filter(None, (z.strip() for z in v.split(";"))):
            if not is_id(name):
                raise ValueError(f"zone name {name!r} does not match {ID_PATTERN}")
        return v

    @property
    def zone_names(self) -> tuple[str, ...]:
        """The zone names as a tuple."""
        return tuple(filter(None, (z.strip() for z in self.zones.split(";"))))
