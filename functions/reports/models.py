"""Pydantic models of the reports: window rows in, filters and reports out.

:class:`WindowRow` is one Stream Analytics output row (outputs ``cosmos`` and ``powerbi``, see
``shared/ARCHITECTURE.md``). :class:`ReportQuery` holds the query parameters of
``GET /api/report``; :class:`Filters` and :class:`Report` are the two response payloads.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from functions.contracts import AGE_BANDS, EMOTIONS, ID_PATTERN, utc_iso

Level = Literal["store", "city", "region"]
LEVELS: tuple[Level, ...] = ("store", "city", "region")
"""From the finest to the coarsest grouping."""

WINDOW_MINUTES: dict[str, int] = {"store": 15, "city": 60, "region": 60}
"""Tumbling window length of each level, as the Stream Analytics job computes them."""

GENDER_COLUMNS: dict[str, str] = {"female": "female", "male": "male", "unknown": "gender_unknown"}
AGE_COLUMNS: dict[str, str] = {
    **{band: "age_" + band.replace("-", "_").replace("+", "_plus") for band in AGE_BANDS},
    "unknown": "age_unknown",
}
EMOTION_COLUMNS: dict[str, str] = {emotion: f"emotion_{emotion}" for emotion in EMOTIONS}
COUNT_COLUMNS: tuple[str, ...] = (
    *GENDER_COLUMNS.values(), *AGE_COLUMNS.values(), *EMOTION_COLUMNS.values(),
)
"""The demographic counts of a row (null when the row is suppressed)."""
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (*COUNT_COLUMNS, "avg_age", "happiness_share")
"""Every column that k-anonymity suppresses."""
GROUP_COLUMNS: tuple[str, ...] = ("store_id", "store_name", "city", "country", "region")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


class WindowRow(BaseModel):
    """One aggregate row: a group (store, city or region) over one tumbling window.

    A suppressed row never carries demographics: should a writer fill them anyway, they are
    dropped on validation, so nothing downstream can leak them.
    """

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    pk: str | None = None
    level: Level
    window_start: datetime
    window_end: datetime
    store_id: str | None = None
    store_name: str | None = None
    city: str | None = None
    country: str | None = None
    region: str | None = None
    frames: int = Field(ge=0)
    faces: int = Field(ge=0)
    female: int | None = Field(default=None, ge=0)
    male: int | None = Field(default=None, ge=0)
    gender_unknown: int | None = Field(default=None, ge=0)
    age_0_17: int | None = Field(default=None, ge=0)
    age_18_24: int | None = Field(default=None, ge=0)
    age_25_34: int | None = Field(default=None, ge=0)
    age_35_44: int | None = Field(default=None, ge=0)
    age_45_54: int | None = Field(default=None, ge=0)
    age_55_64: int | None = Field(default=None, ge=0)
    age_65_plus: int | None = Field(default=None, ge=0)
    age_unknown: int | None = Field(default=None, ge=0)
    emotion_anger: int | None = Field(default=None, ge=0)
    emotion_contempt: int | None = Field(default=None, ge=0)
    emotion_disgust: int | None = Field(default=None, ge=0)
    emotion_fear: int | None = Field(default=None, ge=0)
    emotion_happiness: int | None = Field(default=None, ge=0)
    emotion_neutral: int | None = Field(default=None, ge=0)
    emotion_sadness: int | None = Field(default=None, ge=0)
    emotion_surprise: int | None = Field(default=None, ge=0)
    avg_age: float | None = Field(default=None, ge=0)
    happiness_share: float | None = Field(default=None, ge=0, le=1)
    suppressed: bool

    @model_validator(mode="before")
    @classmethod
    def _nan_is_null(cls, data: Any) -> Any:
        """Writers built on pandas hand over NaN for SQL NULL."""
        if isinstance(data, dict):
            return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()}
        return data

    @field_validator("window_start", "window_end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_serializer("window_start", "window_end")
    def _iso(self, value: datetime) -> str:
        return utc_iso(value)

    @model_validator(mode="after")
    def _never_leak_suppressed(self) -> "WindowRow":
        if self.suppressed:
            for column in DEMOGRAPHIC_COLUMNS:
                if getattr(self, column) is not None:
                    object.__setattr__(self, column, None)
        return self

    @property
    def key(self) -> str:
        """The group key of the row: the store id, city or region (empty when unknown)."""
        value = {"store": self.store_id, "city": self.city, "region": self.region}[self.level]
        return value or ""

    def ids(self) -> tuple[str, str]:
        """``(id, pk)``: the row's own, or derived from the contract when missing."""
        pk = self.pk or f"{self.level}|{self.key}"
        return self.id or f"{pk}|{utc_iso(self.window_end)}", pk

    def with_ids(self) -> "WindowRow":
        """The row with ``id`` and ``pk`` filled in from the contract when they are missing."""
        if self.id and self.pk:
            return self
        row_id, pk = self.ids()
        return self.model_copy(update={"id": row_id, "pk": pk})

    def document(self) -> dict[str, Any]:
        """The row as a JSON-ready document (ISO 8601 strings), as stored in Cosmos DB."""
        return self.with_ids().model_dump(mode="json")


