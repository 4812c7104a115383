"""The simulated store entrance: the demo's visitors counted by the edge pipeline match the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import numpy as np

from footfall.simulate.counts import count_events, plan_visits
from footfall.simulate.entrance import ENTRANCE_CAMERA_CONFIG, measure_store, staff_foot, walkers
from footfall.simulate.plan import ENTRANCE_CAMERA, SimConfig, plan_day
from footfall.simulate.stores import load_stores, pick_stores

DAY = date(2026, 11, 23)


def test_the_staff_member_paces_across_the_door_line_inside_the_exclusion_zone() -> None:
    (till,) = ENTRANCE_CAMERA_CONFIG.exclusion_zones
    (door,) = ENTRANCE_CAMERA_CONFIG.lines
    feet = [staff_foot(t) for t in np.arange(0, 600, 0.25)]
    assert all(till[0][0] <= x <= till[1][0] and till[0][1] <= y <= till[2][1] for x, y in feet)
    assert min(y for _, y in feet) < door.p1[1] < max(y for _, y in feet), "without the zone they would count"


def test_walks_stay_inside_opening_hours() -> None:
    config = SimConfig(photos=40, stores=2, broken=0, day=DAY, seed=3)
    manifest = plan_day(config, pick_stores(load_stores(), 2))
    visits = plan_visits(manifest)
    store = manifest.stores[0]
    opening = datetime.combine(DAY, time(8), tzinfo=store.tz)
    walks = walkers([v for v in visits if v.store_id == store.store_id], opening, 12 * 3600,
                    np.random.default_rng(1))
    assert walks and all(0 < w.start and w.start + w.duration < 12 * 3600 for w in walks)


def test_a_stores_visitors_are_counted_in_and_out_by_the_edge_pipeline() -> None:
    config = SimConfig(photos=30, stores=1, broken=0, day=DAY, seed=11)
    manifest = plan_day(config, pick_stores(load_stores(), 1))
    visits = plan_visits(manifest)
    store = manifest.stores[0]
    measured = measure_store(store, datetime.combine(DAY, time(), tzinfo=UTC), visits, seed=5)
    planned = count_events(manifest, visits, cameras=(ENTRANCE_CAMERA,))
    assert sum(line.entries for e in planned for line in e.lines) == len(visits)
    assert sum(line.entries for e in measured for line in e.lines) == len(visits)
    assert sum(line.exits for e in measured for line in e.lines) == len(visits)
    # One CountEvent per minute of opening hours, like the plan's.
    assert [e.window_start for e in measured] == [e.window_start for e in planned]
