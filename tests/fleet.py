"""A believable fleet day as the Stream Analytics job would publish it, with the people behind it.

The fleet is drawn person by person: visitors enter (counted at the door) and most are photographed
once (a visit crop, a face found 85% of the time), leave some minutes later, and visit a zone;
whole frames add sightings. The store and zone windows are then rolled up by hand here, the way the
contract describes them, never with the report code under test; tests compute their expectations
from the people themselves.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.contracts import AGE_BANDS, EMOTIONS, GENDERS, utc_iso

K = 5
DAY = datetime(2026, 11, 23, tzinfo=UTC)
Q = timedelta(minutes=15)
ZONES = ("floor", "tills")
DWELL_BOUNDS = (30, 60, 120, 300, 600, 1200)
DWELL_NAMES = ("lt_30s", "lt_1m", "lt_2m", "lt_5m", "lt_10m", "lt_20m", "ge_20m")

# store_id, store_name, city, country, region, time zone, traffic scale (None: missing from reference data)
STORES: list[tuple[str, str | None, str | None, str | None, str | None, str | None, float]] = [
    ("S0001", "Gallerian", "Stockholm", "SE", "Nordics", "Europe/Stockholm", 1.0),
    ("S0002", "Odenplan", "Stockholm", "SE", "Nordics", "Europe/Stockholm", 0.6),
    ("S0003", "Majorstuen", "Oslo", "NO", "Nordics", "Europe/Oslo", 0.8),
    ("S0004", "Oslo S Kiosk", "Oslo", "NO", "Nordics", "Europe/Oslo", 0.05),
    ("S0101", "Puerta del Sol", "Madrid", "ES", "Iberia", "Europe/Madrid", 1.2),
    ("S0102", "Chiado", "Lisbon", "PT", "Iberia", "Europe/Lisbon", 0.9),
    ("S0201", "Kalverstraat", "Amsterdam", "NL", "Benelux", "Europe/Amsterdam", 1.1),
    ("S0999", None, None, None, None, None, 0.3),
]
REFERENCE = {s[0]: dict(zip(("store_name", "city", "country", "region", "time_zone"), s[1:6], strict=True))
             for s in STORES}


def window_start(at: datetime, minutes: int = 15) -> datetime:
    """Start of the (start, start + minutes] window that holds ``at`` (an instant on a boundary closes it)."""
    floor = at - timedelta(minutes=at.minute % minutes, seconds=at.second, microseconds=at.microsecond)
    return floor - timedelta(minutes=minutes) if floor == at else floor


@dataclass(frozen=True)
class Visit:
    """One person who entered a store: door times, the face of their visit crop, a zone stay."""

    store_id: str
    entered: datetime
    left: datetime
    face: tuple[str | None, str | None, str | None] | None
    """(gender, age band, emotion) of the visit crop's face; None when no face was found."""
    zone: str
    zone_from: datetime
    zone_to: datetime

    @property
    def photo_at(self) -> datetime:
        return self.entered + timedelta(seconds=4)


@dataclass
class Fleet:
    """The people of a day and the rows computed from them."""

    visits: list[Visit]
    sightings: dict[tuple[str, datetime], tuple[int, int]]
    """(store, window start) -> (whole frames, faces in them)."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    zone_rows: list[dict[str, Any]] = field(default_factory=list)

    def visits_where(self, **match: Any) -> list[Visit]:
        """Visits of the stores whose reference fields (or store_id) equal ``match``."""
        def ok(v: Visit) -> bool:
            ref = {"store_id": v.store_id, **REFERENCE[v.store_id]}
            return all(ref[k] == value for k, value in match.items())
        return [v for v in self.visits if ok(v)]

    def faces_where(self, **match: Any) -> list[Visit]:
        """Visits with a face, matching ``match``."""
        return [v for v in self.visits_where(**match) if v.face is not None]

    def published_faces(self, **match: Any) -> list[Visit]:
        """Visits with a face whose 15-minute store window was published."""
        published = {(r["store_id"], r["window_start"]) for r in self.rows if not r["suppressed"]}
        return [v for v in self.faces_where(**match)
                if (v.store_id, utc_iso(window_start(v.photo_at))) in published]

    def rows_where(self, **match: Any) -> list[dict[str, Any]]:
        """Store window rows whose columns equal ``match``."""
        return [r for r in self.rows if all(r.get(k) == v for k, v in match.items())]


def _arrivals(hour: float) -> float:
    """Visitors per 15 minutes for scale 1: a lunch peak and an after-work peak."""
    return 5 + 12 * math.exp(-((hour - 12.5) ** 2) / 2) + 16 * math.exp(-((hour - 17.5) ** 2) / 1.5)


def draw_visits(seed: int = 7, day: datetime = DAY) -> list[Visit]:
    """Visitors of one day, entering 07:00-19:00 UTC, for every store in :data:`STORES`."""
    rng = random.Random(seed)
    visits = []
    for store_id, *_, scale in STORES:
        for quarter in range(7 * 4, 19 * 4):
            start = day + timedelta(minutes=15 * quarter)
            lam = scale * _arrivals(start.hour + start.minute / 60)
            for _ in range(sum(1 for _ in range(int(lam * 4)) if rng.random() < 0.25)):
                entered = start + timedelta(seconds=rng.randrange(1, 880))
                dwell = timedelta(seconds=rng.randrange(60, 40 * 60))
                face = None if rng.random() < 0.15 else (
                    rng.choices([*GENDERS, None], [52, 43, 5])[0],
                    None if rng.random() < 0.06 else rng.choice(AGE_BANDS),
                    rng.choices([*EMOTIONS, None], [2, 1, 1, 1, 30, 45, 8, 7, 5])[0],
                )
                zone_from = entered + dwell * 0.2
                visits.append(Visit(store_id, entered, entered + dwell, face, rng.choice(ZONES), zone_from,
                                    zone_from + dwell * 0.5))
    return visits


def demographic_counts(faces: list[tuple[str | None, str | None, str | None]]) -> dict[str, int]:
    """The demographic columns of a group of visit faces, by the contract's names."""
    genders = [f[0] for f in faces]
    bands = [f[1] for f in faces]
    emotions = [f[2] for f in faces]
    return {
        **{f"gender_{g}": genders.count(g) for g in GENDERS}, "gender_unknown": genders.count(None),
        **{"age_" + b.replace("-", "_").replace("+", "_plus"): bands.count(b) for b in AGE_BANDS},
        "age_unknown": bands.count(None),
        **{f"emotion_{e}": emotions.count(e) for e in EMOTIONS}, "emotion_unknown": emotions.count(None),
    }