class StoreRef(BaseModel):
    """A store as the report rows name it (from the Stream Analytics reference data)."""

    model_config = ConfigDict(frozen=True)

    store_id: str
    store_name: str | None = None
    city: str | None = None
    country: str | None = None
    region: str | None = None


class StoreOption(BaseModel):
    """A store in the filter tree."""

    store_id: str
    store_name: str | None = None


class CityNode(BaseModel):
    """A city in the filter tree, with its stores."""

    city: str
    country: str | None = None
    stores: list[StoreOption]


class RegionNode(BaseModel):
    """A region in the filter tree, with its cities."""

    region: str
    cities: list[CityNode]


class Filters(BaseModel):
    """``GET /api/filters``: regions > cities > stores, and the time span the data covers."""

    regions: list[RegionNode]
    unassigned_stores: list[StoreOption] = Field(
        default_factory=list, description="Stores missing from the reference data (no city or region).",
    )
    first_window_start: datetime | None = None
    last_window_end: datetime | None = None
    k: int

    @field_serializer("first_window_start", "last_window_end")
    def _iso(self, value: datetime | None) -> str | None:
        return utc_iso(value) if value else None


class WindowSelection(BaseModel):
    """Which rows a reader returns: one level, optional group filters, and a time range.

    A row is selected when it lies wholly inside ``[start, end)``.
    """

    model_config = ConfigDict(frozen=True)

    level: Level
    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class ReportQuery(BaseModel):
    """The parameters of ``GET /api/report``.

    ``region``, ``city`` and ``store_id`` select stores; every figure is summed from their
    15-minute store windows (see :mod:`functions.reports.service`). ``level`` sets the time
    resolution of the series: ``store`` 15 minutes, ``city`` and ``region`` one hour; it
    defaults to the most specific filter (``store_id`` > ``city`` > ``region``, none: ``region``).
    ``start`` and ``end`` are ISO 8601 (naive means UTC); windows wholly inside
    ``[start, end)`` are reported.
    """

    model_config = ConfigDict(extra="forbid")

    level: Level | None = None
    region: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    store_id: str | None = Field(default=None, pattern=ID_PATTERN)
    start: datetime | None = None
    end: datetime | None = None

    @field_validator("level", "region", "city", "store_id", "start", "end", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value) if value else None

    @model_validator(mode="after")
    def _consistent(self) -> "ReportQuery":
        if self.start and self.end and self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    @property
    def resolved_level(self) -> Level:
        """The level whose window length the series uses: the explicit one, else the most specific filter."""
        if self.level:
            return self.level
        return "store" if self.store_id else "city" if self.city else "region"

    def selection(self, level: Level | None = None) -> WindowSelection:
        """The rows this report needs, at ``level`` (default: :attr:`resolved_level`)."""
        return WindowSelection(
            level=level or self.resolved_level, region=self.region, city=self.city,
            store_id=self.store_id, start=self.start, end=self.end,
        )


class SeriesPoint(BaseModel):
    """Visitors in one window or hour, summed over the selected stores. Totals are never suppressed."""

    window_start: datetime
    window_end: datetime
    visitors: int
    frames: int
    suppressed_visitors: int = Field(description="Visitors in groups whose breakdown was suppressed.")

    @field_serializer("window_start", "window_end")
    def _iso(self, value: datetime) -> str:
        return utc_iso(value)


class Breakdown(BaseModel):
    """Demographics over a range, after k-anonymity is re-applied (see :mod:`.service`).

    When ``suppressed`` is true every demographic field is ``None``: shown as "suppressed",
    never as zero.
    """

    suppressed: bool
    visitors: int = Field(description="All visitors (faces) in the range; never suppressed.")
    breakdown_visitors: int = Field(description="Visitors the breakdown counts: those in published windows.")
    suppressed_visitors: int = Field(description="Visitors in suppressed windows, left out of the breakdown.")
    gender: dict[str, int] | None = None
    age_bands: dict[str, int] | None = None
    emotions: dict[str, int] | None = None
    avg_age: float | None = None
    happiness_share: float | None = None


class GroupSummary(Breakdown):
    """One sub-group of the selection (a region's cities, a city's stores) over the range."""

    level: Level
    key: str
    label: str
    region: str | None = None
    city: str | None = None
    store_id: str | None = None


class Report(Breakdown):
    """``GET /api/report``: the time series and the demographic breakdown of the selection."""

    level: Level = Field(description="The resolution of the series: store 15 minutes, city and region an hour.")
    window_minutes: int
    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    k: int
    frames: int
    windows: int = Field(description="Distinct windows in the series.")
    series: list[SeriesPoint]
    groups: list[GroupSummary] = Field(default_factory=list, description="Sub-groups one level down.")
    rule: str = Field(description="The k-anonymity rule applied to the range, in words.")

    @field_serializer("start", "end")
    def _iso(self, value: datetime | None) -> str | None:
        return utc_iso(value) if value else None
