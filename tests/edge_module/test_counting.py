"""Lines and zones on synthetic tracks with known paths: directed counts exact, jitter and back-and-forth.

The frame is 800x600; tracks are fed to :class:`CameraCounter` as the tracker would hand them over
(one foot point per frame, 10 frames per second).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from edge_module.config import CameraConfig, CountingConfig, LineConfig, ZoneConfig
from edge_module.counting import CameraCounter, LineCounter, outside_exclusions, paint_out, to_pixels
from edge_module.detection.base import Detection
from edge_module.tracking import TrackedPerson
from functions.contracts import CountEvent, count_event_id

W, H = 800, 600
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HORIZONTAL = LineConfig(name="door", p1=(0.1, 0.5), p2=(0.9, 0.5))  # left to right: in = moving down
VERTICAL = LineConfig(name="aisle", p1=(0.5, 0.1), p2=(0.5, 0.9))  # top to bottom: in = moving left


def person(track_id: int, foot_x: float, foot_y: float, height: float = 120) -> TrackedPerson:
    return TrackedPerson(track_id, foot_x - height / 5, foot_y - height, foot_x + height / 5, foot_y, 0.9)


def walk(track_id: int, start: tuple[float, float], end: tuple[float, float], frames: int) -> list[TrackedPerson]:
    return [person(track_id, start[0] + (end[0] - start[0]) * i / (frames - 1),
                   start[1] + (end[1] - start[1]) * i / (frames - 1)) for i in range(frames)]


def feed(counter: CameraCounter, frames: Iterable[list[TrackedPerson]], fps: float = 10.0,
         start: datetime = T0) -> list[CountEvent]:
    events = []
    for i, people in enumerate(frames):
        events += counter.update(people, start + timedelta(seconds=i / fps))
    return events


def camera(**kwargs: object) -> CameraConfig:
    return CameraConfig(id="C01", **kwargs)


def together(*tracks: list[TrackedPerson]) -> list[list[TrackedPerson]]:
    """Frames in which the given tracks walk at the same time (shorter ones stop being seen)."""
    n = max(len(t) for t in tracks)
    return [[t[i] for t in tracks if i < len(t)] for i in range(n)]


def test_directed_counts_are_exact_for_known_tracks() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL, VERTICAL]), CountingConfig(), W, H)
    down = [walk(i, (150 + 40 * i, 150), (160 + 40 * i, 450), 30) for i in range(5)]  # left half: crosses door only
    up = [walk(10 + i, (200 + 30 * i, 500), (190 + 30 * i, 120), 30) for i in range(3)]
    leftwards = [walk(20 + i, (700, 150 + 30 * i), (100, 160 + 30 * i), 40) for i in range(2)]  # above the door
    feed(counter, together(*down, *up, *leftwards))
    assert counter.totals_in == {"door": 5, "aisle": 2}
    assert counter.totals_out == {"door": 3, "aisle": 0}


def test_the_direction_rule_is_the_issues_cross_product() -> None:
    line = LineCounter(HORIZONTAL, W, H, band=0.0)
    assert line.signed_distance((400, 400)) > 0, "below a left-to-right line is the in side"
    assert line.signed_distance((400, 200)) < 0
    reverse = LineCounter(LineConfig(name="x", p1=(0.9, 0.5), p2=(0.1, 0.5)), W, H, band=0.0)
    assert reverse.signed_distance((400, 400)) < 0, "drawn right to left, down is out"


def test_jitter_on_the_line_never_counts() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL]), CountingConfig(), W, H)
    rng = np.random.default_rng(1)
    # 10 minutes standing on the line, feet jittering +-8 px (the band is 1.5% of the diagonal: 15 px).
    frames = [[person(1, 400 + rng.normal(0, 3), 300 + rng.uniform(-8, 8))] for _ in range(6000)]
    feed(counter, frames)
    assert counter.totals_in == {"door": 0} and counter.totals_out == {"door": 0}


def test_back_and_forth_counts_once_per_real_crossing() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL]), CountingConfig(), W, H)
    path = (walk(1, (400, 200), (400, 400), 20) + walk(1, (400, 400), (400, 200), 20)
            + walk(1, (400, 200), (400, 400), 20))
    # ... and lingering on the line between crossings, wobbling inside the band.
    wobble = [person(1, 400, 300 + (5 if i % 2 else -5)) for i in range(50)]
    feed(counter, [[p] for p in path[:20] + wobble + path[20:]])
    assert counter.totals_in == {"door": 2} and counter.totals_out == {"door": 1}


def test_crossing_beyond_the_end_of_the_line_does_not_count() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL]), CountingConfig(), W, H)
    feed(counter, [[p] for p in walk(1, (30, 100), (30, 500), 30)])  # x=30 is left of p1 (x=80)
    assert counter.totals_in == {"door": 0}


def test_staff_in_an_exclusion_zone_for_an_hour_add_no_visitors() -> None:
    till = [(0.05, 0.3), (0.45, 0.3), (0.45, 0.7), (0.05, 0.7)]
    cam = camera(lines=[HORIZONTAL], exclusion_zones=[till])
    exclusions = [to_pixels(till, W, H)]
    counter = CameraCounter("S0001", cam, CountingConfig(), W, H)
    rng = np.random.default_rng(2)
    events = []
    for i in range(3600):  # an hour at 1 frame per second, pacing across the line behind the till
        foot_y = 300 + 90 * np.sin(i / 7) + rng.normal(0, 4)
        detection = Detection(x=180, y=int(foot_y - 120), width=48, height=120, score=0.8)
        kept = outside_exclusions([detection], exclusions)
        assert kept == []
        events += counter.update([], T0 + timedelta(seconds=i))
    events += counter.close()
    assert len(events) == 60
    assert sum(line.entries for e in events for line in e.lines) == 0


def test_exclusion_zones_are_painted_out_before_encoding() -> None:
    image = np.full((H, W, 3), 200, dtype=np.uint8)
    till = to_pixels([(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)], W, H)
    painted = paint_out(image, [till])
    assert (painted[:290, :390] == 128).all() and (painted[310:, 410:] == 200).all()
    assert (image == 200).all(), "the original frame is not changed"


def test_zone_visits_dwell_and_occupancy() -> None:
    shelf = ZoneConfig(name="womenswear", polygon=[(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)])
    counter = CameraCounter("S0001", camera(role="zone", zones=[shelf]), CountingConfig(), W, H)
    browse = [person(1, 600, 450)] * 450  # 45 s in the zone
    passer = [person(2, 600, 450)] * 5  # half a second: not a visit
    frames = together(browse, passer) + [[]] * 100  # then nobody
    events = feed(counter, frames) + counter.close()
    zones = [z for e in events for z in e.zones]
    assert sum(z.visits for z in zones) == 1
    visit = next(z for z in zones if z.visits)
    assert visit.dwell_histogram["lt_1m"] == 1 and 44 <= visit.dwell_s_sum <= 45
    assert max(z.occupancy_max for z in zones) == 2
    assert zones[0].occupancy_mean == pytest.approx((450 + 5) / 550, abs=0.01)


def test_one_count_event_per_camera_minute_with_stable_ids_and_empty_minutes() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL]), CountingConfig(), W, H)
    events = feed(counter, [[p] for p in walk(1, (400, 200), (400, 400), 20)])
    events += counter.update([], T0 + timedelta(minutes=3, seconds=5))  # no frames for two minutes
    events += counter.close()
    starts = [e.window_start for e in events]
    assert starts == [T0 + timedelta(minutes=m) for m in range(4)]
    assert [e.frames for e in events] == [20, 0, 0, 1]
    assert [e.lines[0].entries for e in events] == [1, 0, 0, 0]
    assert all(e.event_id == count_event_id("S0001", "C01", e.window_start) for e in events)


def test_a_count_event_holds_counts_only() -> None:
    counter = CameraCounter("S0001", camera(lines=[HORIZONTAL]), CountingConfig(), W, H)
    events = feed(counter, [[p] for p in walk(7, (400, 200), (400, 400), 20)]) + counter.close()
    data = json.loads(events[0].to_json())
    assert set(data) == {"schema", "event_id", "store_id", "camera_id", "window_start", "window_end", "frames",
                         "lines", "zones"}
    assert set(data["lines"][0]) == {"line", "entries", "exits"}
    text = events[0].to_json()
    assert "track" not in text and "box" not in text and "7" not in text.split('"frames"')[1].split(",")[0]
    with pytest.raises(ValueError):
        CountEvent.model_validate({**data, "track_ids": [7]})
    with pytest.raises(ValueError):
        CountEvent.model_validate({**data, "lines": [{"line": "door", "entries": 1, "exits": 0, "x": 400}]})
