"""The ground truth of a simulated day: who visits, when they come in and leave, where they browse.

Every visit crop of the plan is one visitor: they cross the entrance line of camera ``C01`` a few
seconds before their crop is taken, browse for a dwell drawn from a log-normal distribution (median
about 8 minutes), spend part of it in one zone of camera ``C02`` (``womenswear`` or ``menswear`` in
``cameras.csv``), and leave through the entrance before closing (:func:`plan_visits`).

The entrance camera's counts are **measured**: :mod:`footfall.simulate.entrance` films every
visitor walking in and out and runs the edge module's detector, tracker and door line over the
frames. :func:`count_events` gives the counts these visits should produce, straight from the plan:
the ground truth for both cameras, and still the source of the zone camera ``C02``'s CountEvents in
the demo (its browsing is not filmed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np

from footfall.simulate.plan import ENTRANCE_CAMERA, FRAME_CAMERA, Manifest
from footfall.simulate.schedule import CLOSE_HOUR, OPEN_HOUR
from functions.contracts import (
    CountEvent,
    LineCount,
    ZoneCount,
    count_event_id,
)

ENTRANCE_LINE = "door"
ZONES = ("womenswear", "menswear")
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Visit:
    """One simulated visitor: when they came in and left, and their stay in one zone."""

    store_id: str
    entered: datetime
    left: datetime
    zone: str
    zone_from: datetime
    zone_to: datetime


def plan_visits(manifest: Manifest, seed: int | None = None) -> list[Visit]:
    """One visit per visit crop of the manifest, with entry, exit and zone times."""
    rng = np.random.default_rng(manifest.config.seed if seed is None else seed)
    by_store = {s.store_id: s for s in manifest.stores}
    visits = []
    for upload in manifest.visits:
        store = by_store[upload.store_id]
        local_day = upload.captured_at.astimezone(store.tz).date()
        opening = datetime.combine(local_day, time(OPEN_HOUR), tzinfo=store.tz)
        closing = datetime.combine(local_day, time(CLOSE_HOUR), tzinfo=store.tz)
        entered = max(upload.captured_at - timedelta(seconds=float(rng.uniform(2, 8))), opening)
        dwell = timedelta(seconds=float(np.clip(rng.lognormal(np.log(480), 0.6), 60, 3600)))
        left = min(entered + dwell, closing - timedelta(seconds=1))
        left = max(left, upload.captured_at + timedelta(seconds=1))
        span = left - entered
        zone_from = entered + span * 0.2
        zone_to = entered + span * float(rng.uniform(0.4, 0.9))
        visits.append(Visit(upload.store_id, entered, left, ZONES[int(rng.integers(len(ZONES)))], zone_from, zone_to))
    return visits


def _minute(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


def count_events(manifest: Manifest, visits: list[Visit], frames_per_minute: int = 600,
                 cameras: tuple[str, ...] = (ENTRANCE_CAMERA, FRAME_CAMERA)) -> list[CountEvent]:
    """The planned CountEvents of ``cameras`` of every store, minute by minute over opening hours."""
    entries: dict[tuple[str, datetime], int] = defaultdict(int)
    exits: dict[tuple[str, datetime], int] = defaultdict(int)
    ended: dict[tuple[str, str, datetime], list[float]] = defaultdict(list)
    for v in visits:
        entries[(v.store_id, _minute(v.entered))] += 1
        exits[(v.store_id, _minute(v.left))] += 1
        ended[(v.store_id, v.zone, _minute(v.zone_to))].append((v.zone_to - v.zone_from).total_seconds())
    events = []
    for store in manifest.stores:
        day = manifest.config.day
        start = datetime.combine(day, time(OPEN_HOUR), tzinfo=store.tz).astimezone(UTC)
        end = datetime.combine(day, time(CLOSE_HOUR), tzinfo=store.tz).astimezone(UTC)
        stays = [v for v in visits if v.store_id == store.store_id]
        minute = start
        while minute < end:
            key = (store.store_id, minute)
            if ENTRANCE_CAMERA in cameras:
                events.append(CountEvent(
                    event_id=count_event_id(store.store_id, ENTRANCE_CAMERA, minute), store_id=store.store_id,
                    camera_id=ENTRANCE_CAMERA, window_start=minute, window_end=minute + MINUTE,
                    frames=frames_per_minute,
                    lines=[LineCount(line=ENTRANCE_LINE, entries=entries.get(key, 0), exits=exits.get(key, 0))],
                ))
            if FRAME_CAMERA not in cameras:
                minute += MINUTE
                continue
            zones = []
            for zone in ZONES:
                inside = [v for v in stays if v.zone == zone and v.zone_from < minute + MINUTE and v.zone_to > minute]
                seconds_inside = sum((min(v.zone_to, minute + MINUTE) - max(v.zone_from, minute)).total_seconds()
                                     for v in inside)
                zones.append(ZoneCount.from_dwells(
                    zone, ended.get((store.store_id, zone, minute), []),
                    occupancy_mean=round(seconds_inside / 60, 3), occupancy_max=len(inside),
                ))
            events.append(CountEvent(
                event_id=count_event_id(store.store_id, FRAME_CAMERA, minute), store_id=store.store_id,
                camera_id=FRAME_CAMERA, window_start=minute, window_end=minute + MINUTE, frames=frames_per_minute,
                zones=zones,
            ))
            minute += MINUTE
    return events
