"""Counting lines and zones of one camera, and its CountEvent per minute.

* A person's position is the bottom centre of their box (where they stand): :attr:`TrackedPerson.foot`.
* **Lines** (:class:`LineCounter`): the foot point's side of the line is
  ``cross(p2 - p1, p - p1)`` in pixels (y down); a crossing from the negative to the positive side is
  ``in``, the other way ``out`` (the rule of :class:`functions.contracts.LineCount`). Within
  ``line_band`` of the line a point is on neither side: a track must be seen clearly on one side,
  then clearly on the other, so a person standing on the line and jittering never counts, and a
  person walking back and forth counts once per real crossing. A crossing counts only where the
  segment is (the point between the two sightings projects onto the line between p1 and p2).
* **Zones** (:class:`ZoneCounter`): a visit starts when a track's foot point is first inside the
  polygon and ends once it has been outside (or gone) for ``zone_exit_s``; stays shorter than
  ``min_zone_dwell_s`` are not visits. Occupancy is the number of tracks inside in a frame.
* **Minutes** (:class:`CameraCounter`): one :class:`functions.contracts.CountEvent` per camera
  minute (UTC), emitted when a frame of a later minute arrives or the camera stops; a minute
  without frames in between still reports, with ``frames = 0``. Its id is
  :func:`functions.contracts.count_event_id`, the same however often it is sent.

Exclusion zones are applied before any of this (:func:`outside_exclusions`): a detection whose
foot point is inside one is dropped before tracking, so staff behind a till never become a track.

Only counts leave this module; the per-track state (sides, zone entry times) is in memory, keyed
by the in-memory track id, and dropped as soon as the track is gone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from edge_module.config import CameraConfig, CountingConfig, LineConfig, Point, ZoneConfig
from edge_module.detection.base import Detection
from edge_module.tracking import TrackedPerson
from functions.contracts import (
    CountEvent,
    LineCount,
    ZoneCount,
    count_event_id,
)

MINUTE = timedelta(minutes=1)
FORGET_AFTER_S = 60.0
"""Per-track state of a track not seen for this long is dropped."""


def to_pixels(points: Sequence[Point], width: int, height: int) -> np.ndarray:
    """Normalised points as float32 pixel coordinates ``N x 2``."""
    return np.array([[x * width, y * height] for x, y in points], dtype=np.float32)


def inside(polygon: np.ndarray, point: tuple[float, float]) -> bool:
    """Whether ``point`` is inside (or on the edge of) a pixel polygon."""
    return cv2.pointPolygonTest(polygon, (float(point[0]), float(point[1])), False) >= 0


def outside_exclusions(detections: list[Detection], exclusions: Sequence[np.ndarray]) -> list[Detection]:
    """The detections whose foot point is in no exclusion zone (pixel polygons)."""
    if not exclusions:
        return detections
    return [d for d in detections
            if not any(inside(poly, (d.x + d.width / 2, d.y + d.height)) for poly in exclusions)]


def paint_out(image: np.ndarray, exclusions: Sequence[np.ndarray], excluded: Sequence[Detection] = ()) -> np.ndarray:
    """A copy of ``image`` with every exclusion zone, and every person standing in one, filled grey.

    A person behind a till stands in the zone but their body reaches out of it: the whole box of a
    detection dropped by :func:`outside_exclusions` (grown by 10%) is painted too.
    """
    if not exclusions:
        return image
    out = image.copy()
    cv2.fillPoly(out, [np.round(p).astype(np.int32) for p in exclusions], (128, 128, 128))
    for d in excluded:
        mx, my = d.width * 0.1, d.height * 0.1
        cv2.rectangle(out, (int(d.x - mx), int(d.y - my)), (int(d.x + d.width + mx), int(d.y + d.height + my)),
                      (128, 128, 128), thickness=-1)
    return out


class LineCounter:
    """Directed crossings of one line by tracks, with a hysteresis band."""

    def __init__(self, line: LineConfig, width: int, height: int, band: float) -> None:
        self.name = line.name
        (self.x1, self.y1), (self.x2, self.y2) = to_pixels([line.p1, line.p2], width, height)
        self.dx, self.dy = self.x2 - self.x1, self.y2 - self.y1
        self.length = math.hypot(self.dx, self.dy)
        self.band = band * math.hypot(width, height)
        self._last: dict[int, tuple[int, float, float, float]] = {}  # track -> side, x, y, time seen
        self._entered: set[int] = set()  # tracks that crossed in during the last update

    def signed_distance(self, point: tuple[float, float]) -> float:
        """``cross(p2 - p1, p - p1) / |p2 - p1|``: positive on the ``in`` side."""
        return float((self.dx * (point[1] - self.y1) - self.dy * (point[0] - self.x1)) / self.length)

    def along(self, point: tuple[float, float]) -> float:
        """Where ``point`` projects onto the line: 0 at p1, 1 at p2."""
        return float((self.dx * (point[0] - self.x1) + self.dy * (point[1] - self.y1)) / (self.length**2))

    def update(self, people: Sequence[TrackedPerson], t: float) -> tuple[int, int]:
        """``(entries, exits)`` made by ``people`` in the frame at time ``t`` (seconds)."""
        entries = exits = 0
        self._entered.clear()
        for person in people:
            foot = person.foot
            distance = self.signed_distance(foot)
            if abs(distance) <= self.band:
                continue  # on the line: neither side
            side = 1 if distance > 0 else -1
            last = self._last.get(person.track_id)
            if last is not None and last[0] != side:
                middle = ((last[1] + foot[0]) / 2, (last[2] + foot[1]) / 2)
                if 0.0 <= self.along(middle) <= 1.0:
                    if side > 0:
                        entries += 1
                        self._entered.add(person.track_id)
                    else:
                        exits += 1
            self._last[person.track_id] = (side, foot[0], foot[1], t)
        self._forget(t)
        return entries, exits

    def entered(self, track_id: int) -> bool:
        """Whether the track crossed ``in`` in the last update."""
        return track_id in self._entered

    def _forget(self, t: float) -> None:
        for track_id in [k for k, v in self._last.items() if t - v[3] > FORGET_AFTER_S]:
            del self._last[track_id]


@dataclass
class _Stay:
    first: float
    last: float


class ZoneCounter:
    """Visits, dwell and occupancy of one zone."""

    def __init__(self, zone: ZoneConfig, width: int, height: int, exit_s: float, min_dwell_s: float) -> None:
        self.name = zone.name
        self.polygon = to_pixels(zone.polygon, width, height)
        self.exit_s = exit_s
        self.min_dwell_s = min_dwell_s
        self._stays: dict[int, _Stay] = {}

    def update(self, people: Sequence[TrackedPerson], t: float) -> tuple[int, list[float]]:
        """``(people inside now, dwell seconds of the visits that ended)`` for the frame at ``t``."""
        occupancy = 0
        for person in people:
            if inside(self.polygon, person.foot):
                occupancy += 1
                stay = self._stays.get(person.track_id)
                if stay is None:
                    self._stays[person.track_id] = _Stay(t, t)
                else:
                    stay.last = t
        ended = [k for k, s in self._stays.items() if t - s.last > self.exit_s]
        return occupancy, self._end(ended)

    def close(self) -> list[float]:
        """End every visit (the camera stops): their dwell seconds."""
        return self._end(list(self._stays))

    def _end(self, track_ids: list[int]) -> list[float]:
        dwells = []
        for track_id in track_ids:
            stay = self._stays.pop(track_id)
            if stay.last - stay.first >= self.min_dwell_s:
                dwells.append(stay.last - stay.first)
        return dwells


@dataclass
class _Minute:
    start: datetime
    frames: int = 0
    entries: dict[str, int] = field(default_factory=dict)
    exits: dict[str, int] = field(default_factory=dict)
    occupancy_sum: dict[str, int] = field(default_factory=dict)
    occupancy_max: dict[str, int] = field(default_factory=dict)
    dwells: dict[str, list[float]] = field(default_factory=dict)


def minute_of(ts: datetime) -> datetime:
    """The start of the UTC minute holding ``ts``."""
    return ts.astimezone(UTC).replace(second=0, microsecond=0)


class CameraCounter:
    """One camera's lines and zones, summed per minute into CountEvents."""

    def __init__(self, store_id: str, camera: CameraConfig, counting: CountingConfig, width: int, height: int) -> None:
        self.store_id = store_id
        self.camera_id = camera.id
        self.lines = [LineCounter(line, width, height, counting.line_band) for line in camera.lines]
        self.zones = [ZoneCounter(z, width, height, counting.zone_exit_s, counting.min_zone_dwell_s)
                      for z in camera.zones]
        self._minute: _Minute | None = None
        self.totals_in = dict.fromkeys((x.name for x in self.lines), 0)
        self.totals_out = dict.fromkeys((x.name for x in self.lines), 0)
        self.zone_visits = dict.fromkeys((z.name for z in self.zones), 0)
        self.zone_dwell = dict.fromkeys((z.name for z in self.zones), 0.0)
        self.zone_occupancy_max = dict.fromkeys((z.name for z in self.zones), 0)

    def update(self, people: Sequence[TrackedPerson], captured_at: datetime) -> list[CountEvent]:
        """Count one analysed frame; returns the CountEvents of the minutes this frame closed."""
        events = self._roll(minute_of(captured_at))
        minute = self._minute
        assert minute is not None
        t = captured_at.timestamp()
        minute.frames += 1
        for line in self.lines:
            entries, exits = line.update(people, t)
            minute.entries[line.name] = minute.entries.get(line.name, 0) + entries
            minute.exits[line.name] = minute.exits.get(line.name, 0) + exits
            self.totals_in[line.name] += entries
            self.totals_out[line.name] += exits
        for zone in self.zones:
            occupancy, dwells = zone.update(people, t)
            self._add_zone(minute, zone.name, occupancy, dwells)
        return events

    def close(self, now: datetime | None = None) -> list[CountEvent]:
        """End the zones' visits and emit the open minute (and, given ``now``, the minutes up to it)."""
        if self._minute is None:
            return []
        for zone in self.zones:
            self._add_zone(self._minute, zone.name, 0, zone.close(), occupancy_frame=False)
        events = self._roll(minute_of(now)) if now is not None else []
        if self._minute is not None:
            events.append(self._event(self._minute))
        self._minute = None
        return events

    def _add_zone(self, minute: _Minute, name: str, occupancy: int, dwells: list[float],
                  occupancy_frame: bool = True) -> None:
        if occupancy_frame:
            minute.occupancy_sum[name] = minute.occupancy_sum.get(name, 0) + occupancy
            minute.occupancy_max[name] = max(minute.occupancy_max.get(name, 0), occupancy)
        minute.dwells.setdefault(name, []).extend(dwells)
        self.zone_visits[name] += len(dwells)
        self.zone_dwell[name] += sum(dwells)
        self.zone_occupancy_max[name] = max(self.zone_occupancy_max[name], occupancy)

    def _roll(self, start: datetime) -> list[CountEvent]:
        """Close the minutes before ``start`` (empty ones included) and open ``start``."""
        events = []
        if self._minute is not None and self._minute.start < start:
            events.append(self._event(self._minute))
            gap = self._minute.start + MINUTE
            while gap < start:
                events.append(self._event(_Minute(gap)))
                gap += MINUTE
            self._minute = None
        if self._minute is None:
            self._minute = _Minute(start)
        return events

    def _event(self, minute: _Minute) -> CountEvent:
        zones = []
        for zone in self.zones:
            frames = minute.frames
            zones.append(ZoneCount.from_dwells(
                zone.name, minute.dwells.get(zone.name, []),
                occupancy_mean=round(minute.occupancy_sum.get(zone.name, 0) / frames, 3) if frames else 0.0,
                occupancy_max=minute.occupancy_max.get(zone.name, 0),
            ))
        return CountEvent(
            event_id=count_event_id(self.store_id, self.camera_id, minute.start), store_id=self.store_id,
            camera_id=self.camera_id, window_start=minute.start, window_end=minute.start + MINUTE,
            frames=minute.frames,
            lines=[LineCount(line=x.name, entries=minute.entries.get(x.name, 0), exits=minute.exits.get(x.name, 0))
                   for x in self.lines],
            zones=zones,
        )
