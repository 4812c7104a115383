"""A believable fleet day as Stream Analytics would report it, with the faces behind it.

The fixture draws individual anonymous faces per store and 15-minute window (arrivals peak at
lunch and after work), then rolls them up the way the job does: store rows per 15 minutes,
city and region rows per hour, demographics suppressed below k = 5 faces. Tests compute their
expectations from the faces themselves, never from the report code under test.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest
from azure.cosmos.exceptions import CosmosHttpResponseError

from footfall.reports.store import ReportStore
from functions.contracts import AGE_BANDS, EMOTIONS, age_band, utc_iso

K = 5
DAY = datetime(2026, 11, 23, tzinfo=timezone.utc)

# store_id, store_name, city, country, region, traffic scale (None: missing from reference data)
STORES: list[tuple[str, str | None, str | None, str | None, str | None, float]] = [
    ("S0001", "Gallerian", "Stockholm", "SE", "Nordics", 1.0),
    ("S0002", "Odenplan", "Stockholm", "SE", "Nordics", 0.6),
    ("S0003", "Majorstuen", "Oslo", "NO", "Nordics", 0.8),
    ("S0004", "Oslo S Kiosk", "Oslo", "NO", "Nordics", 0.05),
    ("S0101", "Puerta del Sol", "Madrid", "ES", "Iberia", 1.2),
    ("S0102", "Chiado", "Lisbon", "PT", "Iberia", 0.9),
    ("S0201", "Kalverstraat", "Amsterdam", "NL", "Benelux", 1.1),
    ("S0999", None, None, None, None, 0.3),
]


@dataclass(frozen=True)
class Face:
    """One anonymous face as the anonymizer reports it."""

    store_id: str
    city: str | None
    country: str | None
    region: str | None
    at: datetime
    age: int | None
    gender: str | None
    emotion: str | None


@dataclass
class Fleet:
    """The faces of a day and the Stream Analytics rows computed from them."""

    faces: list[Face]
    frames: dict[tuple[str, datetime], int]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def faces_where(self, **match: Any) -> list[Face]:
        """Faces whose attributes equal ``match``."""
        return [f for f in self.faces if all(getattr(f, k) == v for k, v in match.items())]

    def published_faces(self, **match: Any) -> list[Face]:
        """Faces (matching ``match``) whose 15-minute store window was published (not suppressed)."""
        published = {(r["store_id"], r["window_start"]) for r in self.rows
                     if r["level"] == "store" and not r["suppressed"]}
        return [f for f in self.faces_where(**match) if (f.store_id, utc_iso(_window(f.at, 15))) in published]

    def rows_where(self, **match: Any) -> list[dict[str, Any]]:
        """Rows whose columns equal ``match``."""
        return [r for r in self.rows if all(r.get(k) == v for k, v in match.items())]


def _window(at: datetime, minutes: int) -> datetime:
    return at - timedelta(minutes=at.minute % minutes, seconds=at.second, microseconds=at.microsecond)


def _arrivals(hour: float) -> float:
    """Visitors per 15 minutes for scale 1: a lunch peak and an after-work peak."""
    return 5 + 12 * math.exp(-((hour - 12.5) ** 2) / 2) + 16 * math.exp(-((hour - 17.5) ** 2) / 1.5)


def draw_fleet(seed: int = 7, day: datetime = DAY) -> list[Face]:
    """Faces of one day, 07:00-19:00 UTC, for every store in :data:`STORES`."""
    rng = random.Random(seed)
    faces: list[Face] = []
    for store_id, _, city, country, region, scale in STORES:
        for quarter in range(7 * 4, 19 * 4):
            start = day + timedelta(minutes=15 * quarter)
            lam = scale * _arrivals(start.hour + start.minute / 60)
            count = sum(1 for _ in range(int(lam * 4)) if rng.random() < 0.25)
            for _ in range(count):
                at = start + timedelta(seconds=rng.randrange(900))
                age = None if rng.random() < 0.06 else max(3, min(90, int(rng.gauss(36, 15))))
                gender = rng.choices(["female", "male", None], [52, 43, 5])[0]
                emotion = rng.choices([*EMOTIONS, None], [2, 1, 1, 1, 30, 45, 8, 7, 5])[0]
                faces.append(Face(store_id, city, country, region, at, age, gender, emotion))
    return faces


def window_row(level: str, start: datetime, minutes: int, group: dict[str, Any],
               faces: list[Face], frames: int, k: int = K) -> dict[str, Any]:
    """One output row as the Stream Analytics job writes it (contract in shared/ARCHITECTURE.md)."""
    end = start + timedelta(minutes=minutes)
    key = {"store": group.get("store_id"), "city": group.get("city"), "region": group.get("region")}[level] or ""
    row: dict[str, Any] = {
        "id": f"{level}|{key}|{utc_iso(end)}", "pk": f"{level}|{key}", "level": level,
        "window_start": utc_iso(start), "window_end": utc_iso(end),
        "store_id": None, "store_name": None, "city": None, "country": None, "region": None,
        **group, "frames": frames, "faces": len(faces), "suppressed": len(faces) < k,
    }
    bands = [age_band(f.age) for f in faces]
    counts = {
        "female": sum(f.gender == "female" for f in faces),
        "male": sum(f.gender == "male" for f in faces),
        "gender_unknown": sum(f.gender is None for f in faces),
        **{"age_" + b.replace("-", "_").replace("+", "_plus"): bands.count(b) for b in AGE_BANDS},
        "age_unknown": bands.count(None),
        **{f"emotion_{e}": sum(f.emotion == e for f in faces) for e in EMOTIONS},
    }
    ages = [f.age for f in faces if f.age is not None]
    known_emotions = sum(f.emotion is not None for f in faces)
    derived = {
        "avg_age": sum(ages) / len(ages) if ages else None,
        "happiness_share": counts["emotion_happiness"] / known_emotions if known_emotions else None,
    }
    if row["suppressed"]:
        row.update({name: None for name in (*counts, *derived)})
    else:
        row.update(counts, **derived)
    return row


def rollup(faces: list[Face], frames: dict[tuple[str, datetime], int], k: int = K) -> list[dict[str, Any]]:
    """Store rows per 15 minutes (for every window with frames), city and region rows per hour.

    Parent rows here sum every face of the hour, unlike the job (which sums only published
    store windows): the reports service reads store rows only, so parents only have to exist.
    """
    names = {s[0]: s[1] for s in STORES}
    ref = {s[0]: (s[2], s[3], s[4]) for s in STORES}
    by_store: dict[tuple[str, datetime], list[Face]] = defaultdict(list)
    for face in faces:
        by_store[(face.store_id, _window(face.at, 15))].append(face)
    rows = []
    for (store_id, start), count in sorted(frames.items()):
        city, country, region = ref[store_id]
        group = {"store_id": store_id, "store_name": names[store_id], "city": city, "country": country, "region": region}
        rows.append(window_row("store", start, 15, group, by_store.get((store_id, start), []), count, k))
    for level, fields in (("city", ("city", "country", "region")), ("region", ("region",))):
        groups: dict[tuple[Any, ...], list[Face]] = defaultdict(list)
        group_frames: dict[tuple[Any, ...], int] = defaultdict(int)
        for (store_id, start), count in frames.items():
            city, country, region = ref[store_id]
            values = {"city": city, "country": country, "region": region}
            group_frames[(tuple(values[f] for f in fields), _window(start, 60))] += count
        for face in faces:
            groups[(tuple(getattr(face, f) for f in fields), _window(face.at, 60))].append(face)
        for (values, start), count in sorted(group_frames.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            rows.append(window_row(level, start, 60, dict(zip(fields, values)), groups.get((values, start), []), count, k))
    return rows


def make_fleet(seed: int = 7) -> Fleet:
    """A day of faces, frames per store window, and the rows rolled up from them."""
    faces = draw_fleet(seed)
    rng = random.Random(seed + 1)
    per_window: dict[tuple[str, datetime], int] = defaultdict(int)
    for face in faces:
        per_window[(face.store_id, _window(face.at, 15))] += 1
    frames = {}
    for store_id, *_ in STORES:
        for quarter in range(7 * 4, 19 * 4):
            start = DAY + timedelta(minutes=15 * quarter)
            n = per_window.get((store_id, start), 0)
            frames[(store_id, start)] = n + rng.randrange(2, 12)  # photos with no face happen too
    fleet = Fleet(faces=faces, frames=frames)
    fleet.rows = rollup(faces, frames)
    return fleet


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    """One deterministic fleet day (8 stores, 5 cities, 3 regions and one store without reference data)."""
    return make_fleet()


@pytest.fixture
def filled_store(tmp_path: Path, fleet: Fleet) -> ReportStore:
    """A report store holding the fleet day, written through ``write_output`` as the job does."""
    store = ReportStore(tmp_path / "reports.duckdb")
    store.write_output("cosmos", fleet.rows)
    store.write_output("powerbi", [{k: v for k, v in r.items() if k not in ("id", "pk")} for r in fleet.rows])
    return store


@pytest.fixture
def make_faces() -> Callable[..., list[Face]]:
    """``make_faces(n, gender=, age=, emotion=, at=, store_id=)``: n identical faces."""
    def build(n: int, *, gender: str | None = "female", age: int | None = 30, emotion: str | None = "happiness",
              at: datetime = DAY, store_id: str = "S0001") -> list[Face]:
        return [Face(store_id, "Stockholm", "SE", "Nordics", at, age, gender, emotion) for _ in range(n)]

    return build


@pytest.fixture
def make_row() -> Callable[..., dict[str, Any]]:
    """Build one row from a few faces: ``make_row(level, start, faces, **group)``."""
    def build(level: str, start: datetime, faces: list[Face], frames: int | None = None, k: int = K,
              **group: Any) -> dict[str, Any]:
        minutes = 15 if level == "store" else 60
        return window_row(level, start, minutes, group, faces, len(faces) if frames is None else frames, k)

    return build


@dataclass
class SdkCall:
    """One call the adapter made on the container proxy."""

    method: str
    query: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


class FakeContainer:
    """Stands in for ``azure.cosmos.ContainerProxy`` at the SDK boundary.

    It records every call and answers the query shapes the adapter sends - ``SELECT * | VALUE
    MIN(c.f) | VALUE MAX(c.f) | DISTINCT c.a, c.b FROM c [WHERE c.f op @p AND ...]`` - over
    its documents, honouring ``partition_key`` and refusing cross-partition queries that were
    not enabled, as the service does. Results come back page by page, like ``ItemPaged``.
    """

    _CONDITION = re.compile(r"^c\.(\w+) (=|>=|<=) (@\w+)$")
    _QUERY = re.compile(r"^SELECT (?P<projection>.+?) FROM c(?: WHERE (?P<where>.+))?$")

    def __init__(self, documents: Iterable[dict[str, Any]] = (), page_size: int = 40) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        for i, doc in enumerate(documents):
            self.documents[doc["id"]] = {**doc, "_rid": f"rid{i}", "_etag": f'"{i}"', "_ts": 1795420800 + i}
        self.page_size = page_size
        self.calls: list[SdkCall] = []
        self.fail_with: Exception | None = None

    def query_items(self, query: str, parameters: list[dict[str, Any]] | None = None,
                    partition_key: str | None = None, enable_cross_partition_query: bool | None = None,
                    **kwargs: Any) -> Iterator[Any]:
        params = {p["name"]: p["value"] for p in parameters or []}
        self.calls.append(SdkCall("query_items", query, params, {
            "partition_key": partition_key, "enable_cross_partition_query": enable_cross_partition_query, **kwargs}))
        if self.fail_with is not None:
            raise self.fail_with
        if partition_key is None and not enable_cross_partition_query:
            raise CosmosHttpResponseError(status_code=400, message="Cross partition query is required but disabled")
        match = self._QUERY.match(query)
        assert match, f"unexpected query shape: {query}"
        docs = [d for d in self.documents.values() if partition_key is None or d["pk"] == partition_key]
        for condition in (match["where"] or "").split(" AND ") if match["where"] else []:
            cond = self._CONDITION.match(condition)
            if cond is None:  # a literal the adapter inlined would land here: it must use parameters
                raise AssertionError(f"condition without a parameter: {condition}")
            column, op, name = cond.groups()
            value = params[name]
            test = {"=": lambda a: a == value, ">=": lambda a: a is not None and a >= value,
                    "<=": lambda a: a is not None and a <= value}[op]
            docs = [d for d in docs if test(d.get(column))]
        projection = match["projection"]
        if projection == "*":
            results: list[Any] = docs
        elif aggregate := re.match(r"^VALUE (MIN|MAX)\(c\.(\w+)\)$", projection):
            values = [d[aggregate[2]] for d in docs if d.get(aggregate[2]) is not None]
            results = [(min if aggregate[1] == "MIN" else max)(values)] if values else []
        elif projection.startswith("DISTINCT "):
            columns = [c.strip().removeprefix("c.") for c in projection.removeprefix("DISTINCT ").split(",")]
            seen: dict[tuple[Any, ...], dict[str, Any]] = {}
            for d in docs:
                seen.setdefault(tuple(d.get(c) for c in columns), {c: d.get(c) for c in columns})
            results = list(seen.values())
        else:
            raise AssertionError(f"unexpected projection: {projection}")
        return self._pages(results)

    def _pages(self, results: list[Any]) -> Iterator[Any]:
        for start in range(0, len(results), self.page_size):
            yield from results[start:start + self.page_size]

    def upsert_item(self, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.calls.append(SdkCall("upsert_item", kwargs={"body": body, **kwargs}))
        json.dumps(body)  # what the SDK sends must be plain JSON
        self.documents[body["id"]] = dict(body)
        return dict(body)


@pytest.fixture
def cosmos_container(fleet: Fleet) -> FakeContainer:
    """A fake Cosmos container holding the fleet day as the job's ``cosmos`` output documents."""
    return FakeContainer(fleet.rows)


@pytest.fixture
def make_container() -> Callable[..., FakeContainer]:
    """``make_container(documents=())``: a fresh fake Cosmos container."""
    return FakeContainer
