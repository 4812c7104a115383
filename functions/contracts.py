"""The data contracts every part of footfall agrees on (see ../shared/ARCHITECTURE.md).

* :class:`UploadPath` - the blob name a camera uploads to (``uploads`` container).
* :class:`FaceRecord` and :class:`FrameEvent` - the anonymized event, schema ``footfall.frame.v1``.

Nothing in a :class:`FrameEvent` can identify a person or a photo: no image, face rectangle,
landmarks, face id, embedding, blob name or URL. The models forbid extra fields so that a
careless caller cannot smuggle one in.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

SCHEMA_V1 = "footfall.frame.v1"

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""store_id and camera_id: letters, digits, ``_`` and ``-``, 1 to 64 characters."""

AgeBand = Literal["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
AGE_BANDS: tuple[str, ...] = ("0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")

Gender = Literal["female", "male"]

Emotion = Literal["anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
EMOTIONS: tuple[str, ...] = (
    "anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise",
)

_BLOB_NAME = re.compile(
    r"^(?P<store>[A-Za-z0-9_-]{1,64})/(?P<camera>[A-Za-z0-9_-]{1,64})/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<hh>\d{2})(?P<mi>\d{2})(?P<ss>\d{2})(?P<ms>\d{3})-(?P<seq>\d{1,9})\.(?P<ext>jpe?g|png)$",
    re.IGNORECASE,
)


class UploadPathError(ValueError):
    """The blob name or metadata does not follow the upload contract (a permanent error)."""


def age_band(age: float | None) -> AgeBand | None:
    """Map an age in years to its band; ``None`` stays ``None`` (never guessed)."""
    if age is None:
        return None
    for upper, band in ((18, "0-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")):
        if age < upper:
            return band  # type: ignore[return-value]
    return "65+"


def utc_iso(ts: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2026-11-23T08:00:00.000Z``."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def upload_metadata(captured_at: datetime, camera_id: str) -> dict[str, str]:
    """Blob metadata by the upload contract: ``capturedat`` (ISO 8601 UTC) and ``cameraid``."""
    return {"capturedat": utc_iso(captured_at), "cameraid": camera_id}


class UploadPath(BaseModel):
    """A parsed, validated upload: ``{store_id}/{camera_id}/{YYYY}/{MM}/{DD}/{HHMMSSmmm}-{seq}.jpg``.

    Blob metadata ``capturedat`` (ISO 8601) and ``cameraid`` win over the name.
    """

    model_config = ConfigDict(frozen=True)

    store_id: str = Field(pattern=ID_PATTERN)
    camera_id: str = Field(pattern=ID_PATTERN)
    captured_at: datetime
    seq: int = Field(ge=0)
    extension: Literal["jpg", "jpeg", "png"]

    @classmethod
    def parse(cls, name: str, metadata: Mapping[str, str] | None = None) -> "UploadPath":
        """Parse a blob name (with or without the ``uploads/`` prefix) and its metadata.

        Raises :class:`UploadPathError` with a message naming what is wrong.
        """
        name = name.removeprefix("uploads/")
        match = _BLOB_NAME.match(name)
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
                int(g["ms"]) * 1000, tzinfo=timezone.utc,
            )
        except ValueError as exc:
            raise UploadPathError(f"blob name {name!r} holds an impossible date or time: {exc}") from None
        if meta.get("capturedat"):
            try:
                captured = parse_iso(meta["capturedat"])
            except ValueError:
                raise UploadPathError(f"metadata capturedat={meta['capturedat']!r} is not ISO 8601") from None
        camera = meta.get("cameraid") or g["camera"]
        if not re.match(ID_PATTERN, camera):
            raise UploadPathError(f"metadata cameraid={camera!r} does not match {ID_PATTERN}")
        return cls(
            store_id=g["store"], camera_id=camera, captured_at=captured,
            seq=int(g["seq"]), extension=g["ext"].lower(),  # type: ignore[arg-type]
        )

    def metadata(self) -> dict[str, str]:
        """The blob metadata a camera sets with this upload (see :func:`upload_metadata`)."""
        return upload_metadata(self.captured_at, self.camera_id)

    def blob_name(self) -> str:
        """The canonical blob name for this upload (what a camera should upload to)."""
        t = self.captured_at.astimezone(timezone.utc)
        return (
            f"{self.store_id}/{self.camera_id}/{t:%Y/%m/%d}/"
            f"{t:%H%M%S}{t.microsecond // 1000:03d}-{self.seq}.{self.extension}"
        )


def event_id_for(container: str, blob_name: str, etag: str | None) -> str:
    """A stable event id: the same blob with the same etag always yields the same id.

    The id is a one-way hash, so it cannot be turned back into the blob name.
    """
    digest = hashlib.sha256(f"{container}/{blob_name}\x00{(etag or '').strip(chr(34))}".encode())
    return digest.hexdigest()[:32]


class FaceRecord(BaseModel):
    """One anonymized face: demographics only, nothing that locates or identifies it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: int | None = Field(default=None, ge=0, le=120)
    age_band: AgeBand | None = None
    gender: Gender | None = None
    emotion: Emotion | None = None
    emotion_score: float | None = Field(default=None, ge=0.0, le=1.0)


class FrameEvent(BaseModel):
    """One analysed photo, schema ``footfall.frame.v1``; sent to Event Hubs as UTF-8 JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["footfall.frame.v1"] = Field(default=SCHEMA_V1, alias="schema")
    event_id: str = Field(pattern=r"^[0-9a-f]{16,64}$")
    captured_at: datetime
    store_id: str = Field(pattern=ID_PATTERN)
    camera_id: str = Field(pattern=ID_PATTERN)
    face_count: int = Field(ge=0)
    faces: list[FaceRecord]
    analyzer: str = Field(max_length=128)
    processed_at: datetime

    @field_validator("captured_at", "processed_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)

    @field_serializer("captured_at", "processed_at")
    def _iso(self, v: datetime) -> str:
        return utc_iso(v)

    @model_validator(mode="after")
    def _count_matches(self) -> "FrameEvent":
        if self.face_count != len(self.faces):
            raise ValueError(f"face_count={self.face_count} but {len(self.faces)} faces listed")
        return self

    def to_json(self) -> str:
        """The event as compact JSON with the wire field names (``schema``, not ``schema_``)."""
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_json(cls, data: str | bytes) -> "FrameEvent":
        """Parse and validate an event from JSON."""
        return cls.model_validate_json(data)