def store_row(store_id: str, start: datetime, *, visitors: int = 0, exits: int = 0,
              faces: list[tuple[str | None, str | None, str | None]] | None = None, visit_photos: int | None = None,
              frames: int = 0, sightings: int = 0, k: int = K) -> dict[str, Any]:
    """One store window as the job writes it."""
    faces = faces or []
    visit_photos = len(faces) if visit_photos is None else visit_photos
    suppressed = len(faces) < k
    counts = demographic_counts(faces)
    return {
        "id": f"{store_id}|{utc_iso(start + Q)}", "doc_type": "store_window", "store_id": store_id,
        **REFERENCE.get(store_id, dict.fromkeys(("store_name", "city", "country", "region", "time_zone"))),
        "window_start": utc_iso(start), "window_end": utc_iso(start + Q),
        "photos": visit_photos + frames, "visit_photos": visit_photos, "visit_faces": len(faces),
        "sightings": sightings, "visitors": visitors, "exits": exits,
        **{c: None if suppressed else n for c, n in counts.items()},
        "suppressed": suppressed,
    }


def _dwell_name(seconds: float) -> str:
    return DWELL_NAMES[next((i for i, b in enumerate(DWELL_BOUNDS) if seconds < b), len(DWELL_BOUNDS))]


def rollup(fleet: Fleet, k: int = K) -> None:
    """Fill ``fleet.rows`` (store windows) and ``fleet.zone_rows`` from its people."""
    keys: set[tuple[str, datetime]] = set(fleet.sightings)
    entries: dict[tuple[str, datetime], int] = defaultdict(int)
    exits: dict[tuple[str, datetime], int] = defaultdict(int)
    photos: dict[tuple[str, datetime], list[Visit]] = defaultdict(list)
    for v in fleet.visits:
        entries[(v.store_id, window_start(v.entered))] += 1
        exits[(v.store_id, window_start(v.left))] += 1
        photos[(v.store_id, window_start(v.photo_at))].append(v)
    keys |= set(entries) | set(exits) | set(photos)
    fleet.rows = []
    for store_id, start in sorted(keys):
        taken = photos.get((store_id, start), [])
        frames, seen = fleet.sightings.get((store_id, start), (0, 0))
        fleet.rows.append(store_row(
            store_id, start, visitors=entries.get((store_id, start), 0), exits=exits.get((store_id, start), 0),
            faces=[v.face for v in taken if v.face is not None], visit_photos=len(taken), frames=frames,
            sightings=seen, k=k))
    ended: dict[tuple[str, str, datetime], list[Visit]] = defaultdict(list)
    for v in fleet.visits:
        ended[(v.store_id, v.zone, window_start(v.zone_to))].append(v)
    fleet.zone_rows = []
    for (store_id, zone, start), members in sorted(ended.items()):
        dwells = [(v.zone_to - v.zone_from).total_seconds() for v in members]
        hist = dict.fromkeys(DWELL_NAMES, 0)
        for d in dwells:
            hist[_dwell_name(d)] += 1
        fleet.zone_rows.append({
            "id": f"{store_id}|{zone}|{utc_iso(start + Q)}", "doc_type": "zone_window", "store_id": store_id,
            "zone": zone, "window_start": utc_iso(start), "window_end": utc_iso(start + Q),
            "visits": len(members), "dwell_s_sum": round(sum(dwells), 1), **{f"dwell_{n}": c for n, c in hist.items()},
            "occupancy_mean": round(len(members) * 0.4, 2), "occupancy_max": len(members),
        })


def make_fleet(seed: int = 7, day: datetime = DAY) -> Fleet:
    """A day of visitors (``day``, 07:00-19:00 UTC), whole frames per store window, and the rows rolled up."""
    visits = draw_visits(seed, day)
    rng = random.Random(seed + 1)
    sightings = {}
    for store_id, *_ in STORES:
        for quarter in range(7 * 4, 19 * 4):
            start = day + timedelta(minutes=15 * quarter)
            frames = rng.randrange(0, 4)
            sightings[(store_id, start)] = (frames, sum(rng.randrange(0, 5) for _ in range(frames)))
    fleet = Fleet(visits=visits, sightings=sightings)
    rollup(fleet)
    return fleet


def shifted(rows: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    """The same store (or zone) windows ``days`` later (earlier when negative), with their ids: another day of
    the same people, for comparisons."""
    out = []
    for row in rows:
        start = datetime.fromisoformat(row["window_start"].replace("Z", "+00:00")) + timedelta(days=days)
        moved = {**row, "window_start": utc_iso(start), "window_end": utc_iso(start + Q)}
        moved["id"] = "|".join([*row["id"].split("|")[:-1], moved["window_end"]])
        out.append(moved)
    return out
